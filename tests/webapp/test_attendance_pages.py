"""Pages: the clerk's home, one-click e-mail links, the organiser's view of the answers."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from models import Invitation, Reminder, db
from models.base import utcnow
from scheduler.links import answer_url


@pytest.fixture
def meeting(hanoi, make_meeting):
    return make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=2), title="Giao ban tuần 12",
                        participants=[hanoi["phuc_xa"], hanoi["truc_bach"], hanoi["vinh_phuc"]])


@pytest.fixture
def clerk(hanoi, make_user):
    return make_user("clerk", hanoi["phuc_xa"])


def invitation(meeting, unit) -> Invitation:
    db.session.expire_all()
    return db.session.scalar(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                      Invitation.unit_id == unit.id))


def link(app, meeting, unit, answer) -> str:
    url = urlsplit(answer_url(app.config, meeting, unit, answer))
    return f"{url.path}?{url.query}"


def test_home_lists_pending_first_and_past_meetings_with_connection(client, auth, clerk, hanoi,
                                                                    make_meeting, meeting):
    later = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(hours=5), title="Họp đã xác nhận",
                         participants=[hanoi["phuc_xa"]])
    later.invitations[0].response = "confirmed"
    later.invitations[0].attendee_name = "Phạm Văn Hùng"
    make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(days=3), status="held", outcome_mode="online",
                 participants=[hanoi["phuc_xa"]], connected=[hanoi["phuc_xa"]], title="Họp tuần trước")
    make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(days=10), status="held", outcome_mode="online",
                 participants=[hanoi["phuc_xa"]], connected=[], title="Họp tháng trước")
    make_meeting(hanoi["hoan_kiem"], utcnow() + timedelta(days=1), participants=[hanoi["hang_ma"]],
                 title="Không mời Phúc Xá")
    auth.login(clerk)
    page = client.get("/my-unit").get_data(as_text=True)
    assert "Không mời Phúc Xá" not in page
    assert page.index("Giao ban tuần 12") < page.index("Họp đã xác nhận")  # pending first
    assert "Phạm Văn Hùng" in page
    assert re.search(r'id="past-\d+">\s*<td>[^<]+</td>\s*<td>Họp tuần trước</td>.*?data-connected="yes"',
                     page, re.S)
    assert re.search(r'<td>Họp tháng trước</td>.*?data-connected="no"', page, re.S)


def test_a_clerk_answers_in_one_step_and_changes_it(client, auth, clerk, hanoi, meeting):
    auth.login(clerk)
    token = auth.csrf("/my-unit")
    r = client.post(f"/my-unit/meetings/{meeting.id}/answer",
                    data={"csrf_token": token, "status": "confirmed", "attendee": "Đỗ Thu Trang",
                          "title": "Văn phòng UBND phường"})
    assert r.status_code == 303
    inv = invitation(meeting, hanoi["phuc_xa"])
    assert (inv.response, inv.attendee_name, inv.responded_by_id) == ("confirmed", "Đỗ Thu Trang",
                                                                      clerk.id)
    r = client.post(f"/my-unit/meetings/{meeting.id}/answer",
                    data={"csrf_token": token, "status": "declined", "reason": "Trùng lịch"})
    assert r.status_code == 303 and invitation(meeting, hanoi["phuc_xa"]).response == "declined"


@pytest.mark.parametrize("data,field", [
    ({"status": "declined", "reason": ""}, "reason"),
    ({"status": "confirmed", "attendee": ""}, "attendee"),
    ({"status": "maybe"}, "status"),
])
def test_bad_answers_on_the_home_page_are_422_with_the_reason(client, auth, clerk, meeting, data, field):
    auth.login(clerk)
    r = client.post(f"/my-unit/meetings/{meeting.id}/answer",
                    data={"csrf_token": auth.csrf("/my-unit"), **data})
    assert r.status_code == 422
    assert f'data-error="{field}"' in r.get_data(as_text=True)


def test_home_page_answers_refused_after_the_start_and_when_not_invited(client, auth, clerk, hanoi,
                                                                        make_meeting):
    started = make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(minutes=1),
                           participants=[hanoi["phuc_xa"]])
    other = make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=1), participants=[hanoi["truc_bach"]])
    auth.login(clerk)
    token = auth.csrf("/my-unit")
    body = {"csrf_token": token, "status": "confirmed", "attendee": "A"}
    r = client.post(f"/my-unit/meetings/{started.id}/answer", data=body)
    assert r.status_code == 409 and 'data-error="start"' in r.get_data(as_text=True)
    r = client.post(f"/my-unit/meetings/{other.id}/answer", data=body)
    assert r.status_code == 404 and 'data-error="unit"' in r.get_data(as_text=True)


def test_a_clerk_cannot_answer_for_another_unit(client, auth, clerk, hanoi, meeting):
    auth.login(clerk)
    r = client.post(f"/my-unit/meetings/{meeting.id}/answer",
                    data={"csrf_token": auth.csrf("/my-unit"), "unit": "legacy:00004",
                          "status": "confirmed", "attendee": "A"})
    assert r.status_code == 403
    assert invitation(meeting, hanoi["truc_bach"]).response == "pending"
    assert client.get("/my-unit?unit=legacy:00004").status_code == 403


def test_the_link_asks_for_the_attendee_before_recording(client, app, auth, hanoi, meeting):
    path = link(app, meeting, hanoi["phuc_xa"], "confirmed")
    page = client.get(path)
    assert page.status_code == 200 and 'name="attendee"' in page.get_data(as_text=True)
    assert invitation(meeting, hanoi["phuc_xa"]).response == "pending"  # opening records nothing
    token = auth.csrf(path)
    r = client.post(path, data={"csrf_token": token, "attendee": ""})
    assert r.status_code == 422 and 'data-error="attendee"' in r.get_data(as_text=True)
    assert invitation(meeting, hanoi["phuc_xa"]).response == "pending"
    r = client.post(path, data={"csrf_token": token, "attendee": "Vũ Minh Tuấn", "title": "Công chức"})
    assert r.status_code == 200 and "Vũ Minh Tuấn" in r.get_data(as_text=True)
    inv = invitation(meeting, hanoi["phuc_xa"])
    assert (inv.response, inv.attendee_name, inv.responded_by_id) == ("confirmed", "Vũ Minh Tuấn", None)


def test_a_decline_link_needs_a_reason(client, app, auth, hanoi, meeting):
    path = link(app, meeting, hanoi["truc_bach"], "declined")
    token = auth.csrf(path)
    assert client.post(path, data={"csrf_token": token, "reason": " "}).status_code == 422
    assert client.post(path, data={"csrf_token": token, "reason": "Đi công tác"}).status_code == 200
    assert invitation(meeting, hanoi["truc_bach"]).reason == "Đi công tác"


def test_a_link_for_one_unit_does_not_answer_for_another(client, app, auth, hanoi, meeting):
    path = link(app, meeting, hanoi["phuc_xa"], "confirmed")
    forged = path.replace("/legacy:00001/", "/legacy:00004/")
    r = client.get(forged)
    assert r.status_code == 403 and 'data-testid="link-refused"' in r.get_data(as_text=True)
    r = client.post(forged, data={"csrf_token": auth.csrf(path), "attendee": "A"})
    assert r.status_code == 403
    assert client.get(path.replace("/confirmed?", "/declined?")).status_code == 403
    assert invitation(meeting, hanoi["truc_bach"]).response == "pending"


def test_expired_retimed_and_forged_links_get_a_clear_page(client, app, hanoi, meeting, make_meeting):
    client.get("/login?lang=en")  # the messages below are checked in English
    started = make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(minutes=1), participants=[hanoi["phuc_xa"]])
    r = client.get(link(app, started, hanoi["phuc_xa"], "confirmed"))
    assert r.status_code == 410 and "answers are closed" in r.get_data(as_text=True)
    path = link(app, meeting, hanoi["phuc_xa"], "confirmed")
    meeting.start_at += timedelta(hours=2)
    meeting.end_at += timedelta(hours=2)
    meeting.revision += 1
    db.session.commit()
    r = client.get(path)
    assert r.status_code == 410 and "has moved since this link was sent" in r.get_data(as_text=True)
    r = client.get(path.split("?t=")[0] + "?t=nonsense")
    assert r.status_code == 400 and "not valid" in r.get_data(as_text=True)
    assert client.get(f"/answer/{meeting.id}/legacy:00001/maybe?t=x").status_code == 404


def test_the_organisers_view_counts_and_reminds_the_pending(client, app, auth, hanoi, meeting,
                                                            make_user):
    inv = meeting.invitations
    inv[0].response, inv[0].attendee_name = "confirmed", "Ngô Văn Nam"
    inv[1].response, inv[1].reason = "declined", "Trùng lịch tiếp công dân"
    db.session.commit()
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    assert client.get(f"/meetings/{meeting.id}/responses").status_code == 403
    auth.logout()
    auth.login(make_user("organizer", hanoi["hoan_kiem"]))
    assert client.get(f"/meetings/{meeting.id}/responses").status_code == 403
    auth.logout()
    auth.login(make_user("organizer", hanoi["ba_dinh"]))
    page = client.get(f"/meetings/{meeting.id}/responses").get_data(as_text=True)
    for kind in ("confirmed", "declined", "pending"):
        assert re.search(rf'data-count="{kind}">1<', page)
    assert "Ngô Văn Nam" in page and "Trùng lịch tiếp công dân" in page and "Phường Vĩnh Phúc" in page
    r = client.post(f"/meetings/{meeting.id}/responses/remind",
                    data={"csrf_token": auth.csrf(f"/meetings/{meeting.id}/responses")})
    assert r.status_code == 303
    rows = db.session.scalars(select(Reminder).where(Reminder.meeting_id == meeting.id,
                                                     Reminder.kind == "manual")).all()
    assert [r.unit_id for r in rows] == [hanoi["vinh_phuc"].id]
    assert rows[0].due_at <= utcnow() and rows[0].sent_at is None


def test_signed_out_users_are_sent_to_login(client, meeting):
    assert client.get("/my-unit").status_code in (302, 401)
    assert client.get(f"/meetings/{meeting.id}/responses").status_code in (302, 401)
