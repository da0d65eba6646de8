"""Report periods ("2019-03", "2019-Q1", "2019") and their bounds in UTC."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from models.base import LOCAL
from models.errors import N_, ValidationFailed

_PATTERN = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-[Qq]([1-4]))?$")
FIRST_YEAR, LAST_YEAR = 1900, 2200  # the years a period may fall in
#: what `parse_period` accepts, as the API's document states it: the years 1900 to 2200 spelled out
PERIOD_PATTERN = r"^(19\d\d|2[01]\d\d|2200)(-(0[1-9]|1[0-2])|-[Qq][1-4])?$"


@dataclass(frozen=True)
class Period:
    """A month, quarter or year of local dates; `start` and `end` are UTC, end excluded."""

    label: str
    kind: str  # month | quarter | year
    year: int
    first_month: int
    months: int

    @property
    def start(self) -> datetime:
        return local_midnight(self.year, self.first_month)

    @property
    def end(self) -> datetime:
        month = self.first_month + self.months
        return local_midnight(self.year + (month - 1) // 12, (month - 1) % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.first_month, 1)

    def month_labels(self) -> list[str]:
        return [f"{self.year}-{m:02d}" for m in range(self.first_month, self.first_month + self.months)]


def local_midnight(year: int, month: int) -> datetime:
    """00:00 local on the first of a month, as a UTC instant."""
    return datetime(year, month, 1, tzinfo=LOCAL).astimezone(UTC)


def parse_period(text: str | None) -> Period:
    """The period a label names. :raise ValidationFailed: on anything else."""
    match = _PATTERN.match((text or "").strip())
    if not match or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise ValidationFailed({"period": N_("Give a month (2019-03), a quarter (2019-Q1) or a year (2019).")})
    year, month, quarter = int(match.group(1)), match.group(2), match.group(3)
    if month:
        return Period(f"{year}-{month}", "month", year, int(month), 1)
    if quarter:
        return Period(f"{year}-Q{quarter}", "quarter", year, 3 * int(quarter) - 2, 3)
    return Period(str(year), "year", year, 1, 12)


def month_before(now: datetime) -> Period:
    """The local calendar month before the one `now` falls in."""
    local = now.astimezone(LOCAL)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return parse_period(f"{year}-{month:02d}")


def current_month(now: datetime) -> Period:
    """The local calendar month `now` falls in."""
    local = now.astimezone(LOCAL)
    return parse_period(f"{local.year}-{local.month:02d}")


def shift(period: Period, steps: int) -> Period | None:
    """The period of the same kind `steps` away (negative: earlier); None outside the years."""
    index = period.year * 12 + period.first_month - 1 + steps * period.months
    year, month = divmod(index, 12)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    if period.kind == "month":
        return parse_period(f"{year}-{month + 1:02d}")
    if period.kind == "quarter":
        return parse_period(f"{year}-Q{month // 3 + 1}")
    return parse_period(str(year))
