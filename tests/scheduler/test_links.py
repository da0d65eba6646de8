"""Signed one-click links: bound to meeting, unit, answer and start; closed at the start."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models import db
from models.base import utcnow
from scheduler.links import LinkRefused, answer_token, answer_url, check_answer_token

KEY = "test-secret-key"


@pytest.fixture
def meeting(hanoi, make_meeting):
    return make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=1),
                        participants=[hanoi["phuc_xa"], hanoi["truc_bach"]])


def refusal(token, meeting, unit, answer, now=None, key=KEY) -> str:
    with pytest.raises(LinkRefused) as exc:
        check_answer_token(key, token, meeting, unit, answer, now or utcnow())
    return exc.value.reason


def test_a_link_answers_exactly_what_it_was_made_for(meeting, hanoi, make_meeting):
    token = answer_token(KEY, meeting, hanoi["phuc_xa"], "confirmed")
    check_answer_token(KEY, token, meeting, hanoi["phuc_xa"], "confirmed", utcnow())
    assert refusal(token, meeting, hanoi["truc_bach"], "confirmed") == "mismatch"
    assert refusal(token, meeting, hanoi["phuc_xa"], "declined") == "mismatch"
    other = make_meeting(hanoi["ba_dinh"], meeting.start_at, participants=[hanoi["phuc_xa"]])
    assert refusal(token, other, hanoi["phuc_xa"], "confirmed") == "mismatch"
    assert refusal(token, meeting, hanoi["phuc_xa"], "confirmed", key="another-key") == "invalid"
    assert refusal(token[:-2] + "xx", meeting, hanoi["phuc_xa"], "confirmed") == "invalid"
    assert refusal("", meeting, hanoi["phuc_xa"], "confirmed") == "invalid"


def test_a_link_expires_at_the_start(meeting, hanoi):
    token = answer_token(KEY, meeting, hanoi["phuc_xa"], "declined")
    check_answer_token(KEY, token, meeting, hanoi["phuc_xa"], "declined",
                       meeting.start_at - timedelta(seconds=1))
    assert refusal(token, meeting, hanoi["phuc_xa"], "declined", meeting.start_at) == "expired"


def test_a_retimed_or_cancelled_meeting_refuses_old_links(meeting, hanoi):
    token = answer_token(KEY, meeting, hanoi["phuc_xa"], "confirmed")
    meeting.start_at += timedelta(hours=1)
    meeting.end_at += timedelta(hours=1)
    db.session.commit()
    assert refusal(token, meeting, hanoi["phuc_xa"], "confirmed") == "retimed"
    fresh = answer_token(KEY, meeting, hanoi["phuc_xa"], "confirmed")
    check_answer_token(KEY, fresh, meeting, hanoi["phuc_xa"], "confirmed", utcnow())
    meeting.status = "cancelled"
    db.session.commit()
    assert refusal(fresh, meeting, hanoi["phuc_xa"], "confirmed") == "cancelled"


def test_the_url_carries_the_unit_and_answer(meeting, hanoi):
    url = answer_url({"SECRET_KEY": KEY, "PUBLIC_URL": "https://gb.example/"}, meeting,
                     hanoi["phuc_xa"], "confirmed")
    assert url.startswith(f"https://gb.example/answer/{meeting.id}/legacy:00001/confirmed?t=")
