"""Target rules per plan year, and frozen monthly report snapshots."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import UTCDateTime, db, utcnow

DEFAULT_RULES = (
    ("city_80", "Họp của Thành phố: triển khai, sơ kết, tổng kết, tập huấn",
     ["city"], ["trien_khai", "so_ket", "tong_ket", "tap_huan"], Decimal("80")),
    ("below_city_30", "Họp của Sở, ngành, quận, huyện, xã, phường",
     ["department", "district", "commune"],
     ["trien_khai", "so_ket", "tong_ket", "tap_huan", "giai_quyet_cong_viec", "giao_ban", "khac"],
     Decimal("30")),
)


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
    if db.session.scalar(select(TargetRule.id).where(TargetRule.plan_year == plan_year)):
        return
    for code, name, levels, categories, target in DEFAULT_RULES:
        db.session.add(TargetRule(plan_year=plan_year, code=code, name=name, levels=levels,
                                  categories=categories, target=target))
    db.session.commit()
