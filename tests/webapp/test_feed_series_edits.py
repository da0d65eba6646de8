"""Series edits through the real verbs, read back from the feeds over HTTP (issue #11).

UNTIL rules (booked, or closed by a "this and following" split) serve 200; a unit removed from
or added to part of a series sees only the occurrences that concern it (EXDATE for the rest);
weak validators get 304; a unit's feed carries its own ATTENDEE and the number invited.
"""
from __future__ import annotations

import re
from datetime import UTC, timedelta

import recurring_ical_events
from icalendar import Calendar

from models import Meeting, db
from models.base import LOCAL, utcnow
from models.feeds import feed_token_for_unit, feed_token_for_user
from scheduler.booking import book_meeting
from scheduler.changes import change_meeting
from tests.booking_data import meeting_data


def _monday_local(weeks: int = 1, hour: int = 8):
    today = utcnow().astimezone(LOCAL).replace(minute=0, second=0, microsecond=0)
    return today.replace(hour=hour) + timedelta(days=7 * weeks - today.weekday())


def book(organizer, rule: str, participants=("legacy:00001", "legacy:00004"), hour: int = 8):
    start = _monday_local(1, hour)
    data = meeting_data(mode="in_person", start=start, end=start + timedelta(hours=1),
                        participants=list(participants), rrule=rule)
    return book_meeting(data, organizer, utcnow())


def occurrences(data: bytes) -> list[tuple]:
    cal = Calendar.from_ical(data)
    window = (utcnow() - timedelta(days=120), utcnow() + timedelta(days=400))
    return sorted((e.decoded("DTSTART").astimezone(UTC), str(e["SUMMARY"]))
                  for e in recurring_ical_events.of(cal).between(*window))


def rows_of(unit, series_ids) -> list[tuple]:
    ids = set(series_ids)
    return sorted((m.start_at, m.title) for m in db.session.query(Meeting).all()
                  if m.series_id in ids and m.status != "cancelled"
                  and (m.organizer_id == unit.id or any(i.unit_id == unit.id for i in m.invitations)))


def test_until_rules_serve_every_feed(client, hanoi, organizer):
    booking = book(organizer, "FREQ=WEEKLY;BYDAY=MO;UNTIL=" + (
        _monday_local(4).strftime("%Y%m%d")))
    assert len(booking.meetings) == 4
    paths = [f"/feeds/{feed_token_for_unit(hanoi['phuc_xa']).token}.ics",
             f"/feeds/{feed_token_for_unit(hanoi['city']).token}.ics",
             f"/feeds/{feed_token_for_user(organizer).token}.ics"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert len(occurrences(response.data)) == 4
    (master,) = [e for e in Calendar.from_ical(client.get(paths[0]).data).walk("VEVENT")
                 if "RRULE" in e]
    # UTC UNTIL beside a TZID DTSTART (RFC 5545 3.3.10)
    assert re.search(r"UNTIL=\d{8}T\d{6}Z(;|$)", master["RRULE"].to_ical().decode())


def test_this_and_following_move_closes_the_rule_and_feeds_still_serve(client, hanoi, organizer):
    booking = book(organizer, "FREQ=WEEKLY;BYDAY=MO;COUNT=5")
    third = booking.meetings[2]
    change_meeting(third, {"start": third.start_at + timedelta(hours=2),
                           "end": third.end_at + timedelta(hours=2)}, organizer, utcnow(),
                   scope="following")
    db.session.commit()
    unit = hanoi["phuc_xa"]
    response = client.get(f"/feeds/{feed_token_for_unit(unit).token}.ics")
    assert response.status_code == 200
    series_ids = {m.series_id for m in db.session.query(Meeting).all()}
    assert occurrences(response.data) == rows_of(unit, series_ids)
    assert len(occurrences(response.data)) == 5


def test_unit_removed_from_the_third_on_sees_two(client, hanoi, organizer):
    booking = book(organizer, "FREQ=WEEKLY;BYDAY=MO;COUNT=5")
    change_meeting(booking.meetings[2], {"participants": ["legacy:00004"]}, organizer, utcnow(),
                   scope="following")
    db.session.commit()
    gone = client.get(f"/feeds/{feed_token_for_unit(hanoi['phuc_xa']).token}.ics")
    kept = client.get(f"/feeds/{feed_token_for_unit(hanoi['truc_bach']).token}.ics")
    assert len(occurrences(gone.data)) == 2 and len(occurrences(kept.data)) == 5
    assert occurrences(gone.data) == rows_of(hanoi["phuc_xa"], [booking.series.id])
    assert b"RECURRENCE-ID" not in gone.data  # not overrides: exclusions


def test_unit_added_from_the_fourth_sees_only_from_there(client, hanoi, organizer):
    booking = book(organizer, "FREQ=WEEKLY;BYDAY=MO;COUNT=5", participants=["legacy:00004"])
    change_meeting(booking.meetings[3], {"participants": ["legacy:00004", "legacy:00006"]},
                   organizer, utcnow(), scope="following")
    db.session.commit()
    added = client.get(f"/feeds/{feed_token_for_unit(hanoi['vinh_phuc']).token}.ics")
    assert occurrences(added.data) == rows_of(hanoi["vinh_phuc"], [booking.series.id])
    assert len(occurrences(added.data)) == 2


def test_weak_validators_get_304(client, hanoi, organizer):
    book(organizer, "FREQ=WEEKLY;BYDAY=MO;COUNT=2")
    path = f"/feeds/{feed_token_for_unit(hanoi['phuc_xa']).token}.ics"
    etag = client.get(path).headers["ETag"]
    for value in (f"W/{etag}", f'"a", W/{etag}', f'W/"b", {etag}', "*"):
        assert client.get(path, headers={"If-None-Match": value}).status_code == 304, value
    assert client.get(path, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_a_units_feed_carries_its_own_attendee_and_the_count(client, auth, hanoi, organizer):
    book(organizer, "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
         participants=["legacy:00001", "legacy:00004", "legacy:00006"])
    unit_feed = Calendar.from_ical(client.get(
        f"/feeds/{feed_token_for_unit(hanoi['phuc_xa']).token}.ics").data)
    (master,) = unit_feed.walk("VEVENT")
    attendees = master.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["urn:giaoban:unit:legacy:00001"]
    assert str(master["DESCRIPTION"]).endswith(": 3") and "ORGANIZER" in master
    user_feed = Calendar.from_ical(client.get(f"/feeds/{feed_token_for_user(organizer).token}.ics").data)
    assert len(user_feed.walk("VEVENT")[0]["ATTENDEE"]) == 3
    auth.login(organizer)
    meeting_id = db.session.query(Meeting).first().id
    single = Calendar.from_ical(client.get(f"/meetings/{meeting_id}.ics").data)
    assert len(single.walk("VEVENT")[0]["ATTENDEE"]) == 3



def test_a_cancellations_reason_is_in_the_feed_until_it_is_undone(client, hanoi, organizer):
    """#14: the reason is in the feed's DESCRIPTION, in the feed's language, read back by two
    parsers: on a cancelled meeting's VEVENT, and for a cancelled occurrence of a series (an
    EXDATE, which carries no text) on the series' master. Undoing the cancellation removes it."""
    from ical.calendar_stream import IcsCalendarStream  # the second, independent parser

    from scheduler.changes import cancel_meeting, restore_meeting

    rows = book(organizer, "FREQ=WEEKLY;BYDAY=MO;COUNT=3").meetings
    [single] = book(organizer, "", participants=["legacy:00001"], hour=14).meetings
    cancel_meeting(rows[1], organizer, utcnow(), "this", reason="Trùng lịch họp Thành ủy")
    cancel_meeting(single, organizer, utcnow(), "this", reason="Mất điện  toàn phường")
    path = f"/feeds/{feed_token_for_unit(hanoi['phuc_xa']).token}.ics"
    day = f"{rows[1].start_at.astimezone(LOCAL):%d/%m/%Y}"

    def descriptions() -> dict[str, str]:
        cal = Calendar.from_ical(client.get(path).data)
        return {("master" if "RRULE" in e else str(e.get("STATUS"))): str(e.get("DESCRIPTION", ""))
                for e in cal.walk("VEVENT")}

    found = descriptions()
    assert found["CANCELLED"].startswith("Lý do hủy: Mất điện  toàn phường")
    assert f"Buổi ngày {day} đã hủy: Trùng lịch họp Thành ủy" in found["master"]
    other = IcsCalendarStream.calendar_from_ics(client.get(path).get_data(as_text=True))
    by_status = {("master" if e.rrule else e.status.value): e.description for e in other.events}
    assert by_status["CANCELLED"].startswith("Lý do hủy: Mất điện  toàn phường")
    assert f"Buổi ngày {day} đã hủy: Trùng lịch họp Thành ủy" in by_status["master"]
    restore_meeting(db.session.get(Meeting, rows[1].id), organizer, utcnow(), 30)
    restore_meeting(db.session.get(Meeting, single.id), organizer, utcnow(), 30)
    text = client.get(path).get_data(as_text=True)
    assert "hủy" not in text and "CANCELLED" not in text
