"""The demo's present: this year up to a given today with outcomes, four weeks booked ahead,
on working days of the working calendar (Tết included), beside the untouched benchmark year."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import Invitation, Meeting, Unit, User, db
from models.base import LOCAL
from models.registry_import import import_units
from scheduler.demo import generate_demo
from scheduler.demo.recent import UPCOMING_DAYS, demo_now, window
from scheduler.working_calendar import WorkingCalendar


@pytest.fixture
def legacy_units(app):
    import_units(1, "legacy")


def _local_day(m: Meeting) -> date:
    return m.start_at.astimezone(LOCAL).date()


@pytest.mark.parametrize("today", [date(2026, 12, 2), date(2026, 1, 6), date(2026, 2, 18)],
                         ids=["december", "first-week-of-january", "tet"])
def test_the_present_fills_the_year_and_the_next_four_weeks(legacy_units, today):
    counts = generate_demo(2019, scale=0.02, today=today, recent=True)  # its time: bench/demo_present.py
    now = demo_now(today)
    first, last = window(today)
    working = WorkingCalendar.from_db()
    present = db.session.scalars(select(Meeting).where(
        Meeting.start_at >= demo_now(first) - timedelta(days=1))).all()
    assert present and counts["meetings"] == db.session.scalar(select(func.count(Meeting.id)))
    # the benchmark year is still there, and only 2019 before the window
    assert db.session.scalar(select(func.count(Meeting.id)).where(
        func.extract("year", Meeting.start_at) == 2019)) > 100
    days = {_local_day(m) for m in present}
    assert min(days) >= first and max(days) <= last
    # every meeting held on a working day; a briefing off a whole week off is cancelled
    for m in present:
        if m.status != "cancelled" or m.series_id is None:
            assert working.is_working(_local_day(m)), (m.title, _local_day(m))
    past = [m for m in present if m.end_at <= now]
    ahead = [m for m in present if m.start_at > now]
    assert {m.status for m in past} <= {"held", "cancelled", "scheduled"}
    assert sum(m.status == "held" for m in past) > 0.8 * len(past)
    assert all(m.outcome_mode for m in past if m.status == "held")
    assert all(m.status in ("scheduled", "cancelled") and m.outcome_mode is None for m in ahead)
    assert ahead and max(_local_day(m) for m in ahead) > today + timedelta(days=UPCOMING_DAYS - 7)
    assert all(m.created_at <= now for m in present)
    answered_late = db.session.scalar(select(func.count(Invitation.id)).where(
        Invitation.responded_at > now))
    assert answered_late == 0
    # the default pages' windows: last month's report, this week, the demo clerk's home
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert any(m.status == "held" and _local_day(m) >= last_month and _local_day(m) < today.replace(day=1)
               for m in present)
    phuc_xa = db.session.scalar(select(Unit).where(Unit.code == "00001"))
    invited = db.session.scalars(select(Meeting).join(Invitation).where(
        Invitation.unit_id == phuc_xa.id, Meeting.start_at > now,
        Meeting.start_at < now + timedelta(weeks=4))).all()
    assert invited, "the demo clerk has upcoming invitations"
    assert db.session.scalar(select(func.count(User.id))) == 0  # accounts come from the CLI


def test_tet_days_have_no_meeting(legacy_units):
    today = date(2026, 2, 18)  # Mùng hai Tết Bính Ngọ
    generate_demo(2019, scale=0.02, today=today, recent=True)
    working = WorkingCalendar.from_db()
    tet = [date(2026, 2, 16) + timedelta(days=i) for i in range(5)]
    assert all(not working.is_working(d) for d in tet)
    starts = {m.start_at.astimezone(LOCAL).date() for m in db.session.scalars(
        select(Meeting).where(Meeting.status != "cancelled"))}
    assert not starts & set(tet)


def test_no_present_when_asked(legacy_units):
    generate_demo(2019, scale=0.02, today=date(2026, 12, 2))
    assert db.session.scalar(select(func.max(Meeting.start_at))).year == 2019


def test_the_cli_makes_the_present_around_the_given_today(legacy_units, runner, app):
    result = runner.invoke(args=["demo", "generate", "--year", "2019", "--scale", "0.01",
                                 "--today", "2026-12-02"])
    assert result.exit_code == 0, result.output
    last = db.session.scalar(select(func.max(Meeting.start_at))).astimezone(LOCAL).date()
    assert date(2026, 12, 23) <= last <= date(2026, 12, 30)
    _the_demo_shows_a_paperless_briefing_told_in_the_app_only(result.output, app)
    bare = runner.invoke(args=["demo", "generate", "--year", "2019", "--today", "2026-02-30"])
    assert bare.exit_code != 0


def _the_demo_shows_a_paperless_briefing_told_in_the_app_only(output: str, app) -> None:
    """#16 on the demo: the next City briefing has its programme and documents (one published),
    the last one held online its roll call (from who connected), published minutes and a
    published conclusions notice whose tasks are done, in progress and overdue; nothing is
    e-mailed, and a second run adds nothing."""
    from models import Delivery, Notice
    from models.briefing import AgendaItem, Document, RollCallMark
    from models.followup import Conclusions, Minutes, Task
    from models.users import User

    assert "Briefing: 1 programmes, 2 documents, 1 roll calls, 3 tasks" in output
    now = demo_now(date(2026, 12, 2))
    [upcoming] = [db.session.get(Meeting, m) for m in set(db.session.scalars(select(AgendaItem.meeting_id)))]
    assert upcoming.start_at > now and upcoming.organizer.ref == "legacy:01" and len(upcoming.agenda_items) == 5
    assert sorted(d.status for d in db.session.scalars(select(Document))) == ["draft", "published"]
    [held] = [db.session.get(Meeting, c.meeting_id) for c in db.session.scalars(select(Conclusions))]
    assert held.status == "held" and held.end_at < now and held.outcome_mode == "online"
    marks = {m.unit_id: m for m in db.session.scalars(select(RollCallMark).where(RollCallMark.meeting_id == held.id))}
    assert set(marks) == {i.unit_id for i in held.invitations}
    assert all((marks[i.unit_id].state == "connected") == i.connected for i in held.invitations)
    assert all(m.reason for m in marks.values() if m.state == "absent")
    assert db.session.scalar(select(Minutes.status).where(Minutes.meeting_id == held.id)) == "published"
    tasks = db.session.scalars(select(Task)).all()
    assert sorted(t.status for t in tasks) == ["assigned", "done", "in_progress"]
    [late] = [t for t in tasks if t.status == "assigned"]
    assert late.deadline_at < now  # overdue on the demo's today
    clerk = db.session.scalar(select(User).where(User.email == "demo.phuongphucxa@giaoban.local"))
    if clerk.unit_id in {i.unit_id for i in held.invitations}:
        assert clerk.unit_id in {t.lead_unit_id for t in tasks}
    assert db.session.scalar(select(func.count(Delivery.id))) == 0  # told in the app only
    assert db.session.scalar(select(func.count(Notice.id)).where(Notice.kind == "tasks_assigned"))
    from scheduler.demo.briefing import furnish_briefings
    assert set(furnish_briefings(now, app.config).values()) == {0}  # a second run adds nothing
    assert db.session.scalar(select(func.count(Task.id))) == 3


def test_the_invited_units_were_told_of_the_upcoming_meetings(legacy_units, auth, client, make_user):
    """The demo clerk opens the notices page on a fresh demo and finds the invitations (one per
    series), read once answered, and the cancellations with their reason; nothing is e-mailed."""
    from models import Delivery, Notice

    today = date(2026, 12, 2)
    counts = generate_demo(2019, seed=6, scale=0.02, today=today, recent=True)  # seed 6: one is called off
    now = demo_now(today)
    notices = db.session.scalars(select(Notice)).all()
    assert notices and counts["notices"] == len(notices)
    assert all(n.meeting.start_at > now for n in notices)
    assert db.session.scalar(select(func.count(Delivery.id))) == 0
    upcoming = db.session.execute(select(Invitation, Meeting).join(Meeting).where(Meeting.start_at > now)).all()
    told = {(n.unit_id, n.meeting.series_id or n.meeting_id) for n in notices if n.kind == "booked"}
    assert told == {(inv.unit_id, m.series_id or m.id) for inv, m in upcoming}
    assert all((n.read_at is None) == (inv.responded_at is None)
               for n in notices if n.kind == "booked"
               for inv in [next(i for i in n.meeting.invitations if i.unit_id == n.unit_id)])
    cancelled = [(inv.unit_id, m.id) for inv, m in upcoming if m.status == "cancelled"]
    assert cancelled, "a few upcoming meetings are called off"
    assert sorted(cancelled) == sorted((n.unit_id, n.meeting_id) for n in notices if n.kind == "cancelled")
    assert all(n.reason and n.reason == n.meeting.cancel_reason for n in notices if n.kind == "cancelled")
    auth.login(make_user("clerk", db.session.scalar(select(Unit).where(Unit.code == "00001"))))
    page = client.get("/notifications").get_data(as_text=True)
    assert 'data-testid="notices"' in page and "Không có thông báo." not in page


@pytest.mark.slow
def test_every_month_of_the_present_has_city_meetings_for_the_citys_target(legacy_units):
    """The report opens on last month: the City's 80% target must have meetings to judge there."""
    from models.targets import DEFAULT_RULES

    [(_code, _name, levels, categories, _target)] = [r for r in DEFAULT_RULES if r[0] == "city_80"]
    today = date(2026, 12, 2)
    generate_demo(2019, scale=0.5, today=today, recent=True)
    rows = db.session.execute(select(Meeting.start_at).join(Unit, Unit.id == Meeting.organizer_id).where(
        Unit.level.in_(levels), Meeting.category.in_(categories),
        Meeting.start_at >= demo_now(date(2026, 1, 1)))).scalars().all()
    months = {m.astimezone(LOCAL).month for m in rows}
    assert set(range(1, 12)) <= months
