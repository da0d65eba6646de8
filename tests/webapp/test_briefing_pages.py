"""The briefing in the browser's terms: programme and documents prepared by the organiser, read
and downloaded by the invitees, the roll call taken live and the outcome filled from it."""
from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO
from urllib.parse import quote

import pytest
from sqlalchemy import select

from models import Document, Invitation, Notice, RollCallMark, db
from models.base import utcnow
from scheduler.briefing import add_document, set_document_status
from scheduler.links import document_token
from tests import briefing_files as files


@pytest.fixture
def people(hanoi, make_user):
    return {"org": make_user("organizer", hanoi["ba_dinh"]), "clerk": make_user("clerk", hanoi["phuc_xa"]),
            "clerk2": make_user("clerk", hanoi["truc_bach"]), "outsider": make_user("clerk", hanoi["dong_xuan"])}


@pytest.fixture
def running(make_meeting, hanoi):
    """A meeting that started 10 minutes ago, inviting Phúc Xá and Trúc Bạch."""
    return make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(minutes=10), hours=1,
                        participants=[hanoi["phuc_xa"], hanoi["truc_bach"]], title="Giao ban sáng")


def csrf(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_the_organiser_prepares_the_programme_and_it_shows_on_the_meeting_page(client, auth, people, running):
    auth.login(people["org"])
    token = csrf(client, f"/meetings/{running.id}/briefing")
    r = client.post(f"/meetings/{running.id}/agenda", data={
        "csrf_token": token, "id": ["", "", ""], "time": ["08:00", "", "99:99"],
        "title": ["Khai mạc", "Báo cáo", ""], "presenter": ["legacy:001", "legacy:00001", ""]})
    assert r.status_code == 303
    page = client.get(f"/meetings/{running.id}").get_data(as_text=True)
    assert "Chương trình" in page and "Khai mạc" in page and "Phường Phúc Xá" in page
    r = client.post(f"/meetings/{running.id}/agenda", data={
        "csrf_token": token, "id": [""], "time": ["8h"], "title": ["Kết luận"], "presenter": [""]})
    assert r.status_code == 422 and "HH:MM" in r.get_data(as_text=True)


def test_upload_publish_and_download_with_the_right_headers(client, auth, people, running, web_app):
    auth.login(people["org"])
    token = csrf(client, f"/meetings/{running.id}/briefing")
    name = "Báo cáo quý I.pdf"
    r = client.post(f"/meetings/{running.id}/documents", content_type="multipart/form-data",
                    data={"csrf_token": token, "file": (BytesIO(files.PDF), name)})
    assert r.status_code == 303
    doc = db.session.scalar(select(Document))
    assert doc.status == "draft" and doc.filename == name and doc.content_type == "application/pdf"
    r = client.post(f"/meetings/{running.id}/documents", content_type="multipart/form-data",
                    data={"csrf_token": token, "file": (BytesIO(b"MZ\x90\x00exe"), "baocao.pdf")})
    assert r.status_code == 422 and "Chỉ nhận" in r.get_data(as_text=True)
    web_app.config["DOCUMENT_MAX_BYTES"] = 10
    r = client.post(f"/meetings/{running.id}/documents", content_type="multipart/form-data",
                    data={"csrf_token": token, "file": (BytesIO(files.PDF), "a.pdf")})
    assert r.status_code == 422
    auth.logout()
    auth.login(people["clerk"])
    assert client.get(f"/meetings/{running.id}/documents/{doc.id}").status_code == 404  # a draft
    assert name not in client.get(f"/meetings/{running.id}/briefing").get_data(as_text=True)
    auth.logout()
    auth.login(people["org"])
    r = client.post(f"/meetings/{running.id}/documents/{doc.id}/status",
                    data={"csrf_token": csrf(client, f"/meetings/{running.id}/briefing"), "status": "published"})
    assert r.status_code == 303
    assert db.session.scalar(select(db.func.count(Notice.id)).where(Notice.kind == "documents_published")) == 2
    auth.logout()
    auth.login(people["clerk"])
    notices = client.get("/notifications").get_data(as_text=True)
    assert 'data-kind="documents_published"' in notices and "Tài liệu: Giao ban sáng" in notices
    r = client.get(f"/meetings/{running.id}/documents/{doc.id}")
    assert r.status_code == 200 and r.data == files.PDF and r.mimetype == "application/pdf"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and 'filename="Bao cao quy I.pdf"' in disposition
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    auth.logout()
    auth.login(people["outsider"])
    assert client.get(f"/meetings/{running.id}/documents/{doc.id}").status_code == 404
    assert client.get(f"/meetings/{running.id}/briefing").status_code == 404


def test_a_guessed_id_of_another_meetings_document_is_404(client, auth, people, running, make_meeting, hanoi):
    other = make_meeting(hanoi["hoan_kiem"], utcnow() + timedelta(days=1), participants=[hanoi["dong_xuan"]])
    from models import User
    admin = User(email="a@x.vn", role="admin")
    db.session.add(admin)
    db.session.commit()
    settings = {"DOCUMENT_MAX_BYTES": 10**6, "DOCUMENT_STORAGE": "database"}
    secret = add_document(other, files.PDF, "Mật.pdf", admin, utcnow(), settings)
    set_document_status(other, secret, "published", admin, utcnow())
    auth.login(people["clerk"])
    assert client.get(f"/meetings/{running.id}/documents/{secret.id}").status_code == 404
    assert client.get(f"/meetings/{other.id}/documents/{secret.id}").status_code == 404
    auth.logout()
    r = client.get(f"/documents/{secret.id}/{document_token('test-secret-key', secret)}")
    assert r.status_code == 200 and r.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/documents/{secret.id}/forged").status_code == 404


def test_the_roll_call_console_marks_and_the_clerk_checks_in(client, auth, people, running, make_meeting, hanoi):
    auth.login(people["clerk"])
    home = client.get("/my-unit").get_data(as_text=True)
    assert f"/meetings/{running.id}/briefing" in home and f'data-testid="check-in-{running.id}"' in home
    r = client.post(f"/meetings/{running.id}/check-in", data={"csrf_token": csrf(client, "/my-unit"),
                                                             "unit": "legacy:00001"})
    assert r.status_code == 303
    later = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(hours=3), participants=[hanoi["phuc_xa"]])
    r = client.post(f"/meetings/{later.id}/check-in", data={"csrf_token": csrf(client, "/my-unit"),
                                                           "unit": "legacy:00001"})
    assert r.status_code == 422 and "30 phút trước" in r.get_data(as_text=True)
    assert client.get(f"/meetings/{running.id}/roll-call").status_code == 403
    auth.logout()
    auth.login(people["org"])
    state = client.get(f"/meetings/{running.id}/roll-call.json").get_json()
    assert [(s["unit"], s["state"], s["by_self"]) for s in state["sites"]] == [
        ("legacy:00001", "connected", True), ("legacy:00004", "unknown", False)]
    token = csrf(client, f"/meetings/{running.id}/roll-call")
    r = client.post(f"/meetings/{running.id}/roll-call/legacy:00004", data={"csrf_token": token, "state": "absent"},
                    headers={"Accept": "application/json"})
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["details"]
    r = client.post(f"/meetings/{running.id}/roll-call/legacy:00004",
                    data={"csrf_token": token, "state": "absent", "reason": "Mất điện"},
                    headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.get_json()["counts"] == {"connected": 1, "in_person": 0, "absent": 1,
                                                              "unknown": 0}
    page = client.get(f"/meetings/{running.id}/roll-call").get_data(as_text=True)
    assert "Mất điện" in page and "roll_call.js" in page


def test_the_outcome_is_filled_from_the_roll_call_and_recorded_by_the_outcome_verb(
        client, auth, people, make_meeting, hanoi):
    ended = make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(hours=3), hours=2, mode="online",
                         participants=[hanoi["phuc_xa"], hanoi["truc_bach"], hanoi["vinh_phuc"]])
    db.session.add_all([RollCallMark(meeting_id=ended.id, unit_id=hanoi["phuc_xa"].id, state="connected"),
                        RollCallMark(meeting_id=ended.id, unit_id=hanoi["truc_bach"].id, state="in_person"),
                        RollCallMark(meeting_id=ended.id, unit_id=hanoi["vinh_phuc"].id, state="absent",
                                     reason="Ốm")])
    db.session.commit()
    auth.login(people["org"])
    page = client.get(f"/meetings/{ended.id}/outcome?from=roll_call").get_data(as_text=True)
    assert 'data-testid="roll-call-proposal"' in page
    assert re.search(r'value="hybrid"[^>]*selected|selected[^>]*value="hybrid"', page)
    checked = re.findall(r'<input[^>]*checked[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*checked', page)
    refs = {a or b for a, b in checked} - {"held", "cancelled"}
    assert refs == {"legacy:00001", "legacy:00004"}
    r = client.post(f"/meetings/{ended.id}/outcome?from=roll_call", data={
        "csrf_token": csrf(client, f"/meetings/{ended.id}/outcome"), "status": "held", "mode": "hybrid",
        "connected": sorted(refs)})
    assert r.status_code == 303
    db.session.expire_all()
    connected = dict(db.session.execute(select(Invitation.unit_id, Invitation.connected)
                                        .where(Invitation.meeting_id == ended.id)).all())
    assert connected == {hanoi["phuc_xa"].id: True, hanoi["truc_bach"].id: True, hanoi["vinh_phuc"].id: False}
