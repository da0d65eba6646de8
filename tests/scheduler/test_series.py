"""Recurring series: expansion, all-or-nothing booking, change scopes, cancelling one."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from models import EndpointBooking, Meeting, Series, db
from models.errors import Conflict, ValidationFailed
from scheduler.booking import book_meeting
from scheduler.changes import cancel_meeting, change_meeting
from scheduler.recurrence import expand
from tests.booking_data import local, meeting_data


def weekly(bridge, **extra):
    return meeting_data(bridge=bridge.id, participants=["all:districts_and_communes"],
                        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=6", **extra)


def local_starts(meetings):
    return [m.start_at.astimezone(local(2019, 1, 1).tzinfo).strftime("%Y-%m-%d %H:%M") for m in meetings]


def test_expansion_across_month_ends_in_local_time():
    starts = expand("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4", datetime(2019, 1, 31, 23, 30))
    assert [s.isoformat() for s in starts] == [
        "2019-01-31T16:30:00+00:00", "2019-02-28T16:30:00+00:00",
        "2019-03-31T16:30:00+00:00", "2019-04-30T16:30:00+00:00"]
    daily = expand("FREQ=DAILY;INTERVAL=2;UNTIL=20190305", datetime(2019, 2, 27, 8, 0))
    assert [s.astimezone(local(2019, 1, 1).tzinfo).day for s in daily] == [27, 1, 3, 5]


def test_until_is_inclusive_of_the_local_day():
    starts = expand("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20190313", datetime(2019, 3, 4, 8, 0))
    assert len(starts) == 4  # 4, 6, 11, 13 March


def test_series_books_every_occurrence(equipped, bridge, organizer, now):
    booking = book_meeting(weekly(bridge), organizer, now)
    assert booking.series.rrule == "FREQ=WEEKLY;BYDAY=MO;COUNT=6"
    assert local_starts(booking.meetings) == [f"2019-{d} 08:00" for d in
                                              ("03-04", "03-11", "03-18", "03-25", "04-01", "04-08")]
    assert all(m.recurrence_id == m.start_at for m in booking.meetings)
    assert db.session.scalar(select(func.count(EndpointBooking.id))) == 6 * 9


def test_clash_on_fifth_occurrence_refuses_whole_series(equipped, bridge, organizer, now):
    clash = book_meeting(meeting_data(bridge=bridge.id, title="Họp đột xuất",
                                      start=local(2019, 4, 1, 9), end=local(2019, 4, 1, 9, 30)),
                         organizer, now).meetings[0]
    with pytest.raises(Conflict) as exc:
        book_meeting(weekly(bridge), organizer, now)
    details = exc.value.details["conflicts"]
    assert {c["meeting_id"] for c in details} == {clash.id}
    assert {c["occurrence"] for c in details} == {"2019-04-01T01:00:00+00:00"}
    assert "1 of 6 occurrences" in str(exc.value)
    assert db.session.scalar(select(func.count(Meeting.id))) == 1
    assert db.session.scalar(select(func.count(Series.id))) == 0


def test_malformed_rules(equipped, bridge, organizer, now):
    for rule in ("FREQ=WEEKLY;BYDAY=XX;COUNT=2", "FREQ=WEEKLY;COUNT=2;UNTIL=20190101",
                 "FREQ=DAILY;COUNT=400", "FREQ=DAILY;BYSETPOS=1;COUNT=2"):
        with pytest.raises(ValidationFailed) as exc:
            book_meeting(meeting_data(bridge=bridge.id, rrule=rule), organizer, now)
        assert "rrule" in exc.value.details, rule


def test_move_one_occurrence(equipped, bridge, organizer, now):
    meetings = book_meeting(weekly(bridge), organizer, now).meetings
    third = meetings[2]
    change_meeting(third, {"start": local(2019, 3, 19, 14), "end": local(2019, 3, 19, 16)},
                   organizer, now, scope="this")
    db.session.refresh(third)
    assert third.revision == 1 and third.recurrence_id == datetime(2019, 3, 18, 1, tzinfo=UTC)
    assert local_starts([third]) == ["2019-03-19 14:00"]
    assert [m.revision for m in meetings if m.id != third.id] == [0] * 5
    bookings = db.session.scalars(select(EndpointBooking).where(EndpointBooking.meeting_id == third.id)).all()
    assert {b.start_at for b in bookings} == {third.start_at}


def test_change_following_splits_the_series(equipped, bridge, organizer, now):
    meetings = book_meeting(weekly(bridge), organizer, now).meetings
    old_series = meetings[0].series
    change_meeting(meetings[3], {"start": local(2019, 3, 25, 9), "end": local(2019, 3, 25, 11)},
                   organizer, now, scope="following")
    for m in meetings:
        db.session.refresh(m)
    assert local_starts(meetings) == ["2019-03-04 08:00", "2019-03-11 08:00", "2019-03-18 08:00",
                                      "2019-03-25 09:00", "2019-04-01 09:00", "2019-04-08 09:00"]
    assert {m.series_id for m in meetings[:3]} == {old_series.id}
    new_series = meetings[3].series
    assert new_series.id != old_series.id and new_series.uid != old_series.uid
    assert expand(old_series.rrule, old_series.dtstart_local) == [m.recurrence_id for m in meetings[:3]]
    assert expand(new_series.rrule, new_series.dtstart_local) == [m.recurrence_id for m in meetings[3:]]
    assert [m.revision for m in meetings] == [0, 0, 0, 1, 1, 1]


def test_change_all_retitles_and_moves_in_place(equipped, bridge, organizer, now):
    meetings = book_meeting(weekly(bridge), organizer, now).meetings
    series = meetings[0].series
    change_meeting(meetings[2], {"title": "Giao ban sáng thứ Hai", "start": local(2019, 3, 18, 7, 30),
                                 "end": local(2019, 3, 18, 9, 30)}, organizer, now, scope="all")
    for m in meetings:
        db.session.refresh(m)
    assert {m.title for m in meetings} == {"Giao ban sáng thứ Hai"}
    assert all(s.endswith("07:30") for s in local_starts(meetings))
    db.session.refresh(series)
    assert expand(series.rrule, series.dtstart_local) == [m.recurrence_id for m in meetings]


def test_series_cannot_change_weekday(equipped, bridge, organizer, now):
    meetings = book_meeting(weekly(bridge), organizer, now).meetings
    with pytest.raises(ValidationFailed) as exc:
        change_meeting(meetings[0], {"start": local(2019, 3, 5, 8), "end": local(2019, 3, 5, 10)},
                       organizer, now, scope="all")
    assert "start" in exc.value.details


def test_cancel_one_occurrence_then_the_rest(equipped, bridge, organizer, now):
    meetings = book_meeting(weekly(bridge), organizer, now).meetings
    cancel_meeting(meetings[1], organizer, now)
    db.session.refresh(meetings[1])
    assert meetings[1].status == "cancelled" and meetings[1].revision == 1
    active = db.session.scalar(select(func.count(EndpointBooking.id)).where(EndpointBooking.active.is_(True)))
    assert active == 5 * 9
    cancel_meeting(meetings[3], organizer, now, scope="following")
    statuses = [db.session.get(Meeting, m.id).status for m in meetings]
    assert statuses == ["scheduled", "cancelled", "scheduled", "cancelled", "cancelled", "cancelled"]
    # The freed slot can be booked again.
    book_meeting(meeting_data(bridge=bridge.id, start=local(2019, 3, 11, 8), end=local(2019, 3, 11, 9)),
                 organizer, now)
