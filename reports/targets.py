"""Target rules per plan year: which apply to a year, and adding or changing one (admins)."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from models import TargetRule, db
from models.audit import record, snapshot
from models.database import write_transaction
from models.errors import Forbidden, ValidationFailed
from models.meetings import CATEGORIES
from models.text import nfc
from models.units import LEVELS

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
FIELDS = ("plan_year", "code", "name", "levels", "categories", "target")


def rules_for_year(year: int) -> list[dict]:
    """The rules that apply to meetings of `year`, as plain values, by code (one small query)."""
    rows = db.session.connection().execute(select(
        TargetRule.plan_year, TargetRule.code, TargetRule.name, TargetRule.levels,
        TargetRule.categories, TargetRule.target)).all()
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


def _clean(data: dict) -> dict:
    errors: dict[str, str] = {}
    out: dict = {}
    try:
        out["plan_year"] = int(data.get("plan_year"))
        if not 2000 <= out["plan_year"] <= 2100:
            errors["plan_year"] = "Give a year between 2000 and 2100."
    except (TypeError, ValueError):
        errors["plan_year"] = "Give a year between 2000 and 2100."
    out["code"] = (data.get("code") or "").strip()
    if not _CODE.match(out["code"]):
        errors["code"] = "Lower-case letters, digits and _, starting with a letter, at most 32."
    out["name"] = " ".join((nfc(data.get("name")) or "").split())
    if not 1 <= len(out["name"]) <= 300:
        errors["name"] = "Give a name of 1 to 300 characters."
    out["levels"] = [v for v in LEVELS if v in (data.get("levels") or [])]
    if not out["levels"] or set(data.get("levels") or []) - set(LEVELS):
        errors["levels"] = f"Choose one or more of {', '.join(LEVELS)}."
    out["categories"] = [v for v in CATEGORIES if v in (data.get("categories") or [])]
    if not out["categories"] or set(data.get("categories") or []) - set(CATEGORIES):
        errors["categories"] = f"Choose one or more of {', '.join(CATEGORIES)}."
    try:
        out["target"] = Decimal(str(data.get("target"))).quantize(Decimal("0.1"))
        if not Decimal(0) <= out["target"] <= Decimal(100):
            errors["target"] = "Give a percentage from 0 to 100."
    except (InvalidOperation, ValueError):
        errors["target"] = "Give a percentage from 0 to 100."
    if errors:
        raise ValidationFailed(errors)
    return out


def save_target_rule(data: dict, actor, rule: TargetRule | None = None) -> TargetRule:
    """Add a rule, or change `rule`; only admins. :raise ValidationFailed: on bad values."""
    if getattr(actor, "role", None) != "admin":
        raise Forbidden("Only administrators change target rules.")
    with write_transaction():
        values = _clean(data)
        clash = db.session.scalar(select(TargetRule).where(
            TargetRule.plan_year == values["plan_year"], TargetRule.code == values["code"]))
        if clash is not None and clash is not rule:
            raise ValidationFailed({"code": "The plan year already has a rule with this code."})
        before = snapshot(rule, FIELDS) if rule is not None else None
        if rule is None:
            rule = TargetRule()
            db.session.add(rule)
        for name, value in values.items():
            setattr(rule, name, value)
        db.session.flush()
        after = {**snapshot(rule, FIELDS), "target": str(rule.target)}
        if before is not None:
            before["target"] = str(before["target"])
        record(actor, "update" if before else "create", "target_rule", rule.id, before, after)
    return rule
