"""Vietnam's working calendar: weekends, national holidays (lunar Tết included) and the
office's exceptions (days off given in exchange, Saturdays worked, local days off).

National holidays come from the `holidays` package (country VN, Vietnamese names, observed
days off and the government's swapped working Saturdays included); the office's rows in
`calendar_exceptions` win over it. One `WorkingCalendar` is built per request or job: it reads
the exceptions once and caches each year's holidays.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import holidays
from sqlalchemy import select

from models import CalendarException, audit, db
from models.base import LOCAL
from models.database import write_transaction
from models.errors import N_, Forbidden, ValidationFailed
from models.text import nfc
from models.working_calendar import KINDS

WEEKDAYS = frozenset(range(5))  # Monday=0


class WorkingCalendar:
    """Which local days are working days, and the name of a day that is not."""

    def __init__(self, exceptions: dict[date, tuple[str, str]] | None = None,
                 working_days: frozenset[int] | set[int] = WEEKDAYS):
        self.exceptions = exceptions or {}
        self.working_days = frozenset(working_days)
        self._years: dict[int, holidays.HolidayBase] = {}

    @classmethod
    def from_db(cls, working_days: frozenset[int] | set[int] = WEEKDAYS) -> WorkingCalendar:
        rows = db.session.execute(select(CalendarException.day, CalendarException.kind,
                                         CalendarException.label)).all()
        return cls({d: (k, label) for d, k, label in rows}, working_days)

    def _national(self, year: int) -> holidays.HolidayBase:
        if year not in self._years:
            self._years[year] = holidays.country_holidays("VN", years=year, language="vi")
        return self._years[year]

    def holiday_name(self, day: date) -> str | None:
        """The national holiday's Vietnamese name, or the office's label for a day off."""
        exception = self.exceptions.get(day)
        if exception is not None:
            return exception[1] if exception[0] == "day_off" else None
        return self._national(day.year).get(day)

    def is_working(self, day: date) -> bool:
        exception = self.exceptions.get(day)
        if exception is not None:
            return exception[0] == "working_day"
        national = self._national(day.year)
        if day in national:
            return False
        if day in national.weekend_workdays:
            return True  # a Saturday worked in exchange for a day off
        return day.weekday() in self.working_days

    def day_off_name(self, day: date) -> str | None:
        """Why a day is not worked (holiday name, office label), None on a working day.

        A plain weekend has no name: the caller says "weekend" in its own words.
        """
        if self.is_working(day):
            return None
        return self.holiday_name(day)

    def working_before(self, instant: datetime) -> datetime:
        """`instant` itself on a working day, else the same local time on the working day before."""
        local = instant.astimezone(LOCAL)
        day = local.date()
        for _ in range(40):
            if self.is_working(day):
                break
            day -= timedelta(days=1)
        if day == local.date():
            return instant
        return datetime.combine(day, local.timetz().replace(tzinfo=None), LOCAL).astimezone(instant.tzinfo)

    def days_off(self, start: date, end: date) -> list[tuple[date, str | None]]:
        """Non-working days in [start, end] with their names (None for a plain weekend)."""
        out, day = [], start
        while day <= end:
            if not self.is_working(day):
                out.append((day, self.holiday_name(day)))
            day += timedelta(days=1)
        return out


# --- the office's exceptions -------------------------------------------------------------

def list_exceptions(year: int | None = None) -> list[CalendarException]:
    stmt = select(CalendarException).order_by(CalendarException.day)
    if year is not None:
        stmt = stmt.where(CalendarException.day >= date(year, 1, 1),
                          CalendarException.day <= date(year, 12, 31))
    return list(db.session.scalars(stmt))


def _is_admin(actor) -> bool:
    return actor is None or getattr(actor, "role", None) == "admin"


def set_exception(day: date, kind: str, label: str, actor) -> CalendarException:
    """Add or replace the office's exception for a day (admins only)."""
    if not _is_admin(actor):
        raise Forbidden(N_("Only admins manage the working calendar."))
    errors = {}
    if kind not in KINDS:
        errors["kind"] = N_("Choose a day off or a working day.")
    label = nfc(label or "").strip()
    if not label or len(label) > 200:
        errors["label"] = N_("Give a label of at most 200 characters.")
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        row = db.session.scalar(select(CalendarException).where(CalendarException.day == day))
        before = None
        if row is None:
            row = CalendarException(day=day, kind=kind, label=label,
                                    created_by_id=getattr(actor, "id", None))
            db.session.add(row)
        else:
            before = {"kind": row.kind, "label": row.label}
            row.kind, row.label = kind, label
        db.session.flush()
        audit.record(actor, "set", "calendar_exception", row.id, before=before,
                     after={"day": day.isoformat(), "kind": kind, "label": label})
    return row


def delete_exception(day: date, actor) -> bool:
    """Remove the office's exception for a day; False when there was none (nothing to do)."""
    if not _is_admin(actor):
        raise Forbidden(N_("Only admins manage the working calendar."))
    with write_transaction():
        row = db.session.scalar(select(CalendarException).where(CalendarException.day == day))
        if row is None:
            return False
        audit.record(actor, "delete", "calendar_exception", row.id,
                     before={"day": day.isoformat(), "kind": row.kind, "label": row.label})
        db.session.delete(row)
    return True
