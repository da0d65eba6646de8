"""Working-calendar exceptions the office manages on top of the national holidays.

A row is one local day: "day_off" (a day off the government gives, e.g. nghỉ bù, or a local
day off) or "working_day" (a Saturday worked in exchange). National public holidays come from
the `holidays` package and are not stored.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import UTCDateTime, db, utcnow

KINDS = ("day_off", "working_day")


class CalendarException(db.Model):
    __tablename__ = "calendar_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
