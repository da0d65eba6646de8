"""Large bookings are written set-based: the statements do not grow with the occurrences."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models import AuditLog, EndpointBooking, Invitation, Meeting, db
from models.base import LOCAL, utcnow
from models.notifications import Reminder
from scheduler.booking import book_meeting
from scheduler.working_calendar import WorkingCalendar
from tests.booking_data import meeting_data
from tests.fixtures.sql import statements_of


def _statements(fn):
    return statements_of(fn, db.engine)


def _book(bridge, organizer, count: int, days: int = 3):
    start = (utcnow() + timedelta(days=days)).astimezone(LOCAL).replace(hour=8, minute=0, second=0,
                                                                     microsecond=0)
    data = meeting_data(bridge=bridge.id, participants=["all:districts_and_communes"],
                        start=start, end=start + timedelta(hours=2), rrule=f"FREQ=DAILY;COUNT={count}")
    return book_meeting(data, organizer, utcnow())


def test_a_long_series_costs_the_statements_of_a_short_one(app, equipped, bridge, organizer):
    _short, few = _statements(lambda: _book(bridge, organizer, 3))
    booking, many = _statements(lambda: _book(bridge, organizer, 60, days=30))
    assert len(booking.meetings) == 60
    assert len(many) <= len(few) + 2, "\n".join(s[:90] for s in many)  # not one statement per occurrence or per row
    ids = [m.id for m in booking.meetings]
    units = len(booking.meetings[0].invitations)
    assert units >= 5
    count = lambda model: db.session.scalar(  # noqa: E731
        select(func.count()).select_from(model).where(model.meeting_id.in_(ids)))
    assert count(Invitation) == 60 * units
    assert booking.meetings[0].ports == units + 1  # the organiser's endpoint too
    assert count(EndpointBooking) == 60 * (units + 1)
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "meeting", AuditLog.entity_id.in_(ids))) == 60


def test_bulk_reminders_are_due_exactly_before_each_start(app, equipped, bridge, organizer):
    booking = _book(bridge, organizer, 4)
    db.session.expire_all()
    starts = {m.id: db.session.get(Meeting, m.id).start_at for m in booking.meetings}
    rows = db.session.scalars(select(Reminder).where(Reminder.meeting_id.in_(list(starts)))).all()
    assert len(rows) == 4 * len(booking.meetings[0].invitations) * 2
    before = {"pending": app.config["REMINDER_PENDING_BEFORE"], "upcoming": app.config["REMINDER_ALL_BEFORE"]}
    calendar = WorkingCalendar.from_db(app.config["WORKING_DAYS"])  # a day off moves to the working day before
    for r in rows:
        assert r.due_at == calendar.working_before(starts[r.meeting_id] - before[r.kind])
        assert r.sent_at is None and r.withdrawn_at is None
    # Compared in SQL as Python writes instants: the row due at that instant is found by equality.
    first = rows[0]
    assert db.session.scalar(select(Reminder.id).where(Reminder.due_at == first.due_at,
                                                       Reminder.id == first.id)) == first.id
