"""Vietnam's working calendar: Tết 2027, 30/4, 1/5, 2/9, swapped Saturdays, office exceptions."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from models import Meeting, Reminder, Series, db
from models.errors import ValidationFailed
from scheduler.booking import book_meeting
from scheduler.reminders import ReminderOffsets, plan_reminders
from scheduler.slots import find_slots
from scheduler.working_calendar import WorkingCalendar, delete_exception, set_exception
from tests.booking_data import local, meeting_data

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_tet_2027_and_national_days_from_the_package(app):
    cal = WorkingCalendar.from_db()
    assert cal.holiday_name(date(2027, 2, 6)) == "Tết Nguyên Đán"          # 1 Tết 2027
    assert cal.holiday_name(date(2027, 2, 8)) == "Mùng ba Tết Nguyên Đán"
    for day in (date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 10), date(2027, 4, 30),
                date(2027, 5, 3), date(2027, 9, 2), date(2025, 4, 30), date(2025, 5, 1)):
        assert not cal.is_working(day), day
    assert cal.is_working(date(2027, 2, 11)) and not cal.is_working(date(2027, 2, 13))
    assert cal.is_working(date(2025, 4, 26))        # the Saturday worked for 2 May 2025


def test_office_exceptions_swap_a_saturday_and_give_a_day_off(app, hanoi, make_user):
    admin = make_user("admin", None)
    set_exception(date(2027, 3, 6), "working_day", "Làm bù cho ngày 19/3/2027", admin)
    set_exception(date(2027, 3, 19), "day_off", "Nghỉ bù", admin)
    cal = WorkingCalendar.from_db()
    assert cal.is_working(date(2027, 3, 6)) and not cal.is_working(date(2027, 3, 19))
    assert cal.day_off_name(date(2027, 3, 19)) == "Nghỉ bù"
    with pytest.raises(ValidationFailed):
        set_exception(date(2027, 3, 20), "holiday", "x", admin)
    delete_exception(date(2027, 3, 19), admin)
    assert WorkingCalendar.from_db().is_working(date(2027, 3, 19))


def test_slot_finder_never_offers_tet_or_the_national_days(app, hanoi, equipped, bridge):
    units = [hanoi["city"], hanoi["phuc_xa"]]
    slots = find_slots(units, 4 * HOUR, local(2027, 2, 3, 0), local(2027, 2, 12, 0), bridge, NOW, limit=20)
    days = sorted({s.astimezone(local(2027, 1, 1).tzinfo).date() for s, _ in slots})
    assert days == [date(2027, 2, 3), date(2027, 2, 11)]
    for lo in (local(2027, 4, 30, 0), local(2027, 5, 1, 0), local(2027, 9, 2, 0)):
        got = find_slots(units, HOUR, lo, lo + timedelta(days=1), bridge, NOW, limit=5)
        assert got == []


def test_slot_finder_offers_a_swapped_working_saturday(app, hanoi, equipped, bridge, make_user):
    set_exception(date(2027, 3, 6), "working_day", "Làm bù", make_user("admin", None))
    slots = find_slots([hanoi["phuc_xa"]], HOUR, local(2027, 3, 6, 0), local(2027, 3, 8, 0), bridge, NOW,
                       limit=1)
    assert slots[0][0] == local(2027, 3, 6, 8)


def test_booking_on_mung_ba_tet_warns_and_strict_refuses(app, hanoi, equipped, bridge, organizer):
    data = meeting_data(bridge=bridge.id, start=local(2027, 2, 8, 8), end=local(2027, 2, 8, 9))
    with pytest.raises(ValidationFailed) as refused:
        book_meeting({**data, "strict": True}, organizer, NOW)
    assert "Mùng ba Tết Nguyên Đán" in str(refused.value.details["start"])
    assert db.session.scalar(select(Meeting.id)) is None
    booking = book_meeting(data, organizer, NOW)
    assert booking.warnings["holiday"] == [{"date": "2027-02-08", "start": local(2027, 2, 8, 8)
                                            .astimezone(UTC).isoformat(), "name": "Mùng ba Tết Nguyên Đán"}]
    plain = book_meeting(meeting_data(bridge=bridge.id, start=local(2027, 2, 11, 8), end=local(2027, 2, 11, 9)),
                         organizer, NOW)
    assert "holiday" not in plain.warnings


def test_series_skipping_non_working_days_books_no_rows_for_them(app, hanoi, equipped, bridge, organizer):
    # Weekly on Mondays from 1 Feb 2027: 8 Feb is Mùng ba Tết, 3 May is the 1/5 day off.
    data = meeting_data(bridge=bridge.id, start=local(2027, 2, 1, 8), end=local(2027, 2, 1, 9),
                        rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20270510", skip_holidays=True)
    booking = book_meeting(data, organizer, NOW)
    assert [s["date"] for s in booking.skipped] == ["2027-02-08", "2027-05-03"]
    assert booking.skipped[0]["name"] == "Mùng ba Tết Nguyên Đán"
    assert len(booking.meetings) == 13 and "holiday" not in booking.warnings
    starts = {m.start_at for m in db.session.scalars(select(Meeting))}
    assert local(2027, 2, 8, 8) not in starts and local(2027, 2, 15, 8) in starts
    assert db.session.scalar(select(Series.exdates)) == "2027-02-08,2027-05-03"
    # Without the option the Tết occurrence is booked and named.
    again = book_meeting({**data, "skip_holidays": False, "start": local(2027, 2, 1, 14),
                          "end": local(2027, 2, 1, 15)}, organizer, NOW)
    assert len(again.meetings) == 13 + 2 and [h["date"] for h in again.warnings["holiday"]] == \
        ["2027-02-08", "2027-05-03"]


def test_reminder_due_on_a_day_off_goes_out_the_working_day_before(app, hanoi, equipped, bridge, organizer):
    # Thursday 11 Feb 2027 09:00: 24 h before is 10 Feb (Mùng năm Tết); 4 Feb is 29 Tết too.
    with time_machine.travel(NOW, tick=False):
        booking = book_meeting(meeting_data(bridge=bridge.id, start=local(2027, 2, 11, 9),
                                            end=local(2027, 2, 11, 10)), organizer, NOW)
        plan_reminders(booking.meetings, "booked", ReminderOffsets.from_config(app.config), NOW)
        db.session.commit()
    rows = {r.kind: r.due_at for r in db.session.scalars(select(Reminder))}
    assert rows["pending"] == local(2027, 2, 3, 9)
    assert rows["upcoming"] == local(2027, 2, 11, 8)


def test_moving_the_following_occurrences_of_a_skipping_series_keeps_its_exdates(
        app, hanoi, equipped, bridge, organizer):
    from scheduler.changes import change_meeting
    data = meeting_data(bridge=bridge.id, start=local(2027, 2, 1, 8), end=local(2027, 2, 1, 9),
                        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=4", skip_holidays=True)
    meetings = book_meeting(data, organizer, NOW).meetings  # 1, 15, 22 Feb (8 Feb is Tết)
    assert [m.start_at for m in meetings] == [local(2027, 2, d, 8) for d in (1, 15, 22)]
    changed = change_meeting(meetings[0], {"start": local(2027, 2, 1, 9), "end": local(2027, 2, 1, 10)},
                             organizer, NOW, scope="following")
    assert sorted(m.start_at for m in changed) == [local(2027, 2, d, 9) for d in (1, 15, 22)]


def test_a_skipping_series_feed_carries_the_skipped_days_as_exdates(app, hanoi, equipped, bridge, organizer):
    """Read back by an independent reader: recurring-ical-events expands RRULE minus EXDATE."""
    import recurring_ical_events
    from icalendar import Calendar

    from scheduler.ical import calendar_bytes, make_context
    data = meeting_data(bridge=bridge.id, start=local(2027, 2, 1, 8), end=local(2027, 2, 1, 9),
                        rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20270510", skip_holidays=True)
    booking = book_meeting(data, organizer, NOW)
    body = calendar_bytes(booking.meetings, make_context("https://giaoban.example", "noreply@example.vn"),
                          name="Lịch", uid="test-feed")
    events = recurring_ical_events.of(Calendar.from_ical(body)).between((2027, 1, 1), (2027, 6, 1))
    starts = sorted(e["DTSTART"].dt.astimezone(UTC) for e in events)
    assert starts == sorted(m.start_at for m in booking.meetings)
    assert local(2027, 2, 8, 8) not in starts and local(2027, 5, 3, 8) not in starts
