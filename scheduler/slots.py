"""The slot finder: earliest times in working hours when every endpoint and the bridge are free.

It works from the bookings' intervals (one query for the endpoints, one for the bridge),
merging busy time and walking the free gaps, rather than probing slot after slot.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from models import Bridge, EndpointBooking, Meeting, Unit, db
from models.base import LOCAL

from .clashes import LONGEST_SESSION, endpoints_to_book
from .working_calendar import WorkingCalendar

STEP = timedelta(minutes=30)
Interval = tuple[datetime, datetime]


def parse_working_hours(spec: str) -> list[tuple[time, time]]:
    """'08:00-12:00,13:00-17:00' as pairs of local times."""
    out = []
    for part in spec.split(","):
        a, b = part.strip().split("-")
        out.append((time.fromisoformat(a), time.fromisoformat(b)))
    return out


def working_windows(start: datetime, end: datetime, hours: list[tuple[time, time]],
                    days: set[int], calendar: WorkingCalendar | None = None) -> list[Interval]:
    """Working-hour intervals (UTC) inside [start, end), by local date and weekday.

    With a `calendar`, its working days (holidays skipped, swapped Saturdays worked) replace
    the plain weekdays `days`.
    """
    out: list[Interval] = []
    day: date = start.astimezone(LOCAL).date()
    last: date = end.astimezone(LOCAL).date()
    while day <= last:
        if (calendar.is_working(day) if calendar is not None else day.weekday() in days):
            for a, b in hours:
                lo = datetime.combine(day, a, LOCAL).astimezone(UTC)
                hi = datetime.combine(day, b, LOCAL).astimezone(UTC)
                lo, hi = max(lo, start), min(hi, end)
                if lo < hi:
                    out.append((lo, hi))
        day += timedelta(days=1)
    return out


def merge(intervals: list[Interval]) -> list[Interval]:
    """Union of half-open intervals, sorted."""
    out: list[Interval] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def subtract(windows: list[Interval], busy: list[Interval]) -> list[Interval]:
    """Windows minus merged busy intervals (both sorted)."""
    out: list[Interval] = []
    i = 0
    for lo, hi in windows:
        cursor = lo
        while i < len(busy) and busy[i][1] <= lo:
            i += 1
        j = i
        while j < len(busy) and busy[j][0] < hi:
            if busy[j][0] > cursor:
                out.append((cursor, busy[j][0]))
            cursor = max(cursor, busy[j][1])
            j += 1
        if cursor < hi:
            out.append((cursor, hi))
    return out


def bridge_full(bridge: Bridge, needed: int, lo: datetime, hi: datetime) -> list[Interval]:
    """Intervals inside [lo, hi) when the bridge lacks `needed` free ports."""
    rows = db.session.execute(select(Meeting.start_at, Meeting.end_at, Meeting.ports).where(
        Meeting.bridge_id == bridge.id, Meeting.status != "cancelled", Meeting.ports > 0,
        Meeting.start_at < hi, Meeting.start_at > lo - LONGEST_SESSION, Meeting.end_at > lo)).all()
    events = sorted([(s, p) for s, _, p in rows] + [(e, -p) for _, e, p in rows],
                    key=lambda ev: (ev[0], ev[1]))
    full: list[Interval] = []
    used, since = 0, None
    for instant, delta in events:
        used += delta
        over = used + needed > bridge.capacity
        if over and since is None:
            since = instant
        elif not over and since is not None:
            full.append((since, instant))
            since = None
    if needed > bridge.capacity:
        return [(lo, hi)]
    return full


def find_slots(units: list[Unit], duration: timedelta, start: datetime, end: datetime,
               bridge: Bridge | None, now: datetime, working_hours: str = "08:00-12:00,13:00-17:00",
               working_days: set[int] = frozenset(range(5)), max_age_days: int = 30,
               limit: int = 10, calendar: WorkingCalendar | None = None) -> list[Interval]:
    """The earliest `limit` slots of `duration` where all units' endpoints (and ports) are free.

    Only working days are offered: Vietnam's holidays and the office's days off are skipped,
    its swapped working Saturdays offered (`calendar`, read from the database when omitted).
    """
    if calendar is None:
        calendar = WorkingCalendar.from_db(working_days)
    start = max(start, now)
    endpoints, _ready = endpoints_to_book([u.id for u in units], now, max_age_days)
    ids = [e.id for e in endpoints.values()]
    busy: list[Interval] = []
    for i in range(0, len(ids), 900):
        busy += db.session.execute(select(EndpointBooking.start_at, EndpointBooking.end_at).where(
            EndpointBooking.endpoint_id.in_(ids[i:i + 900]), EndpointBooking.active.is_(True),
            EndpointBooking.start_at < end, EndpointBooking.start_at > start - LONGEST_SESSION,
            EndpointBooking.end_at > start)).all()
    busy = [(s, e) for s, e in busy]
    if bridge is not None:
        busy += bridge_full(bridge, len(ids), start, end)
    windows = working_windows(start, end, parse_working_hours(working_hours), set(working_days),
                              calendar)
    free = subtract(windows, merge(busy))
    slots: list[Interval] = []
    for lo, hi in free:
        candidate = _round_up(lo)
        while candidate + duration <= hi and len(slots) < limit:
            slots.append((candidate, candidate + duration))
            candidate += STEP
        if len(slots) >= limit:
            break
    return slots


def _round_up(instant: datetime) -> datetime:
    """Up to the next quarter hour."""
    extra = (-instant.minute) % 15
    rounded = instant.replace(second=0, microsecond=0) + timedelta(minutes=extra)
    if rounded < instant:
        rounded += timedelta(minutes=15)
    return rounded
