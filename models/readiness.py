"""Readiness: which endpoints and units are ready, and the share of ready communes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import aliased

from .base import LOCAL, db
from .endpoints import Endpoint, ready_condition, ready_condition_at
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


@dataclass
class ReadinessRow:
    unit: Unit | None
    ready: int
    total: int

    @property
    def share(self) -> float | None:
        return round(100.0 * self.ready / self.total, 1) if self.total else None


def readiness(now: datetime, max_age_days: int, parent: Unit | None = None, at: datetime | None = None
              ) -> tuple[ReadinessRow, list[ReadinessRow]]:
    """Ready communes over the communes in force, overall and per district (one grouped query).

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
    rows = db.session.execute(stmt).all()
    parents = {u.id: u for u in db.session.scalars(
        select(district).where(district.id.in_([r[0] for r in rows if r[0] is not None])))}
    per_district = [ReadinessRow(parents.get(pid), int(r or 0), int(t))
                    for pid, t, r in rows if pid in parents and parents[pid].level == "district"]
    per_district.sort(key=lambda r: r.unit.code)
    overall = ReadinessRow(None, sum(int(r or 0) for _, _, r in rows), sum(int(t) for _, t, _ in rows))
    return overall, per_district
