"""The follow-up report: per lead unit and period, tasks assigned, done on time, done late,
overdue and still open, as of an instant.

A task belongs to the period its due day (a local date) falls in. At the instant `now` each
task stands in exactly one of four places (`models.followup.STANDINGS`), so assigned is
their sum: done before its deadline (the end of the due day, local) is on time, done at or
after it is late; not done is overdue from the deadline on, open before it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, or_, select

from models import Meeting, Unit, db
from models.base import LOCAL
from models.followup import STANDINGS, Conclusions, Task

from .periods import Period
from .sheets import Sheet

FIGURES = ("assigned", *STANDINGS)
HEADERS = ("Được giao", "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Quá hạn chưa hoàn thành",
           "Đang thực hiện trong hạn")
STANDING_NAMES = dict(zip(STANDINGS, HEADERS[1:], strict=True))


def standing_conditions(now: datetime) -> dict:
    """The SQL form of `Task.standing` at `now`, one condition per standing."""
    done = Task.done_at.is_not(None)
    return {"done_on_time": and_(done, Task.done_at < Task.deadline_at),
            "done_late": and_(done, Task.done_at >= Task.deadline_at),
            "overdue": and_(Task.done_at.is_(None), Task.deadline_at <= now),
            "open": and_(Task.done_at.is_(None), Task.deadline_at > now)}


def _base(period: Period, scope: set[int] | None):
    """Published tasks due in the period, of meetings organised in scope or led by a unit in it."""
    last = period.end.astimezone(LOCAL).date()
    conditions = [Conclusions.status == "published", Task.due_on >= period.first_day, Task.due_on < last]
    if scope is not None:
        conditions.append(or_(Task.lead_unit_id.in_(scope), Meeting.organizer_id.in_(scope)))
    return conditions


def _joined(stmt):
    return (stmt.join(Conclusions, Conclusions.id == Task.conclusions_id)
            .join(Meeting, Meeting.id == Conclusions.meeting_id))


def followup_report(period: Period, now: datetime, scope: set[int] | None) -> dict:
    """The figures per lead unit (most tasks first, then by name) and the total."""
    conditions = standing_conditions(now)
    sums = [func.sum(case((conditions[s], 1), else_=0)).label(s) for s in STANDINGS]
    stmt = _joined(select(Task.lead_unit_id, func.count(Task.id).label("assigned"), *sums)).where(
        *_base(period, scope)).group_by(Task.lead_unit_id)
    rows = db.session.execute(stmt).all()
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_([r[0] for r in rows])))} \
        if rows else {}
    out = []
    for row in rows:
        unit = units[row.lead_unit_id]
        out.append({"unit": unit.ref, "unit_name": unit.name, "level": unit.level,
                    **{f: int(getattr(row, f) or 0) for f in FIGURES}})
    out.sort(key=lambda r: (-r["assigned"], r["unit_name"], r["unit"]))
    total = {f: sum(r[f] for r in out) for f in FIGURES}
    return {"period": period.label, "as_of": now.isoformat(), "units": out, "total": total}


def tasks_query(period: Period, now: datetime, scope: set[int] | None, unit_id: int | None = None,
                standing: str | None = None):
    """The drill-down: a SELECT of the tasks behind a figure, soonest due first."""
    stmt = _joined(select(Task)).where(*_base(period, scope))
    if unit_id is not None:
        stmt = stmt.where(Task.lead_unit_id == unit_id)
    if standing is not None:
        stmt = stmt.where(standing_conditions(now)[standing])
    return stmt.order_by(Task.due_on, Task.id)


def followup_tables(report: dict) -> list[Sheet]:
    """The report as one titled table with Vietnamese headers, for the CSV and XLSX writers."""
    rows = [[r["unit"], r["unit_name"], *(r[f] for f in FIGURES)] for r in report["units"]]
    rows.append(["", "Tổng cộng", *(report["total"][f] for f in FIGURES)])
    return [("Theo dõi nhiệm vụ", ["Mã đơn vị", "Đơn vị chủ trì", *HEADERS], rows)]


def report_heading(report: dict) -> str:
    as_of = datetime.fromisoformat(report["as_of"]).astimezone(LOCAL)
    return f"Kỳ báo cáo {report['period']} (tính đến {as_of:%H:%M %d/%m/%Y})"
