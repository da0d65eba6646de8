"""Frozen reports: a version is never changed; freezing again adds the next version."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from models import ReportSnapshot, db
from models.audit import record
from models.base import utcnow
from models.database import write_transaction
from models.users import User

from .online_ratio import COUNTS, assemble, count_by_organizer, district_table
from .periods import Period, current_month, month_before, parse_period
from .shapes import FigureChange, Report, Row
from .targets import rules_for_year


def freeze_report(period: Period | str, actor: User | None = None,
                  now: datetime | None = None) -> ReportSnapshot:
    """Store the period's figures as they stand now, as the next version."""
    period = parse_period(period) if isinstance(period, str) else period
    now = now or utcnow()
    rules = rules_for_year(period.year)
    counts, units = count_by_organizer(period, rules, now)
    units.update(district_table())
    data = {"period": period.label, "frozen_at": now.isoformat(), "rules": rules,
            "counts": {str(u): c for u, c in counts.items()},
            "units": {str(u): units[u] for u in sorted(units)}}
    with write_transaction():
        version = (db.session.scalar(select(func.max(ReportSnapshot.version))
                                     .where(ReportSnapshot.period == period.label)) or 0) + 1
        snap = ReportSnapshot(period=period.label, version=version, data=data, created_at=now,
                              created_by_id=getattr(actor, "id", None))
        db.session.add(snap)
        db.session.flush()
        record(actor, "freeze", "report_snapshot", snap.id, None,
               {"period": period.label, "version": version})
    return snap


def freeze_last_month(now: datetime, force: bool = False) -> ReportSnapshot | None:
    """The monthly job: freeze last month once; a second call this month does nothing unless forced."""
    period = month_before(now)
    if not force:
        since = current_month(now).start
        done = db.session.scalar(select(ReportSnapshot.id).where(
            ReportSnapshot.period == period.label, ReportSnapshot.created_at >= since).limit(1))
        if done is not None:
            return None
    return freeze_report(period, None, now)


def versions(period: str) -> list[ReportSnapshot]:
    """The frozen versions of a period, oldest first."""
    return list(db.session.scalars(select(ReportSnapshot).where(ReportSnapshot.period == period)
                                   .order_by(ReportSnapshot.version)))


def get_version(period: str, version: int) -> ReportSnapshot | None:
    return db.session.scalar(select(ReportSnapshot).where(
        ReportSnapshot.period == period, ReportSnapshot.version == version))


def frozen_report(snap: ReportSnapshot, scope: set[int] | None = None) -> Report:
    """The report a snapshot holds, seen through `scope` as the live one would be."""
    data = snap.data
    units = {int(k): v for k, v in data["units"].items()}
    counts = {int(k): v for k, v in data["counts"].items()}
    report = assemble(data["period"], parse_period(data["period"]).first_day, data["rules"],
                      counts, units, scope)
    return {**report, "frozen": True, "version": snap.version, "frozen_at": data["frozen_at"]}


def _keyed(report: Report) -> dict[tuple[str, str], Row]:
    out = {("rule", r["code"]): r for r in report["rules"]}
    out[("not_covered", "")] = report["not_covered"]
    out.update({("organizer", r["unit"]): r for r in report["organizers"]})
    out.update({("district", r["unit"]): r for r in report["districts"]})
    return out


def diff_reports(frozen: Report, live: Report) -> list[FigureChange]:
    """Every figure that differs: {section, key, name, field, frozen, live}."""
    a, b = _keyed(frozen), _keyed(live)
    changes = []
    for key in list(a) + [k for k in b if k not in a]:
        old, new = a.get(key, {}), b.get(key, {})
        for field in (*COUNTS, "ratio"):
            if old.get(field) != new.get(field):
                changes.append({"section": key[0], "key": key[1],
                                "name": new.get("name") or new.get("unit_name")
                                or old.get("name") or old.get("unit_name") or "",
                                "field": field, "frozen": old.get(field), "live": new.get(field)})
    return changes
