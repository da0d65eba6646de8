"""Clashes: which endpoints a meeting books, who else holds them, and a bridge's peak load."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, func, select

from models import Bridge, Endpoint, EndpointBooking, Meeting, Unit, db
from models.database import among, id_batches
from models.endpoints import READY_STATUSES, ready_condition
from models.meetings import LONGEST_SESSION  # validation refuses longer sessions

Interval = tuple[datetime, datetime]


class BookableEndpoint(NamedTuple):
    id: int
    unit_id: int
    name: str
    address: str | None


def endpoints_to_book(unit_ids: Iterable[int], now: datetime, max_age_days: int,
                      with_details: bool = False) -> tuple[dict[int, BookableEndpoint], set[int]]:
    """One endpoint per unit (the first ready one, else the first installed one), and the ready
    units.

    Units whose endpoints are all planned, faulty or retired book nothing. The choice is made in
    one grouped query, so a unit with many endpoints costs one row; names and addresses are read
    only when asked for (the meeting page shows them, booking does not need them).
    """
    ids = list(unit_ids)
    ready_id = func.min(case((ready_condition(now, max_age_days), Endpoint.id)))
    chosen: dict[int, BookableEndpoint] = {}
    ready: set[int] = set()
    for batch in id_batches(ids):
        rows = db.session.execute(
            select(Endpoint.unit_id, ready_id, func.min(Endpoint.id))
            .where(among(Endpoint.unit_id, batch), Endpoint.status.in_(READY_STATUSES))
            .group_by(Endpoint.unit_id)).all()
        for unit_id, first_ready, first_any in rows:
            if first_ready is not None:
                ready.add(unit_id)
            chosen[unit_id] = BookableEndpoint(first_ready or first_any, unit_id, "", None)
    if with_details and chosen:
        by_id = {e.id: e for e in chosen.values()}
        keys = list(by_id)
        for i in range(0, len(keys), 900):
            for eid, name, address in db.session.execute(select(
                    Endpoint.id, Endpoint.name, Endpoint.address).where(Endpoint.id.in_(keys[i:i + 900]))):
                e = by_id[eid]
                chosen[e.unit_id] = e._replace(name=name, address=address)
    return chosen, ready


def overlaps(a: Interval, b: Interval) -> bool:
    """Half-open intervals [start, end): touching ends do not overlap."""
    return a[0] < b[1] and b[0] < a[1]


class BookedSlot(NamedTuple):
    """An active endpoint booking as the clash check reads it (columns, not an ORM object)."""

    meeting_id: int
    endpoint_id: int
    start_at: datetime
    end_at: datetime


def endpoint_clashes(endpoint_ids: Iterable[int], intervals: list[Interval],
                     exclude_meetings: Iterable[int] = ()) -> dict[int, list[BookedSlot]]:
    """For each interval's index, the active bookings of these endpoints that overlap it."""
    ids = list(endpoint_ids)
    if not ids or not intervals:
        return {}
    lo = min(s for s, _ in intervals)
    hi = max(e for _, e in intervals)
    excluded = list(exclude_meetings)
    found: list[BookedSlot] = []
    for batch in id_batches(ids):
        stmt = select(EndpointBooking.meeting_id, EndpointBooking.endpoint_id, EndpointBooking.start_at,
                      EndpointBooking.end_at).where(
            among(EndpointBooking.endpoint_id, batch), EndpointBooking.active.is_(True),
            EndpointBooking.start_at < hi, EndpointBooking.start_at > lo - LONGEST_SESSION,
            EndpointBooking.end_at > lo)
        if excluded:
            stmt = stmt.where(EndpointBooking.meeting_id.not_in(excluded))
        found += (BookedSlot(*row) for row in db.session.execute(stmt))
    out: dict[int, list[BookedSlot]] = defaultdict(list)
    for b in found:
        for index, interval in enumerate(intervals):
            if overlaps((b.start_at, b.end_at), interval):
                out[index].append(b)
    return dict(out)


def peak_ports(sessions: Iterable[tuple[datetime, datetime, int]], window: Interval) -> int:
    """The most ports in use at any instant inside `window`, by a sweep over start/end events."""
    events: list[tuple[datetime, int]] = []
    for start, end, ports in sessions:
        start, end = max(start, window[0]), min(end, window[1])
        if start < end and ports:
            events.append((start, ports))
            events.append((end, -ports))
    # Ends sort before starts at the same instant: back-to-back sessions do not add up.
    events.sort(key=lambda ev: (ev[0], ev[1]))
    peak = current = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def bridge_sessions(bridge_id: int, lo: datetime, hi: datetime,
                    exclude_meetings: Iterable[int] = ()) -> list[Meeting]:
    """Live meetings on a bridge that overlap [lo, hi)."""
    stmt = select(Meeting).where(Meeting.bridge_id == bridge_id, Meeting.status != "cancelled",
                                 Meeting.start_at < hi, Meeting.start_at > lo - LONGEST_SESSION,
                                 Meeting.end_at > lo, Meeting.ports > 0)
    excluded = list(exclude_meetings)
    if excluded:
        stmt = stmt.where(Meeting.id.not_in(excluded))
    return list(db.session.scalars(stmt))


def conflict_entry(meeting: Meeting, units: Iterable[Unit], reason: str) -> dict:
    """A clash as the API reports it."""
    return {"meeting_id": meeting.id, "title": meeting.title,
            "start": meeting.start_at.isoformat(), "end": meeting.end_at.isoformat(),
            "units": sorted({u.ref for u in units}), "reason": reason}


def lock_bridge(bridge: Bridge) -> None:
    """Serialise bookings on one bridge: PostgreSQL row lock (SQLite's writer lock is enough)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(Bridge.id).where(Bridge.id == bridge.id).with_for_update())


#: PostgreSQL's refusals of an endpoint in two overlapping active bookings: the holds' exclusion
#: and their trigger (migration 0010_series), and the bookings' own exclusion before it
CLASH_CONSTRAINTS = ("ex_endpoint_holds_no_overlap", "ex_endpoint_bookings_no_overlap")


def is_clash_refusal(exc: Exception) -> bool:
    """Whether a database error is the clash guard refusing a write (SQLSTATE 23P01 on one of
    CLASH_CONSTRAINTS), as opposed to any other integrity error."""
    orig = getattr(exc, "orig", exc)
    diag = getattr(orig, "diag", None)
    return getattr(orig, "sqlstate", None) == "23P01" and \
        getattr(diag, "constraint_name", None) in CLASH_CONSTRAINTS
