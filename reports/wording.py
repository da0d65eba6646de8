"""How a report reads in one language: its words, level labels, periods and percentages.

`reports/` names its words as catalog message ids (`N_`) and never translates them itself: the
caller hands in a `Wording` built at the edge from the reader's language (the web from the
request, the CLI in Vietnamese). Numbers follow the locale through Babel ("88,4%" in Vietnamese).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from babel.dates import get_month_names
from babel.numbers import format_decimal, format_percent

from models.errors import N_

from .periods import Period

ROMAN = ("I", "II", "III", "IV")


def format_ratio(value: float | None, locale: str) -> str:
    """A percentage as the reports hold it (88.4) as the locale writes it ("88,4%" in vi); "" for None."""
    if value is None:
        return ""
    return format_percent(value / 100, "#,##0.0%", locale=locale)


def format_figure(value: float | None, locale: str, signed: bool = False) -> str:
    """A figure with one decimal (a ratio, target or gap in points) as the locale writes it ("66,7");
    `signed` writes "+" before a positive one (a gap)."""
    if value is None:
        return ""
    return format_decimal(value, "+#,##0.0;-#,##0.0" if signed else "#,##0.0;-#,##0.0", locale=locale)


def period_words(period: Period, gettext: Callable[[str], str], locale: str) -> str:
    """ "Tháng 3/2019", "Quý I/2019", "Năm 2019" (in English "March 2019", "Q1 2019", "Year 2019").

    A month's name is Babel's, standing alone, in the locale ("Tháng 3", "March"). Vietnamese
    documents number quarters in Roman numerals (Quý I/2019), English in digits (Q1 2019)."""
    if period.kind == "month":
        name = get_month_names("wide", "stand-alone", locale=locale)[period.first_month]
        return gettext(N_("%(month_name)s %(year)d")) % {"month_name": name, "year": period.year}
    if period.kind == "quarter":
        number = (period.first_month - 1) // 3
        return gettext(N_("Q%(quarter)s %(year)d")) % {
            "quarter": ROMAN[number] if locale.startswith("vi") else number + 1, "year": period.year}
    return gettext(N_("Year %(year)d")) % {"year": period.year}


@dataclass(frozen=True)
class Wording:
    """The reader's language for a report: `gettext` for its message ids, `level` for level codes."""

    gettext: Callable[[str], str] = lambda msgid: msgid
    locale: str = "en"
    level: Callable[[str], str] = field(default=lambda code: code)

    def __call__(self, msgid: str, **params) -> str:
        return self.gettext(msgid) % params  # a mapping: "%%" reads "%" with or without params

    def figure(self, value: float | None) -> str:
        return format_figure(value, self.locale)

    def period(self, period: Period) -> str:
        return period_words(period, self.gettext, self.locale)
