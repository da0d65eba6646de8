"""The demo's present: this year up to today with outcomes, and the next four weeks booked.

`flask demo generate` makes the benchmark year (2019) and then this window, so every default
page (upcoming meetings, last month's report, the calendars, a clerk's home) opens on data on
the day a newcomer runs `make demo`. "Today" is an argument, so tests pass a fixed date.

The window starts on 1 January, or on the first of last month when that is earlier (in early
January the report's default period is December). Meetings fall on the working days of
`scheduler.working_calendar` (Tết and the swapped Saturdays included); a weekly briefing whose
week is off entirely is cancelled, as in the benchmark year.
"""
from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select

from models import Series, Unit, db
from scheduler.working_calendar import WorkingCalendar

from .calendar import LOCAL, SLOT, BusyCalendar, slot_start
from .writer import Planned

UPCOMING_DAYS = 28
FREE_PER_DAY = 6  # other meetings per working day at scale 1 (the benchmark year has ~160)
# the City's own meetings (deployment, reviews, training: its 80% target) per working day at
# scale 1, on top: FREE_PER_DAY's share of them would leave most months of the present without
# one, and the report's default month (the last one) would read "—" for the City's target
CITY_PER_DAY = 0.5  # ~10 a month, the benchmark year has ~13


def window(today: date) -> tuple[date, date]:
    """The first and the last local day the present covers."""
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return min(date(today.year, 1, 1), last_month), today + timedelta(days=UPCOMING_DAYS)


def demo_now(today: date) -> datetime:
    """The instant the demo calls now on `today`: the end of its working day, 17:30 local."""
    return datetime.combine(today, time(17, 30), tzinfo=LOCAL).astimezone(UTC)


def current_dataset() -> str:
    """The registry in use today: the 2025 units when they are imported, else the legacy ones."""
    has_2025 = db.session.scalar(select(func.count(Unit.id)).where(
        Unit.dataset == "2025", Unit.level == "commune", Unit.dissolved_on.is_(None)))
    return "2025" if has_2025 else "legacy"


def plan_recent(year_cls, mark_booked, rng, units: dict, usable, bridges: dict, writer,
                spare: list[str], today: date, scale: float,
                working: WorkingCalendar | None = None) -> int:
    """Hand the window's meetings to `writer`; answers the number of series made.

    `year_cls` and `mark_booked` are the benchmark year's `DemoYear` and `_mark_booked`
    (handed in by `scheduler.demo`, which imports this module).
    """
    first, last = window(today)
    working = working or WorkingCalendar.from_db()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    calendar = BusyCalendar({bid: cap for bid, cap in bridges.values()})
    for year in {first.year, last.year}:
        mark_booked(calendar, year)
    present = make_recent_class(year_cls)(rng, first.year, calendar, usable, {n: b[0] for n, b in bridges.items()},
                         writer, spare)
    present.days = [d for d in days if working.is_working(d)]
    present.holidays = {d for d in days if not working.is_working(d)}
    present.window = (first, last)
    present.now = writer.now
    series = present.briefings(units, len(days) // 7 + 1)
    present.free_meetings(units, round(FREE_PER_DAY * scale * len(present.days)))
    for _ in range(round(CITY_PER_DAY * scale * len(present.days))):
        present._city_meeting(units)
    return series


def make_recent_class(base):
    """RecentDays: the benchmark year's placement (DemoYear), with series over the window."""

    class RecentDays(base):
        def _meeting(self, organizer, invited, category, mode, length, tries, bridges,
                     months=None, half=None) -> None:
            if months and not any(d.month in months for d in self.days):
                months = None  # a mid-year review when the window holds no June or July
            super()._meeting(organizer, invited, category, mode, length, tries, bridges, months, half)

        def _series(self, organizer, participants, weekday, slot, length, weeks, mode, category,
                    title, bridges, real_life=False) -> None:
            first, last = self.window
            start_day = first + timedelta(days=(weekday - first.weekday()) % 7)
            dates = [d for d in (start_day + timedelta(weeks=i) for i in range(weeks)) if d <= last]
            if not dates:
                return
            recurrences = [slot_start(d, slot) for d in dates]
            created = datetime.combine(first - timedelta(days=self.rng.randint(5, 20)), time(9),
                                       tzinfo=LOCAL).astimezone(UTC)
            local_start = slot_start(dates[0], slot).astimezone(LOCAL).replace(tzinfo=None)
            series_id = db.session.execute(insert(Series.__table__).returning(Series.id), [{
                "uid": f"demo-series-{secrets.token_hex(8)}@giaoban",
                "rrule": f"FREQ=WEEKLY;BYDAY={('MO', 'TU', 'WE', 'TH', 'FR')[weekday]};"
                         f"UNTIL={recurrences[-1]:%Y%m%dT%H%M%SZ}",
                "dtstart_local": local_start, "duration_minutes": length * 30,
                "timezone": "Asia/Ho_Chi_Minh", "revision": 0, "created_at": created}]).scalar_one()
            for planned_day, recurrence in zip(dates, recurrences):
                day = self._off_holiday(planned_day)
                cancelled = day is None
                day = day or planned_day
                placed = self._place_on(day, [slot], length, organizer, participants, mode, bridges)
                start = slot_start(day, slot)
                end = start + length * SLOT
                status = "cancelled" if cancelled else ("held" if end <= self.now else "scheduled")
                self.writer.add(Planned(
                    organizer, participants, category, placed[0] if placed else "in_person",
                    start, end, title, *(placed[1:] if placed else ([], None)),
                    series_id=series_id, recurrence_id=recurrence, status=status,
                    revision=1 if cancelled or start != recurrence else 0, created_at=created))

    return RecentDays


