"""Answering for a unit: who may, what an answer needs, and until when."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AuditLog, db
from models.base import utcnow
from models.errors import Forbidden, NotFound, ValidationFailed
from scheduler.attendance import respond, responses_of


@pytest.fixture
def meeting(hanoi, make_meeting):
    return make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=2),
                        participants=[hanoi["phuc_xa"], hanoi["truc_bach"], hanoi["vinh_phuc"]])


@pytest.fixture
def clerk(hanoi, make_user):
    return make_user("clerk", hanoi["phuc_xa"])


def test_confirm_then_decline_until_the_start(meeting, hanoi, clerk):
    inv = respond(meeting, hanoi["phuc_xa"], {"status": "confirmed", "attendee": " Nguyễn Thị Hoa ",
                                              "title": "Phó Chủ tịch UBND phường"}, clerk)
    assert (inv.response, inv.attendee_name, inv.attendee_title) == (
        "confirmed", "Nguyễn Thị Hoa", "Phó Chủ tịch UBND phường")
    assert inv.confirmed_before_start is True and inv.responded_by_id == clerk.id
    inv = respond(meeting, hanoi["phuc_xa"], {"status": "declined", "reason": "Trùng lịch họp HĐND",
                                              "note": "Sẽ xem lại biên bản"}, clerk)
    assert (inv.response, inv.reason, inv.attendee_name) == ("declined", "Trùng lịch họp HĐND", None)
    assert inv.confirmed_before_start is False
    rows = db.session.scalars(select(AuditLog).where(AuditLog.entity_type == "invitation")
                              .order_by(AuditLog.id)).all()
    assert [r.action for r in rows] == ["respond", "respond"]
    assert rows[0].before["response"] == "pending" and rows[0].after["response"] == "confirmed"
    assert rows[1].before["attendee_name"] == "Nguyễn Thị Hoa" and rows[1].after["reason"]
    groups = responses_of(meeting)
    assert [len(groups[k]) for k in ("confirmed", "declined", "pending")] == [0, 1, 2]


def test_an_admin_may_answer_for_any_invited_unit(meeting, hanoi, make_user):
    inv = respond(meeting, hanoi["truc_bach"], {"status": "confirmed", "attendee": "Trần Văn Bình"},
                  make_user("admin"))
    assert inv.response == "confirmed"


@pytest.mark.parametrize("role,unit", [("clerk", "truc_bach"), ("organizer", "ba_dinh"),
                                       ("viewer", "phuc_xa"), ("organizer", "phuc_xa")])
def test_only_the_units_clerk_answers(meeting, hanoi, make_user, role, unit):
    with pytest.raises(Forbidden):
        respond(meeting, hanoi["phuc_xa"], {"status": "confirmed", "attendee": "A"},
                make_user(role, hanoi[unit]))


@pytest.mark.parametrize("data,field", [
    ({"status": "declined"}, "reason"),
    ({"status": "declined", "reason": "   "}, "reason"),
    ({"status": "confirmed"}, "attendee"),
    ({"status": "confirmed", "attendee": ""}, "attendee"),
    ({"status": "maybe", "attendee": "A"}, "status"),
    ({"attendee": "A"}, "status"),
    ({"status": "confirmed", "attendee": "A" * 201}, "attendee"),
    ({"status": "confirmed", "attendee": "A", "title": "T" * 201}, "title"),
    ({"status": "declined", "reason": "R" * 2001}, "reason"),
    ({"status": "confirmed", "attendee": 5}, "attendee"),
])
def test_bad_answers_name_the_field(meeting, hanoi, clerk, data, field):
    with pytest.raises(ValidationFailed) as exc:
        respond(meeting, hanoi["phuc_xa"], data, clerk)
    assert exc.value.status == 422 and field in exc.value.details


def test_no_answer_after_the_start(meeting, hanoi, clerk):
    with pytest.raises(ValidationFailed) as exc:
        respond(meeting, hanoi["phuc_xa"], {"status": "confirmed", "attendee": "A"}, clerk,
                now=meeting.start_at)
    assert "start" in exc.value.details


def test_no_answer_to_a_cancelled_meeting(meeting, hanoi, clerk):
    meeting.status = "cancelled"
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        respond(meeting, hanoi["phuc_xa"], {"status": "confirmed", "attendee": "A"}, clerk)
    assert "meeting" in exc.value.details


def test_a_unit_not_invited_is_not_found(meeting, hanoi, make_user):
    with pytest.raises(NotFound) as exc:
        respond(meeting, hanoi["hang_ma"], {"status": "confirmed", "attendee": "A"},
                make_user("clerk", hanoi["hang_ma"]))
    assert exc.value.status == 404 and "unit" in exc.value.details
