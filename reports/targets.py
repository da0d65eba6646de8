"""Target rules per plan year as the report reads them: which apply to a year, and the years."""
from __future__ import annotations

from sqlalchemy import select

from models import TargetRule, db
from models.targets import save_target_rule

__all__ = ["plan_years", "rules_for_year", "save_target_rule"]  # the verb lives in models.targets


def rule_rows() -> list:
    """Every target rule's row (plan year, code, name, levels, categories, target)."""
    return db.session.connection().execute(select(
        TargetRule.plan_year, TargetRule.code, TargetRule.name, TargetRule.levels,
        TargetRule.categories, TargetRule.target)).all()


def rules_for_year(year: int, rows: list | None = None) -> list[dict]:
    """The rules that apply to meetings of `year`, as plain values, by code (one small query,
    or `rows` as `rule_rows` read them)."""
    rows = rule_rows() if rows is None else rows
    years = {r.plan_year for r in rows}
    if not years:
        return []
    plan_year = max((y for y in years if y <= year), default=min(years))
    return sorted(({"code": r.code, "name": r.name, "levels": list(r.levels or []),
                    "categories": list(r.categories or []), "target": float(r.target),
                    "plan_year": r.plan_year} for r in rows if r.plan_year == plan_year),
                  key=lambda r: r["code"])


def plan_years() -> list[int]:
    return list(db.session.scalars(select(TargetRule.plan_year).distinct().order_by(TargetRule.plan_year)))
