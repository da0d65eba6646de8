"""The briefing's API: programme, documents and roll call, with the API's error format."""
from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import select

from models import Notice, db
from models.base import utcnow
from models.file_types import DOCX
from tests import briefing_files as files


@pytest.fixture
def world(hanoi, make_user, make_meeting, token_for):
    org = make_user("organizer", hanoi["ba_dinh"])
    clerk = make_user("clerk", hanoi["phuc_xa"])
    running = make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(minutes=5), hours=1, mode="hybrid",
                           participants=[hanoi["phuc_xa"], hanoi["truc_bach"]])
    later = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=2), participants=[hanoi["phuc_xa"]])
    outsider = make_user("clerk", hanoi["dong_xuan"])
    return {"org": token_for(org), "clerk": token_for(clerk), "outsider": token_for(outsider),
            "m": running.id, "later": later.id}


def test_programme_round_trip_and_field_errors(client, world):
    url = f"/api/v1/meetings/{world['m']}/agenda"
    r = client.put(url, json={"items": [{"title": "Khai mạc", "time": "08:00", "presenter": "legacy:001"},
                                        {"title": "Thảo luận"}]}, headers=world["org"])
    assert r.status_code == 200, r.get_json()
    items = r.get_json()
    assert [(i["position"], i["title"], i["time"], i["presenter"]) for i in items] == [
        (1, "Khai mạc", "08:00", "legacy:001"), (2, "Thảo luận", None, None)]
    assert client.get(url, headers=world["clerk"]).get_json() == items
    r = client.put(url, json={"items": [{"title": "A", "presenter": "legacy:99999"}]}, headers=world["org"])
    body = r.get_json()
    assert r.status_code == 422 and body["error"]["code"] == "invalid"
    assert "items.0.presenter" in body["error"]["details"]
    r = client.put(url, json={"items": [{"title": "A"}]}, headers={**world["clerk"], "Accept-Language": "vi"})
    assert r.status_code == 403 and r.get_json()["error"]["message"].startswith("Chỉ đơn vị tổ chức")
    assert client.get(url, headers=world["outsider"]).status_code == 404


def test_documents_upload_publish_list_and_download(client, world):
    url = f"/api/v1/meetings/{world['m']}/documents"
    r = client.post(url, data={"file": (BytesIO(files.ooxml(DOCX)), "Giấy mời.docx")},
                    content_type="multipart/form-data", headers=world["org"])
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()
    assert doc["status"] == "draft" and doc["filename"] == "Giấy mời.docx" and doc["download_url"] is None
    r = client.post(url, data={"file": (BytesIO(b"<?php echo 1;"), "x.pdf")},
                    content_type="multipart/form-data", headers=world["org"])
    assert r.status_code == 422 and "file" in r.get_json()["error"]["details"]
    assert client.get(url, headers=world["clerk"]).get_json() == []
    content = f"{url}/{doc['id']}/content"
    assert client.get(content, headers=world["clerk"]).status_code == 404
    r = client.patch(f"{url}/{doc['id']}", json={"status": "published"}, headers=world["org"])
    assert r.status_code == 200 and r.get_json()["download_url"].startswith("http")
    assert db.session.scalar(select(db.func.count(Notice.id)).where(Notice.kind == "documents_published")) == 2
    assert [d["id"] for d in client.get(url, headers=world["clerk"]).get_json()] == [doc["id"]]
    r = client.get(content, headers=world["clerk"])
    assert r.status_code == 200 and r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.mimetype.endswith("wordprocessingml.document") and "attachment" in r.headers["Content-Disposition"]
    assert client.get(content, headers=world["outsider"]).status_code == 404
    assert client.get(f"/api/v1/meetings/{world['later']}/documents/{doc['id']}/content",
                      headers=world["org"]).status_code == 404
    r = client.patch(f"{url}/{doc['id']}", json={"status": "secret"}, headers=world["org"])
    assert r.status_code == 422 and "status" in r.get_json()["error"]["details"]


def test_an_upload_form_with_a_field_the_document_does_not_list_is_refused(client, world):
    """The document closes the form (`additionalProperties: false`); webargs used to drop unknown
    form fields silently (found by the live run once its uploads were accepted)."""
    url = f"/api/v1/meetings/{world['m']}/documents"
    r = client.post(url, data={"file": (BytesIO(files.ooxml(DOCX)), "a.docx"), "colour": "red"},
                    content_type="multipart/form-data", headers=world["org"])
    assert r.status_code == 422 and "colour" in r.get_json()["error"]["details"], r.get_json()
    r = client.post(url, data={"file": (BytesIO(files.ooxml(DOCX)), "a.docx")},
                    content_type="multipart/form-data", headers=world["org"])
    assert r.status_code == 201


def test_roll_call_marks_check_in_and_the_proposed_outcome(client, world):
    base = f"/api/v1/meetings/{world['m']}/roll-call"
    r = client.post(f"{base}/legacy:00001/check-in", headers=world["clerk"])
    assert r.status_code == 200 and r.get_json()["state"] == "connected" and r.get_json()["by_self"]
    r = client.post(f"/api/v1/meetings/{world['later']}/roll-call/legacy:00001/check-in",
                    headers={**world["clerk"], "Accept-Language": "vi"})
    assert r.status_code == 422 and "30 phút" in r.get_json()["error"]["message"]
    assert client.post(f"{base}/legacy:00004/check-in", headers=world["clerk"]).status_code == 403
    r = client.put(f"{base}/legacy:00004", json={"state": "absent"}, headers=world["org"])
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["details"]
    r = client.put(f"{base}/legacy:00004", json={"state": "in_person"}, headers=world["org"])
    assert r.status_code == 200
    state = client.get(base, headers=world["org"]).get_json()
    assert state["open"] and [(s["unit"], s["state"]) for s in state["sites"]] == [
        ("legacy:00001", "connected"), ("legacy:00004", "in_person")]
    assert client.get(base, headers=world["clerk"]).status_code == 403
    assert client.get(f"{base}/outcome", headers=world["org"]).get_json() == {
        "status": "held", "mode": "hybrid", "connected": ["legacy:00001", "legacy:00004"]}


def test_the_new_operations_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path in ("/api/v1/meetings/{meeting_id}/agenda", "/api/v1/meetings/{meeting_id}/documents",
                 "/api/v1/meetings/{meeting_id}/documents/{document_id}/content",
                 "/api/v1/meetings/{meeting_id}/roll-call/{unit}",
                 "/api/v1/meetings/{meeting_id}/roll-call/outcome"):
        assert path in paths, path
    content = paths["/api/v1/meetings/{meeting_id}/documents/{document_id}/content"]["get"]["responses"]["200"]
    assert "application/pdf" in content["content"]
