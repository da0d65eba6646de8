"""Booking verbs: book a meeting or a series, with clashes and bridge capacity enforced."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypedDict

from sqlalchemy import false, insert, literal_column, select, true
from sqlalchemy.exc import IntegrityError

from models import AuditLog, Endpoint, EndpointBooking, Invitation, Meeting, Series, Unit, audit, db
from models.base import LOCAL, single_line_rows, utcnow
from models.database import write_transaction
from models.errors import N_, Conflict, Forbidden, Msg, ValidationFailed
from models.meetings import ONLINE_MODES
from models.permissions import can_organize_for
from models.users import User

from .clashes import (
    bridge_sessions,
    conflict_entry,
    endpoint_clashes,
    endpoints_to_book,
    lock_bridge,
    peak_ports,
)
from .outcomes import apply_outcome, clean_outcome
from .participants import resolve_participants
from .recurrence import expand, normalise_rrule
from .signals import meetings_saved
from .validation import clean_fields, resolve_bridge, resolve_organizer
from .working_calendar import WorkingCalendar

WEEKEND_NAMES = {5: "Thứ Bảy", 6: "Chủ nhật"}  # a plain weekend day, named as the holidays are

AUDIT_FIELDS = ("title", "category", "mode", "start_at", "end_at", "location", "description",
                "bridge_id", "status", "revision", "organizer_id", "series_id")


class OutcomeRequest(TypedDict, total=False):
    """How a meeting went: held (with the mode and the units that connected) or cancelled."""

    status: str
    mode: str
    connected: list[str]


class BookingRequest(TypedDict, total=False):
    """What the API, the booking page and the demo hand to `book_meeting` (the verb checks it).

    Times are aware datetimes; units are refs ("legacy:001", "STTTT") or selectors
    ("all:districts", "subtree:<ref>", ...); `outcome` records a past meeting instead.
    """

    title: str
    category: str
    organizer: str
    mode: str
    start: datetime
    end: datetime
    participants: list[str]
    bridge: int | None
    rrule: str | None
    strict: bool
    skip_holidays: bool
    description: str | None
    location: str | None
    outcome: OutcomeRequest | None


@dataclass
class Booking:
    """What a booking made: its meetings (one per occurrence), the series, and warnings."""

    meetings: list[Meeting]
    series: Series | None = None
    warnings: dict[str, list] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)  # occurrences left out on days off


def new_uid() -> str:
    return f"{uuid.uuid4()}@giaoban"


@dataclass
class Plan:
    """What a booking would hold: the units, their endpoints and the occurrences' times."""

    organizer: Unit
    participants: list[Unit]
    mode: str
    bridge: Any
    intervals: list[tuple[datetime, datetime]]
    endpoints: dict = field(default_factory=dict)   # unit id -> Endpoint
    ready: set = field(default_factory=set)
    holidays: list[dict] = field(default_factory=list)  # occurrences on named days off
    skipped: list[dict] = field(default_factory=list)   # occurrences skipped on days off

    @property
    def online(self) -> bool:
        return self.mode in ONLINE_MODES

    def not_ready(self) -> list[str]:
        units = [self.organizer, *self.participants]
        return [u.ref for u in units if u.id not in self.ready]


def check_plan(plan: Plan, exclude: list[int] = ()) -> list[dict]:
    """Every clash of the plan with what is booked, per occurrence; empty when it fits."""
    if not plan.online:
        return []
    conflicts: list[dict] = []
    endpoint_ids = [e.id for e in plan.endpoints.values()]
    units = {u.id: u for u in (plan.organizer, *plan.participants)}
    unit_by_endpoint = {e.id: units[e.unit_id] for e in plan.endpoints.values()}
    clashes = endpoint_clashes(endpoint_ids, plan.intervals, exclude)
    for index, bookings in sorted(clashes.items()):
        by_meeting: dict[int, list] = {}
        for b in bookings:
            by_meeting.setdefault(b.meeting_id, []).append(unit_by_endpoint[b.endpoint_id])
        for meeting_id, units in sorted(by_meeting.items()):
            entry = conflict_entry(db.session.get(Meeting, meeting_id), units, "endpoint")
            entry["occurrence"] = plan.intervals[index][0].isoformat()
            conflicts.append(entry)
    if plan.bridge is not None:
        needed = len(endpoint_ids)
        lo = min(s for s, _ in plan.intervals)
        hi = max(e for _, e in plan.intervals)
        sessions = bridge_sessions(plan.bridge.id, lo, hi, exclude)
        for start, end in plan.intervals:
            here = [m for m in sessions if m.start_at < end and m.end_at > start]
            peak = peak_ports(((m.start_at, m.end_at, m.ports) for m in here), (start, end))
            if peak + needed > plan.bridge.capacity:
                for m in here:
                    entry = conflict_entry(m, [], "bridge_capacity")
                    entry.update(occurrence=start.isoformat(), bridge=plan.bridge.name,
                                 capacity=plan.bridge.capacity, in_use=peak, needed=needed)
                    conflicts.append(entry)
                if not here:
                    conflicts.append({"meeting_id": None, "title": None, "start": start.isoformat(),
                                      "end": end.isoformat(), "units": [], "reason": "bridge_capacity",
                                      "occurrence": start.isoformat(), "bridge": plan.bridge.name,
                                      "capacity": plan.bridge.capacity, "in_use": 0,
                                      "needed": needed})
    return conflicts


def make_plan(values: dict, organizer: Unit, participants: list[Unit], bridge,
              intervals: list[tuple[datetime, datetime]], now: datetime, max_age_days: int) -> Plan:
    plan = Plan(organizer, participants, values["mode"], bridge, intervals)
    unit_ids = [organizer.id, *(u.id for u in participants)]
    plan.endpoints, plan.ready = endpoints_to_book(unit_ids, now, max_age_days)
    if not plan.online:
        plan.endpoints = {}
    return plan


def _day_off(calendar: WorkingCalendar, start: datetime) -> dict | None:
    """{"date", "name"} when the occurrence's local day is not worked, else None."""
    day = start.astimezone(LOCAL).date()
    if calendar.is_working(day):
        return None
    return {"date": day.isoformat(), "name": calendar.holiday_name(day),
            "weekend": calendar.holiday_name(day) is None}


def _apply_calendar(data: dict, intervals: list, calendar: WorkingCalendar):
    """The intervals to book, the named days off they fall on, and those skipped.

    With `skip_holidays` a series leaves out every occurrence on a non-working day (holiday,
    office day off or weekend): no meeting rows, the dates kept as the series' EXDATEs.
    """
    kept, holidays_hit, skipped = [], [], []
    for interval in intervals:
        off = _day_off(calendar, interval[0])
        if off is None:
            kept.append(interval)
            continue
        name = off["name"] or WEEKEND_NAMES.get(date.fromisoformat(off["date"]).weekday())
        entry = {"date": off["date"], "start": interval[0].astimezone(UTC).isoformat(), "name": name}
        if data.get("skip_holidays") and data.get("rrule"):
            skipped.append(entry)
            continue
        kept.append(interval)
        if not off["weekend"]:
            holidays_hit.append(entry)
    if not kept:
        raise ValidationFailed({"rrule": N_("Every occurrence falls on a day off.")})
    return kept, holidays_hit, skipped


def _prepare(data: BookingRequest, actor: User, now: datetime, max_age_days: int,
             calendar: WorkingCalendar | None = None):
    """Validate a booking request; returns the values, plan and series parts, or raises."""
    errors: dict[str, Any] = {}
    values = clean_fields(data, partial=False, errors=errors)
    organizer = resolve_organizer(data.get("organizer"), errors)
    bridge = resolve_bridge(data.get("bridge"), errors)
    participants: list[Unit] = []
    try:
        participants = resolve_participants(data.get("participants") or [], organizer)
    except ValidationFailed as exc:
        errors.update({k: v for k, v in exc.details.items()})
    outcome = data.get("outcome")
    rrule = data.get("rrule")
    if values.get("mode") in ONLINE_MODES and outcome is None:
        if not participants and "participants" not in errors:
            errors["participants"] = N_("An online meeting needs at least one participant.")
        if bridge is None and "bridge" not in errors:
            errors["bridge"] = N_("An online or hybrid meeting needs a bridge.")
    if outcome is not None:
        if rrule:
            errors["rrule"] = N_("A past meeting is recorded alone, not as a series.")
        if "end" in values and values["end"] > now:
            errors["outcome"] = N_("Only a meeting that has ended can be recorded with its outcome.")
    elif "start" in values and values["start"] < now:
        errors["start"] = N_("The start is in the past: book upcoming meetings only "
                              "(or record a past one with its outcome).")
    if errors:
        raise ValidationFailed(errors)
    if not can_organize_for(actor, organizer):
        raise Forbidden(N_("You may not book meetings for %(unit)s."), unit=organizer.name)
    duration = values["end"] - values["start"]
    series_parts = None
    if rrule:
        rule = normalise_rrule(rrule)
        dtstart_local = values["start"].astimezone(LOCAL).replace(tzinfo=None)
        starts = expand(rule, dtstart_local)
        series_parts = (rule, dtstart_local, starts)
        intervals = [(s, s + duration) for s in starts]
        for (_a, b), (c, _d) in zip(intervals, intervals[1:]):
            if c < b:
                raise ValidationFailed({"rrule": N_("Occurrences would overlap each other.")})
    else:
        intervals = [(values["start"], values["end"])]
    holidays_hit, skipped = [], []
    if outcome is None:
        calendar = calendar if calendar is not None else WorkingCalendar.from_db()
        intervals, holidays_hit, skipped = _apply_calendar(data, intervals, calendar)
        if series_parts is not None and skipped:
            series_parts = (*series_parts[:2], [s for s, _ in intervals], [e["date"] for e in skipped])
    if outcome is not None:
        bridge = None
    plan = make_plan(values, organizer, participants, bridge, intervals, now, max_age_days)
    plan.holidays, plan.skipped = holidays_hit, skipped
    if outcome is not None:
        plan.endpoints = {}
    return values, plan, series_parts, outcome


def preview_booking(data: BookingRequest, actor: User, now: datetime, max_age_days: int = 30,
                    calendar: WorkingCalendar | None = None) -> dict:
    """What booking would say, without writing: {"conflicts": [...], "warnings": {...}}."""
    _values, plan, _series, _outcome = _prepare(data, actor, now, max_age_days, calendar)
    warnings = {"not_ready": plan.not_ready()}
    if plan.holidays:
        warnings["holiday"] = plan.holidays
    return {"conflicts": check_plan(plan), "warnings": warnings,
            "occurrences": [s.isoformat() for s, _ in plan.intervals], "skipped": plan.skipped}


def book_meeting(data: BookingRequest, actor: User, now: datetime, max_age_days: int = 30,
                 calendar: WorkingCalendar | None = None) -> Booking:
    """Book a meeting, or a whole series, or record a past meeting with its outcome.

    `data`: title, category, organizer (ref), mode, start, end (aware), participants (refs or
    selectors), bridge (id), rrule, strict, skip_holidays, description, location, outcome.
    A meeting on a named day off (Tết, 30/4, an office day off) is booked with
    `warnings["holiday"]`; `strict` refuses it; a series with `skip_holidays` leaves out its
    occurrences on non-working days and lists them in `Booking.skipped`.
    :raise ValidationFailed: bad fields (nothing written).
    :raise Forbidden: the actor may not organise for that unit.
    :raise Conflict: an endpoint or the bridge is taken; details name the clashes.
    """
    plan = None
    try:
        with write_transaction():  # validation reads inside the writer's transaction: nothing goes stale
            values, plan, series_parts, outcome_data = _prepare(data, actor, now, max_age_days, calendar)
            not_ready = plan.not_ready()
            if data.get("strict") and plan.holidays and outcome_data is None:
                raise ValidationFailed(
                    {"start": [Msg(N_("%(day)s: %(name)s"), day=h["date"], name=h["name"])
                               for h in plan.holidays]},
                    N_("The meeting falls on a day off (strict booking)."))
            if data.get("strict") and not_ready and outcome_data is None:
                names = {u.ref: u.name for u in plan.participants}
                raise ValidationFailed(
                    {"participants": [Msg(N_("%(unit)s has no ready endpoint."), unit=names.get(ref, ref))
                                      for ref in not_ready]},
                    N_("Some participants have no ready endpoint (strict booking)."))
            outcome = None
            if outcome_data:
                outcome = clean_outcome(outcome_data, [u.ref for u in plan.participants])
            if plan.bridge is not None and plan.online:
                lock_bridge(plan.bridge)
            conflicts = check_plan(plan)
            if conflicts:
                raise _conflict(conflicts, len(plan.intervals))
            booking = _write(values, plan, series_parts, actor, now)
            if outcome is not None:
                booking.meetings[0].recorded_after = True
                apply_outcome(booking.meetings[0], outcome, actor, now)
            meetings_saved.send(None, meetings=booking.meetings, change="booked", actor=actor,
                                times_changed=True)
    except IntegrityError as exc:
        # A concurrent booking won the race; the exclusion constraint refused ours.
        if plan is None:
            raise
        raise _conflict(conflicts_after_refusal(plan), len(plan.intervals)) from exc
    booking.warnings = {"not_ready": not_ready if outcome is None else []}
    if plan.holidays:
        booking.warnings["holiday"] = plan.holidays
    booking.skipped = plan.skipped
    return booking


#: what a 409 lists when the database refused a write and the winner cannot be read back
UNNAMED_CLASH = {"meeting_id": None, "title": None, "start": None, "end": None, "units": [],
                 "reason": "concurrent_booking"}


def conflicts_after_refusal(plan: Plan, exclude: list[int] = ()) -> list[dict]:
    """The clashes to report when the database's constraint refused our rows: never empty.

    The winner of a race has committed when the constraint refuses, so a fresh read names it;
    an overlap on the plan's endpoints is searched without any bound on durations, and only if
    nothing at all is found is the clash reported without a name.
    """
    conflicts = check_plan(plan, exclude)
    if conflicts:
        return conflicts
    endpoint_ids = [e.id for e in plan.endpoints.values()]
    found = []
    for start, end in plan.intervals:
        stmt = select(EndpointBooking).where(
            EndpointBooking.endpoint_id.in_(endpoint_ids or [-1]), EndpointBooking.active.is_(True),
            EndpointBooking.start_at < end, EndpointBooking.end_at > start)
        if exclude:
            stmt = stmt.where(EndpointBooking.meeting_id.not_in(list(exclude)))
        for b in db.session.scalars(stmt.limit(50)):
            entry = conflict_entry(db.session.get(Meeting, b.meeting_id),
                                   [db.session.get(Unit, b.unit_id)], "endpoint")
            entry["occurrence"] = start.isoformat()
            found.append(entry)
    return found or [dict(UNNAMED_CLASH, occurrence=plan.intervals[0][0].isoformat())]


def _conflict(conflicts: list[dict], occurrences: int) -> Conflict:
    if occurrences > 1:
        clashing = sorted({c["occurrence"] for c in conflicts})
        return Conflict(N_("%(clashing)s of %(occurrences)s occurrences clash; the series was not booked."),
                        {"conflicts": conflicts}, clashing=len(clashing), occurrences=occurrences)
    return Conflict(N_("The booking clashes with other meetings."), {"conflicts": conflicts})


def bulk_insert(model, rows: list[dict]) -> None:
    """Insert many rows in one executemany (psycopg pipelines it), skipping the ORM's units of work."""
    if rows:
        db.session.execute(insert(model.__table__), single_line_rows(model.__table__, rows))


def _chunks(ids: list[int], size: int = 900):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def insert_invitations(meetings_where, unit_ids: list[int]) -> None:
    """Invite these units to every meeting matching `meetings_where`: one INSERT ... SELECT
    per 900 units, whatever the number of meetings."""
    table = Invitation.__table__
    for chunk in _chunks(unit_ids):
        db.session.execute(insert(table).from_select(
            ["meeting_id", "unit_id", "response", "confirmed_before_start"],
            select(Meeting.id, Unit.id, literal_column("'pending'"), false())
            .join(Unit, true())  # every meeting with every unit: a cross join on purpose
            .where(meetings_where, Unit.id.in_(chunk))))


def insert_bookings(meetings_where, endpoint_ids: list[int]) -> None:
    """Book these endpoints for every meeting matching `meetings_where`, over its times."""
    table = EndpointBooking.__table__
    for chunk in _chunks(endpoint_ids):
        db.session.execute(insert(table).from_select(
            ["meeting_id", "endpoint_id", "unit_id", "start_at", "end_at", "active"],
            select(Meeting.id, Endpoint.id, Endpoint.unit_id, Meeting.start_at, Meeting.end_at, true())
            .join(Endpoint, true()).where(meetings_where, Endpoint.id.in_(chunk))))


def _write(values: dict, plan: Plan, series_parts, actor: User, now: datetime) -> Booking:
    """Write the booking set-based: one statement per table for all occurrences (a 366-day
    series to 556 units is ~200,000 invitations and as many endpoint bookings)."""
    series = None
    if series_parts is not None:
        rule, dtstart_local = series_parts[0], series_parts[1]
        exdates = ",".join(series_parts[3]) if len(series_parts) > 3 else None
        series = Series(uid=new_uid(), rrule=rule, dtstart_local=dtstart_local, exdates=exdates,
                        duration_minutes=int((plan.intervals[0][1] - plan.intervals[0][0])
                                             .total_seconds() // 60))
        db.session.add(series)
        db.session.flush()
    bridge_id = plan.bridge.id if plan.bridge is not None and plan.online else None
    rows = [dict(uid=new_uid(), title=values["title"], description=values.get("description"),
                 category=values["category"], organizer_id=plan.organizer.id,
                 mode=values["mode"], start_at=start, end_at=end, location=values.get("location"),
                 bridge_id=bridge_id, ports=len(plan.endpoints), status="scheduled", revision=0,
                 series_id=series.id if series is not None else None,
                 recurrence_id=start if series is not None else None, outcome_mode=None,
                 outcome_at=None, outcome_by_id=None, recorded_after=False,
                 created_by_id=actor.id, created_at=now, updated_at=now)
            for start, end in plan.intervals]
    bulk_insert(Meeting, rows)  # one executemany; read back in one SELECT (RETURNING is per row on SQLite)
    where = (Meeting.series_id == series.id if series is not None else Meeting.uid == rows[0]["uid"])
    meetings = list(db.session.scalars(select(Meeting).where(where).order_by(Meeting.start_at)))
    insert_invitations(where, [u.id for u in plan.participants])
    insert_bookings(where, [e.id for e in plan.endpoints.values()])
    refs = [u.ref for u in plan.participants]
    at = utcnow()
    bulk_insert(AuditLog, [
        {"at": at, "actor_id": getattr(actor, "id", None), "action": "create", "entity_type": "meeting",
         "entity_id": m.id, "before": None,
         "after": audit.snapshot(m, AUDIT_FIELDS) | {"participants": refs}} for m in meetings])
    return Booking(meetings, series)
