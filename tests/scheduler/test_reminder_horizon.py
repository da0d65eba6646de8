"""The reminder horizon: rows only for meetings starting soon; the hourly top-up plans the rest."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from models import Meeting, Reminder, db
from scheduler import jobs
from scheduler.booking import book_meeting
from scheduler.changes import cancel_meeting, change_meeting
from scheduler.reminders import ReminderOffsets, top_up_reminders
from scheduler.signals import connect_receivers
from scheduler.working_calendar import WorkingCalendar
from tests.booking_data import local, meeting_data

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 1 Dec 2026, 08:00 in Hà Nội
HORIZON = timedelta(days=14)
MONDAYS = [local(2026, 12, 7, 8), local(2026, 12, 14, 8), local(2026, 12, 21, 8), local(2026, 12, 28, 8),
           local(2027, 1, 4, 8), local(2027, 1, 11, 8), local(2027, 1, 18, 8), local(2027, 1, 25, 8)]


@pytest.fixture
def horizon(app):
    """The receivers planning with a 14-day horizon (the production default); restored after."""
    connect_receivers({**app.config, "REMINDER_HORIZON": HORIZON})
    yield ReminderOffsets.from_config({**app.config, "REMINDER_HORIZON": HORIZON})
    connect_receivers(app.config)


@pytest.fixture
def series(app, hanoi, equipped, bridge, organizer, horizon):
    """Eight Mondays at 08:00 from 7 Dec 2026 to Phúc Xá and Trúc Bạch, booked on 1 Dec."""
    data = meeting_data(bridge=bridge.id, start=MONDAYS[0], end=MONDAYS[0] + timedelta(hours=1),
                        participants=["legacy:00001", "legacy:00004"], rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=8")
    with time_machine.travel(NOW, tick=False):
        booking = book_meeting(data, organizer, NOW)
    return [m.id for m in booking.meetings]


def planned() -> dict[datetime, int]:
    """Reminder rows per meeting start."""
    rows = db.session.execute(select(Meeting.start_at, func.count(Reminder.id))
                              .join(Reminder, Reminder.meeting_id == Meeting.id).group_by(Meeting.start_at))
    return {start: count for start, count in rows}


def test_booking_plans_only_the_meetings_inside_the_horizon(series):
    # 7 and 14 Dec start within 14 days of 1 Dec 08:00: 2 units x 2 kinds each; the rest wait.
    assert planned() == {MONDAYS[0]: 4, MONDAYS[1]: 4}


def test_the_top_up_plans_what_came_near_once_with_the_dues_of_booking(app, series, horizon):
    later = NOW + timedelta(days=7)  # 8 Dec: the horizon now reaches 22 Dec
    assert top_up_reminders(horizon, later) == 4
    assert planned() == {MONDAYS[0]: 4, MONDAYS[1]: 4, MONDAYS[2]: 4}
    assert top_up_reminders(horizon, later) == 0  # idempotent: a second run changes nothing
    calendar = WorkingCalendar.from_db(horizon.working_days)
    before = {"pending": horizon.pending, "upcoming": horizon.upcoming}
    rows = db.session.scalars(select(Reminder).join(Meeting).where(Meeting.start_at == MONDAYS[2])).all()
    assert {(r.kind, r.due_at) for r in rows} == {
        (kind, calendar.working_before(MONDAYS[2] - offset)) for kind, offset in before.items()}
    assert all(r.sent_at is None and r.withdrawn_at is None for r in rows)
    # Run daily for eight weeks: each later Monday is planned once, before its reminders are due.
    added = [top_up_reminders(horizon, later + timedelta(days=d)) for d in range(1, 57)]
    assert sum(added) == 5 * 4 and set(added) == {0, 4}
    assert set(planned()) == set(MONDAYS)


def test_a_cancelled_meeting_is_never_topped_up(app, series, organizer, horizon):
    third = db.session.get(Meeting, series[2])
    with time_machine.travel(NOW, tick=False):
        cancel_meeting(third, organizer, NOW, scope="this", reason="Trùng lịch họp khác")
    assert top_up_reminders(horizon, NOW + timedelta(days=7)) == 0
    assert MONDAYS[2] not in planned()


def test_a_meeting_moved_inside_the_horizon_is_planned_by_the_change(app, series, organizer):
    last = db.session.get(Meeting, series[-1])
    moved = local(2026, 12, 10, 14)
    with time_machine.travel(NOW, tick=False):
        change_meeting(last, {"start": moved, "end": moved + timedelta(hours=1)}, organizer, NOW, scope="this")
    assert planned()[moved] == 4


def test_the_horizon_always_leaves_the_hourly_top_up_time_before_the_first_due(app):
    offsets = ReminderOffsets.from_config({**app.config, "REMINDER_HORIZON": timedelta(hours=1)})
    assert offsets.horizon == app.config["REMINDER_PENDING_BEFORE"] + timedelta(days=2)
    assert ReminderOffsets.from_config(app.config).horizon is None  # no horizon: all planned at booking
    assert top_up_reminders(ReminderOffsets.from_config(app.config), NOW) == 0


def test_the_scheduler_job_tops_up_with_the_app_settings(app, series):
    app.config["REMINDER_HORIZON"] = HORIZON  # this test's own app
    with time_machine.travel(NOW + timedelta(days=7), tick=False):
        assert jobs.top_up_reminders(app) == 4
        assert jobs.top_up_reminders(app) == 0
