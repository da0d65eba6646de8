"""Readiness: which endpoints and units are ready, and the share of ready communes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from .base import LOCAL, db
from .endpoints import READY_STATUSES, Endpoint, ready_condition, ready_condition_at
from .lru import LRU
from .units import Unit, in_force


def unit_ready_expr(now: datetime, max_age_days: int, at: datetime | None = None):
    """A SQL boolean: the unit (Unit.id in the outer query) has a ready endpoint (at `at`, from
    the check history, when that is before `now`)."""
    ready = ready_condition_at(at, max_age_days) if at is not None and at < now else \
        ready_condition(now, max_age_days)
    return exists().where(Endpoint.unit_id == Unit.id, ready)


def ready_unit_ids(unit_ids, now: datetime, max_age_days: int) -> set[int]:
    """Of the given units, those that have a ready endpoint."""
    ids = list(unit_ids)
    out: set[int] = set()
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        out |= set(db.session.scalars(
            select(Endpoint.unit_id).where(Endpoint.unit_id.in_(chunk),
                                           ready_condition(now, max_age_days)).distinct()))
    return out


def readiness_clock(now: datetime, max_age_days: int) -> tuple:
    """What of the clock readiness at `now` depends on, as a cache key: the local date (the
    units in force) and the oldest passing check among the ready endpoints. Time alone only
    makes endpoints stop being ready, each when its check passes `max_age_days`; so until that
    oldest check goes stale (and while no write moves the data version) readiness at any later
    instant reads the same. One aggregate over the endpoints, instead of a key per minute."""
    from .data_version import data_version
    version = data_version()
    key = (str(db.engine.url), version, max_age_days)
    known = _clocks.get_many([key]).get(key)
    # still true while the oldest ready check then has not gone stale since (none became ready
    # by the clock alone; a write moves the version)
    if known is None or known[0] > now or (known[1] is not None and
                                           now - known[1] > timedelta(days=max_age_days)):
        oldest = db.session.scalar(select(func.min(Endpoint.last_check_at))
                                   .where(ready_condition(now, max_age_days)))
        known = (now, oldest)
        if version is not None:
            _clocks.put_many({key: known})
    return now.astimezone(LOCAL).date(), known[1]


#: readiness_clock's oldest ready check per (database, data version, allowed age): when read
_clocks: LRU[tuple] = LRU(64)


@dataclass
class ReadinessRow:
    unit: Unit | None
    ready: int
    total: int

    @property
    def share(self) -> float | None:
        return round(100.0 * self.ready / self.total, 1) if self.total else None


def readiness(now: datetime, max_age_days: int, parent: Unit | None = None, at: datetime | None = None,
              among: set[int] | None = None) -> tuple[ReadinessRow, list[ReadinessRow]]:
    """Ready communes over the communes in force, overall and per district (one grouped query).

    among: only these units (a province's, `reports.access.province_ids`).
    at: the instant to read (default now); the communes are those in force on its local date,
    so the share's denominator changes on the day of a reorganisation (526 to 126 in Hà Nội on
    1 July 2025), and an instant before now reads readiness from the check history.
    """
    at = at or now
    district = aliased(Unit)
    ready = case((unit_ready_expr(now, max_age_days, at), 1), else_=0)
    stmt = (
        select(Unit.parent_id, func.count(Unit.id), func.sum(ready))
        .where(Unit.level == "commune", in_force(at.astimezone(LOCAL).date()))
        .group_by(Unit.parent_id)
    )
    if parent is not None:
        if parent.level == "district":
            stmt = stmt.where(Unit.parent_id == parent.id)
        elif parent.level == "commune":
            stmt = stmt.where(Unit.id == parent.id)
    if among is not None:  # one province of several
        stmt = stmt.where(Unit.id.in_(sorted(among)))
    rows = db.session.execute(stmt).all()
    parents = {u.id: u for u in db.session.scalars(
        select(district).where(district.id.in_([r[0] for r in rows if r[0] is not None])))}
    per_district = [ReadinessRow(parents.get(pid), int(r or 0), int(t))
                    for pid, t, r in rows if pid in parents and parents[pid].level == "district"]
    per_district.sort(key=lambda r: r.unit.code)
    overall = ReadinessRow(None, sum(int(r or 0) for _, _, r in rows), sum(int(t) for _, t, _ in rows))
    return overall, per_district


#: why a commune is (not) ready, in the order the rule decides it
STATES = ("ready", "no_endpoint", "faulty", "stale", "unchecked")


@dataclass
class CommuneState:
    """One commune's readiness and its reason; `since` is the day a stale check went stale."""

    unit: Unit
    state: str
    last_check_at: datetime | None
    since: datetime | None


def _aware(value):
    """An aggregate of a UTC column, aware whatever the driver gives back."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def commune_states(now: datetime, max_age_days: int, district: Unit | None = None,
                   not_ready_only: bool = False) -> list[CommuneState]:
    """Each commune in force's state, from the same rule as `readiness` (`unit_ready_expr`).

    Not ready, the reason is the first that holds: no endpoint that is not retired; an endpoint
    marked faulty or whose latest check failed; a passing check older than `max_age_days`
    (stale since that check plus the allowed age); otherwise never checked.
    """
    other = aliased(Endpoint)
    live = and_(other.unit_id == Unit.id, other.status != "retired")
    is_ready = unit_ready_expr(now, max_age_days)
    stmt = (select(Unit, is_ready, func.count(other.id),
                   func.max(case((or_(other.status == "faulty", other.last_check_passed.is_(False)), 1),
                                 else_=0)),
                   func.max(case((and_(other.status.in_(READY_STATUSES),
                                       other.last_check_passed.is_(True)), other.last_check_at))),
                   func.max(other.last_check_at))
            .outerjoin(other, live)
            .where(Unit.level == "commune", in_force(now.astimezone(LOCAL).date()))
            .group_by(Unit.id))
    if district is not None:
        stmt = stmt.where(Unit.parent_id == district.id)
    if not_ready_only:
        stmt = stmt.where(~is_ready)
    out = []
    for unit, ready, count, faulty, last_pass, last_check in db.session.execute(stmt):
        since = None
        if ready:
            state = "ready"
        elif not count:
            state = "no_endpoint"
        elif faulty:
            state = "faulty"
        elif last_pass is not None:
            state, since = "stale", _aware(last_pass) + timedelta(days=max_age_days)
        else:
            state = "unchecked"
        out.append(CommuneState(unit, state, _aware(last_check), since))
    out.sort(key=lambda s: (s.unit.parent.name if s.unit.parent else "", s.unit.search_name, s.unit.code))
    return out
