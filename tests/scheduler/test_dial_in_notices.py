"""A change of how to join (the host's dial-in addresses, the bridge's name or prefix) is told to
every invited unit as a "changed" notice and an iTIP update, like a change of the meeting."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from models import Notice, db
from models.base import LOCAL, utcnow
from models.registry import add_endpoint, change_endpoint
from scheduler.booking import book_meeting
from scheduler.bridges import change_bridge
from scheduler.changes import cancel_meeting, change_meeting
from scheduler.notices import describe, send_due_notices
from tests.booking_data import meeting_data


@pytest.fixture
def clerks(hanoi, make_user):
    return {key: make_user("clerk", hanoi[key], email=f"vanthu.{key}@hanoi.test")
            for key in ("phuc_xa", "truc_bach")}


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def _day(days: int, hour: int = 9):
    """A local time `days` from today (the verbs tell meetings upcoming on the real clock)."""
    start = (utcnow() + timedelta(days=days)).astimezone(LOCAL).replace(hour=hour, minute=0, second=0,
                                                                       microsecond=0)
    return start, start + timedelta(hours=2)


def _book(organizer, bridge, days=3, **extra):
    start, end = _day(days)
    data = meeting_data(bridge=bridge.id, participants=["legacy:00001", "legacy:00004"],
                        start=start, end=end, **extra)
    return book_meeting(data, organizer, utcnow()).meetings[0]


@pytest.fixture
def booked(equipped, bridge, organizer, clerks):
    return _book(organizer, bridge)


def told(meeting_id: int, kind: str = "changed") -> list[Notice]:
    return db.session.scalars(select(Notice).where(Notice.meeting_id == meeting_id, Notice.kind == kind)
                              .order_by(Notice.unit_id)).all()


def vi(app):
    from scheduler.jobs import translator_for
    return translator_for(app)("vi")


def test_a_new_dial_in_address_of_the_host_tells_every_invited_unit(booked, equipped, admin, app):
    revision = booked.revision
    change_endpoint(equipped["city"], {"address": "sip:giaoban@vc.hanoi.gov.vn"}, admin)
    rows = told(booked.id)
    assert sorted(n.unit.code for n in rows) == ["00001", "00004"]
    assert {n.method for n in rows} == {"REQUEST"}
    assert rows[0].changes == [{"field": "dial_in", "before": ["sip:01@hn.vn"],
                                "after": ["sip:giaoban@vc.hanoi.gov.vn"]}]
    assert ("Địa chỉ kết nối", "sip:01@hn.vn", "sip:giaoban@vc.hanoi.gov.vn") in describe(rows[0].changes, vi(app))
    assert booked.revision == revision + 1  # calendars and the iTIP SEQUENCE move on
    assert all(d.sent_at is not None for n in rows for d in n.deliveries if d.channel == "in_app")


def test_the_update_email_carries_the_new_address_and_sequence(booked, equipped, admin, app, mail_config,
                                                                 smtp_server):
    send_due_notices(mail_config, utcnow(), lambda _locale: vi(app))  # the invitations
    change_endpoint(equipped["city"], {"address": "sip:giaoban@vc.hanoi.gov.vn"}, admin)
    assert send_due_notices(mail_config, utcnow(), lambda _locale: vi(app)) == 2
    message = smtp_server.messages[-1]
    text = message.get_body(("plain",)).get_content()
    assert "Địa chỉ kết nối: sip:01@hn.vn → sip:giaoban@vc.hanoi.gov.vn" in text
    part = [p for p in message.iter_parts() if p.get_content_type() == "text/calendar"][0]
    [event] = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    assert int(event["SEQUENCE"]) == booked.revision
    assert "sip:giaoban@vc.hanoi.gov.vn" in str(event["DESCRIPTION"])
    assert "sip:01@hn.vn" not in str(event["DESCRIPTION"])


def test_an_added_or_retired_endpoint_changes_the_addresses_too(booked, equipped, hanoi, admin):
    add_endpoint(hanoi["city"], {"name": "Phần mềm", "kind": "software", "status": "ready",
                                 "address": "https://meet.hanoi.gov.vn/giaoban"}, admin)
    [first, _] = told(booked.id)
    assert first.changes[0]["after"] == ["sip:01@hn.vn", "https://meet.hanoi.gov.vn/giaoban"]
    change_endpoint(equipped["city"], {"status": "retired"}, admin)
    assert [n.changes[0]["after"] for n in told(booked.id)][-1] == ["https://meet.hanoi.gov.vn/giaoban"]


def test_nothing_is_told_when_the_addresses_stay_or_the_meeting_does_not_show_them(
        booked, equipped, bridge, hanoi, organizer, admin):
    in_person = _book(organizer, bridge, days=4, mode="in_person")
    cancelled = _book(organizer, bridge, days=5)
    cancel_meeting(cancelled, organizer, utcnow(), reason="Hoãn")
    change_endpoint(equipped["city"], {"name": "Phòng họp trực tuyến số 1", "room": "P.301"}, admin)
    assert told(booked.id) == []
    change_endpoint(equipped["phuc_xa"], {"address": "sip:phucxa@vc.hanoi.gov.vn"}, admin)  # not the host
    assert told(booked.id) == []
    change_endpoint(equipped["city"], {"address": "sip:giaoban@vc.hanoi.gov.vn"}, admin)
    assert len(told(booked.id)) == 2
    assert told(in_person.id) == [] and told(cancelled.id) == []


def test_a_series_hears_once_per_unit(equipped, bridge, organizer, clerks, admin):
    m = _book(organizer, bridge, days=2, rrule="FREQ=DAILY;COUNT=5")
    change_endpoint(equipped["city"], {"address": "sip:giaoban@vc.hanoi.gov.vn"}, admin)
    rows = db.session.scalars(select(Notice).where(Notice.series_id == m.series_id,
                                                   Notice.kind == "changed")).all()
    assert len(rows) == 2 and {n.occurrences for n in rows} == {5}


def test_a_bridge_renamed_or_given_a_new_prefix_tells_its_upcoming_meetings(booked, bridge, admin, app):
    change_bridge(bridge, {"dial_prefix": "8899"}, admin)
    [first, _] = told(booked.id)
    assert first.changes == [{"field": "dial_prefix", "before": None, "after": "8899"}]
    change_bridge(bridge, {"name": "MCU Thành phố 2", "dial_prefix": "8899"}, admin)
    last = told(booked.id)[-1]
    assert last.changes == [{"field": "bridge", "before": "MCU Thành phố", "after": "MCU Thành phố 2"}]
    words = describe(told(booked.id)[0].changes, vi(app))
    assert words == [("Tiền tố quay số", "(không có)", "8899")]
    change_bridge(bridge, {"notes": "Phòng máy tầng 3", "capacity": 120}, admin)
    assert len(told(booked.id)) == 4  # notes and capacity are not how anyone joins


def test_moving_to_a_bridge_with_another_prefix_says_so(booked, bridge, organizer, admin):
    from scheduler.bridges import add_bridge
    other = add_bridge({"name": "MCU dự phòng", "capacity": 50, "dial_prefix": "7700"}, admin)
    change_meeting(booked, {"bridge": other.id}, organizer, utcnow())
    [first, _] = told(booked.id)
    assert {c["field"]: c["after"] for c in first.changes} == {"bridge": "MCU dự phòng", "dial_prefix": "7700"}


def test_the_invitation_shows_the_prefix(equipped, bridge, organizer, clerks, app, mail_config, smtp_server):
    bridge.dial_prefix = "8899"
    db.session.commit()
    _book(organizer, bridge)
    send_due_notices(mail_config, utcnow(), lambda _locale: vi(app))
    message = smtp_server.messages[-1]
    assert "Tiền tố quay số: 8899" in message.get_body(("plain",)).get_content()
    part = [p for p in message.iter_parts() if p.get_content_type() == "text/calendar"][0]
    [event] = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    assert "Tiền tố quay số: 8899" in str(event["DESCRIPTION"])


def test_the_api_endpoint_change_tells_the_invitees(booked, equipped, admin, client, token_for):
    r = client.patch(f"/api/v1/endpoints/{equipped['city'].id}", json={"address": "sip:moi@hn.vn"},
                     headers=token_for(admin))
    assert r.status_code == 200, r.get_json()
    assert len(told(booked.id)) == 2


def test_the_issues_list_mode_and_bridge_changes_are_told_in_words(booked, bridge, organizer, admin, app):
    """The rest of #13's list beside dial-in: a change of mode (the bridge goes with it) and of
    bridge; time, place, units added or removed, cancellation and the outcome request have
    their tests in test_notices.py."""
    from scheduler.bridges import add_bridge
    other = add_bridge({"name": "MCU Quận", "capacity": 20}, admin)
    change_meeting(booked, {"bridge": other.id}, organizer, utcnow())
    change_meeting(booked, {"mode": "in_person"}, organizer, utcnow())
    first, second = [n for n in told(booked.id) if n.unit.code == "00001"]
    assert describe(first.changes, vi(app)) == [("Cầu truyền hình", "MCU Thành phố", "MCU Quận")]
    assert ("Hình thức", "Trực tuyến", "Trực tiếp") in describe(second.changes, vi(app))
    assert {c["field"] for c in second.changes} == {"mode", "bridge"}
