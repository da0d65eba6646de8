"""Target rules per plan year and their verb (`save_target_rule`), and frozen report snapshots."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from models.errors import N_, Msg

from . import audit
from .base import UTCDateTime, db, utcnow
from .database import write_transaction
from .errors import Forbidden, ValidationFailed
from .meetings import CATEGORIES
from .text import nfc
from .units import LEVELS
from .users import User

DEFAULT_RULES = (
    ("city_80", "Họp của Thành phố: triển khai, sơ kết, tổng kết, tập huấn",
     ["city"], ["trien_khai", "so_ket", "tong_ket", "tap_huan"], Decimal("80")),
    ("below_city_30", "Họp của Sở, ngành, quận, huyện, xã, phường",
     ["department", "district", "commune"],
     ["trien_khai", "so_ket", "tong_ket", "tap_huan", "giai_quyet_cong_viec", "giao_ban", "khac"],
     Decimal("30")),
)
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
FIELDS = ("plan_year", "code", "name", "levels", "categories", "target")


class TargetRule(db.Model):
    """A target: organiser levels and categories it covers, and the share to be held online."""

    __tablename__ = "target_rules"
    __table_args__ = (UniqueConstraint("plan_year", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    levels: Mapped[list] = mapped_column(JSON)
    categories: Mapped[list] = mapped_column(JSON)
    target: Mapped[Decimal] = mapped_column(Numeric(5, 1))


class ReportSnapshot(db.Model):
    """A frozen report: never changed; freezing again makes the next version."""

    __tablename__ = "report_snapshots"
    __table_args__ = (UniqueConstraint("period", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict] = mapped_column(JSON)


def seed_default_rules(plan_year: int = 2019) -> None:
    """Add the 2019 plan's rules for `plan_year` when that year has none."""
    with write_transaction():
        if db.session.scalar(select(TargetRule.id).where(TargetRule.plan_year == plan_year)):
            return
        for code, name, levels, categories, target in DEFAULT_RULES:
            db.session.add(TargetRule(plan_year=plan_year, code=code, name=name, levels=levels,
                                      categories=categories, target=target))


def _clean(data: dict) -> dict:
    errors: dict[str, str] = {}
    out: dict = {}
    try:
        out["plan_year"] = int(data.get("plan_year"))
        if not 2000 <= out["plan_year"] <= 2100:
            errors["plan_year"] = N_("Give a year between 2000 and 2100.")
    except (TypeError, ValueError):
        errors["plan_year"] = N_("Give a year between 2000 and 2100.")
    out["code"] = (data.get("code") or "").strip()
    if not _CODE.match(out["code"]):
        errors["code"] = N_("Lower-case letters, digits and _, starting with a letter, at most 32.")
    out["name"] = " ".join((nfc(data.get("name")) or "").split())
    if not 1 <= len(out["name"]) <= 300:
        errors["name"] = N_("Give a name of 1 to 300 characters.")
    out["levels"] = [v for v in LEVELS if v in (data.get("levels") or [])]
    if not out["levels"] or set(data.get("levels") or []) - set(LEVELS):
        errors["levels"] = Msg(N_("Choose one or more of %(values)s."), values=", ".join(LEVELS))
    out["categories"] = [v for v in CATEGORIES if v in (data.get("categories") or [])]
    if not out["categories"] or set(data.get("categories") or []) - set(CATEGORIES):
        errors["categories"] = Msg(N_("Choose one or more of %(values)s."), values=", ".join(CATEGORIES))
    try:
        out["target"] = Decimal(str(data.get("target"))).quantize(Decimal("0.1"))
        if not Decimal(0) <= out["target"] <= Decimal(100):
            errors["target"] = N_("Give a percentage from 0 to 100.")
    except (InvalidOperation, ValueError):
        errors["target"] = N_("Give a percentage from 0 to 100.")
    if errors:
        raise ValidationFailed(errors)
    return out


def save_target_rule(data: dict, actor: User, rule: TargetRule | None = None) -> TargetRule:
    """Add a rule, or change `rule`; only admins. :raise ValidationFailed: on bad values."""
    if getattr(actor, "role", None) != "admin":
        raise Forbidden(N_("Only administrators change target rules."))
    with write_transaction():
        values = _clean(data)
        clash = db.session.scalar(select(TargetRule).where(
            TargetRule.plan_year == values["plan_year"], TargetRule.code == values["code"]))
        if clash is not None and clash is not rule:
            raise ValidationFailed({"code": N_("The plan year already has a rule with this code.")})
        before = audit.snapshot(rule, FIELDS) if rule is not None else None
        if rule is None:
            rule = TargetRule()
            db.session.add(rule)
        for name, value in values.items():
            setattr(rule, name, value)
        db.session.flush()
        after = {**audit.snapshot(rule, FIELDS), "target": str(rule.target)}
        if before is not None:
            before["target"] = str(before["target"])
        audit.record(actor, "update" if before else "create", "target_rule", rule.id, before, after)
    return rule
