"""The demo year: the booking rules hold, series follow their rule, the same seed repeats."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from sqlalchemy import func, select, text

from models import ConnectivityCheck, Endpoint, Invitation, Meeting, Series, User, db
from models.base import LOCAL
from models.readiness import readiness
from models.registry_import import import_units
from scheduler.demo import BASE_MEETINGS, DemoError, generate_demo, plan_demo


@pytest.fixture
def legacy_units(app):
    """Hanoi as the 2019 plans knew it: 1 city, 30 districts, 526 communes, 22 departments."""
    import_units(1, "legacy")


def scalar(sql: str, **params):
    return db.session.execute(text(sql), params).scalar()


def forget_demo() -> None:
    """Remove what the generator made (the units stay)."""
    for table in ("endpoint_bookings", "invitations", "meetings", "series",
                  "connectivity_checks", "endpoints", "bridges"):
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()


def fingerprint() -> str:
    """A digest of every meeting's visible content, ids and uids left out."""
    rows = db.session.execute(text(
        "SELECT m.title, m.category, m.mode, m.status, m.outcome_mode, m.start_at, m.end_at, "
        "m.organizer_id, m.ports, m.revision, "
        "(SELECT COUNT(*) FROM invitations i WHERE i.meeting_id = m.id AND i.response = 'confirmed') "
        "FROM meetings m ORDER BY m.start_at, m.organizer_id, m.title, m.mode")).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_refuses_without_units(app):
    with pytest.raises(DemoError, match="import the city's units"):
        generate_demo(2019, scale=0.01)


@pytest.mark.parametrize("year, scale, message", [
    (datetime.now(UTC).year, 1.0, "must be over"),
    (2099, 1.0, "must be over"),
    (2019, 0, "scale"),
    (2019, -1, "scale"),
])
def test_refuses_bad_values(app, year, scale, message):
    with pytest.raises(DemoError, match=message):
        generate_demo(year, scale=scale)


@pytest.mark.slow
def test_year_keeps_the_booking_rules(legacy_units):
    counts = generate_demo(2019, seed=2, scale=0.02)
    assert counts["meetings"] == scalar("SELECT COUNT(*) FROM meetings") == round(BASE_MEETINGS * 0.02)
    assert counts["invitations"] == scalar("SELECT COUNT(*) FROM invitations")
    assert counts["bookings"] == scalar("SELECT COUNT(*) FROM endpoint_bookings") > 0
    # One endpoint is never in two overlapping active sessions, [start, end) half-open.
    assert scalar(
        "SELECT COUNT(*) FROM endpoint_bookings a JOIN endpoint_bookings b "
        "ON a.endpoint_id = b.endpoint_id AND a.id < b.id AND a.active AND b.active "
        "AND a.start_at < b.end_at AND b.start_at < a.end_at") == 0
    # No bridge over its capacity at the start of any session it carries.
    assert scalar(
        "SELECT COUNT(*) FROM meetings m JOIN bridges br ON br.id = m.bridge_id "
        "WHERE m.status <> 'cancelled' AND br.capacity < (SELECT SUM(o.ports) FROM meetings o "
        "WHERE o.bridge_id = m.bridge_id AND o.status <> 'cancelled' "
        "AND o.start_at <= m.start_at AND m.start_at < o.end_at)") == 0
    # Online and hybrid meetings book their endpoints and ports; in-person ones book nothing.
    assert scalar(
        "SELECT COUNT(*) FROM meetings m WHERE m.mode IN ('online', 'hybrid') AND (m.bridge_id IS NULL "
        "OR m.ports = 0 OR m.ports <> (SELECT COUNT(*) FROM endpoint_bookings b WHERE b.meeting_id = m.id "
        "AND b.start_at = m.start_at AND b.end_at = m.end_at AND b.active = (m.status <> 'cancelled')))") == 0
    assert scalar(
        "SELECT COUNT(*) FROM meetings m WHERE m.mode = 'in_person' AND (m.bridge_id IS NOT NULL "
        "OR m.ports <> 0 OR EXISTS (SELECT 1 FROM endpoint_bookings b WHERE b.meeting_id = m.id))") == 0
    # Held meetings say how they were held; the others do not.
    assert scalar("SELECT COUNT(*) FROM meetings WHERE (status = 'held') <> (outcome_mode IS NOT NULL)") == 0
    assert scalar("SELECT COUNT(*) FROM meetings WHERE outcome_at IS NOT NULL AND outcome_at < end_at") == 0
    # Only a held online meeting records who connected, and only units that booked could.
    assert scalar(
        "SELECT COUNT(*) FROM invitations i JOIN meetings m ON m.id = i.meeting_id WHERE "
        "(i.connected IS NOT NULL) <> (m.status = 'held' AND m.outcome_mode IN ('online', 'hybrid'))") == 0
    assert scalar(
        "SELECT COUNT(*) FROM invitations i WHERE i.connected AND NOT EXISTS (SELECT 1 FROM "
        "endpoint_bookings b WHERE b.meeting_id = i.meeting_id AND b.unit_id = i.unit_id)") == 0
    assert scalar(
        "SELECT COUNT(*) FROM invitations WHERE (response = 'declined' AND reason IS NULL) "
        "OR (response = 'confirmed' AND (attendee_name IS NULL OR NOT confirmed_before_start)) "
        "OR (response <> 'pending' AND responded_at IS NULL)") == 0
    assert_looks_like_hanoi()


def assert_looks_like_hanoi() -> None:
    """Working hours of 2019, past, mostly held; series as their rule says; Hanoi's readiness."""
    now = datetime.now(UTC)
    meetings = db.session.scalars(select(Meeting)).all()
    for m in meetings:
        start, end = m.start_at.astimezone(LOCAL), m.end_at.astimezone(LOCAL)
        assert start.year == 2019 and start.weekday() < 5 and m.end_at < now
        assert (8, 0) <= (start.hour, start.minute) and (end.hour, end.minute) <= (17, 0)
        assert 0 <= m.revision <= 2 and m.created_at < m.start_at and m.created_at <= m.updated_at
    statuses = {s: sum(m.status == s for m in meetings) for s in ("held", "cancelled", "scheduled")}
    assert statuses["held"] > 0.9 * len(meetings) and statuses["cancelled"] and statuses["scheduled"]
    # Every Series' occurrences are exactly the instants its rule generates.
    for series in db.session.scalars(select(Series)):
        start = series.dtstart_local.replace(tzinfo=ZoneInfo(series.timezone))
        expected = {d.astimezone(UTC) for d in rrulestr(series.rrule, dtstart=start)}
        occurrences = [m for m in meetings if m.series_id == series.id]
        assert {m.recurrence_id for m in occurrences} == expected
        assert len({m.uid for m in occurrences}) == len(occurrences)
    city = db.session.scalars(select(Series).where(Series.rrule.like("%BYDAY=MO%"))).all()
    city = [s for s in city if s.meetings[0].organizer.level == "city"]
    assert len(city) == 1 and city[0].meetings[0].category == "giao_ban"
    occurrences = city[0].meetings
    assert sum(m.status == "cancelled" for m in occurrences) == 1
    assert sum(m.start_at != m.recurrence_id for m in occurrences) >= 1
    assert len(occurrences[0].invitations) == 578  # 30 districts, 526 communes, 22 departments
    # Each endpoint mirrors its newest check; today most communes are ready.
    newest: dict[int, tuple] = {}
    for endpoint_id, at, passed in db.session.execute(select(
            ConnectivityCheck.endpoint_id, ConnectivityCheck.checked_at, ConnectivityCheck.passed)):
        newest[endpoint_id] = max(newest.get(endpoint_id, (at, passed)), (at, passed))
    for endpoint_id, at, passed in db.session.execute(select(
            Endpoint.id, Endpoint.last_check_at, Endpoint.last_check_passed)):
        assert (at, passed) == newest.get(endpoint_id, (None, None))
    overall, districts = readiness(now, 30)
    assert overall.total == 526 and 80 <= overall.share <= 95 and len(districts) == 30


@pytest.mark.slow
def test_same_seed_same_year_and_scale_multiplies(legacy_units):
    first = generate_demo(2019, seed=5, scale=0.01)
    digest = fingerprint()
    forget_demo()
    again = generate_demo(2019, seed=5, scale=0.01)
    assert {k: v for k, v in again.items() if k != "checks"} == \
        {k: v for k, v in first.items() if k != "checks"}
    assert fingerprint() == digest
    # A second, bigger run on top avoids the sessions already booked.
    bigger = generate_demo(2019, seed=9, scale=0.03)
    assert bigger["meetings"] == 3 * first["meetings"] == 3 * round(BASE_MEETINGS * 0.01)
    assert bigger["invitations"] > first["invitations"] and bigger["endpoints"] == 0
    assert scalar("SELECT COUNT(*) FROM series") == 2 * first["series"]
    assert scalar(
        "SELECT COUNT(*) FROM endpoint_bookings a JOIN endpoint_bookings b "
        "ON a.endpoint_id = b.endpoint_id AND a.id < b.id AND a.active AND b.active "
        "AND a.start_at < b.end_at AND b.start_at < a.end_at") == 0


class Tally:
    """A writer that counts what the planner hands it instead of inserting it."""

    def __init__(self):
        self.added = self.invitations = 0
        self.by_level: dict[str, list[int]] = {}  # level -> [meetings, online]

    def add(self, planned) -> None:
        self.added += 1
        self.invitations += len(planned.participants)
        row = self.by_level.setdefault(planned.organizer["level"], [0, 0])
        row[0] += 1
        row[1] += planned.mode != "in_person"
        assert planned.mode == "in_person" or len(planned.bookings) > 0


@pytest.mark.slow
def test_full_scale_plans_a_realistic_year(legacy_units):
    """Planning reads the units and their endpoints from the database: checked on each engine."""
    tally = Tally()
    counts = plan_demo(2019, 1, 1.0, tally, datetime.now(UTC))
    assert tally.added >= 40_000 and tally.invitations >= 150_000
    assert counts["series"] == 31 and counts["endpoints"] >= 579
    online = {level: 100 * n_online / n for level, (n, n_online) in tally.by_level.items()}
    assert 75 <= online["city"] <= 95 and 20 <= online["commune"] <= 35
    assert 30 <= online["department"] <= 50


def test_cli_generates_once_with_if_empty(legacy_units, runner):
    result = runner.invoke(args=["demo", "generate", "--year", "2019", "--scale", "0.01",
                                 "--if-empty"])
    assert result.exit_code == 0, result.output
    meetings = db.session.scalar(select(func.count(Meeting.id)))
    invitations = db.session.scalar(select(func.count(Invitation.id)))
    assert f"{meetings} meetings" in result.output and f"{invitations} invitations" in result.output
    for email in ("demo.vanphong@giaoban.local", "demo.phuongphucxa@giaoban.local"):
        assert email in result.output
    clerk = db.session.scalar(select(User).where(User.email == "demo.phuongphucxa@giaoban.local"))
    assert clerk.role == "clerk" and clerk.unit.ref == "legacy:00001"
    password = next(line.split()[-1] for line in result.output.splitlines() if clerk.email in line)
    assert clerk.check_password(password)
    again = runner.invoke(args=["demo", "generate", "--year", "2019", "--if-empty"])
    assert again.exit_code == 0 and "nothing generated" in again.output
    assert db.session.scalar(select(func.count(Meeting.id))) == meetings


def test_cli_says_what_is_missing(runner):
    result = runner.invoke(args=["demo", "generate", "--year", "2019"])
    assert result.exit_code == 1 and "import the city's units" in result.output
