"""A series' RRULE in words ("Hằng tuần vào thứ Hai, 8 buổi, từ 07/01/2019").

The translators are the caller's (`gettext`, `ngettext`, `format_date`), so the words follow the
request's language while this module stays free of Flask.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from models.base import LOCAL

from .recurrence import _DAY, parse_rrule, until_utc

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _weekday_names(gettext) -> dict[str, str]:
    return {"MO": gettext("Monday"), "TU": gettext("Tuesday"), "WE": gettext("Wednesday"),
            "TH": gettext("Thursday"), "FR": gettext("Friday"), "SA": gettext("Saturday"),
            "SU": gettext("Sunday")}


def _numbered(n: int, weekday: str, gettext) -> str:
    """A numbered weekday of a month (1MO, -1FR)."""
    text = {1: gettext("the first %(weekday)s"), 2: gettext("the second %(weekday)s"),
            3: gettext("the third %(weekday)s"), 4: gettext("the fourth %(weekday)s"),
            5: gettext("the fifth %(weekday)s"), -1: gettext("the last %(weekday)s"),
            -2: gettext("the second to last %(weekday)s"), -3: gettext("the third to last %(weekday)s"),
            -4: gettext("the fourth to last %(weekday)s"), -5: gettext("the fifth to last %(weekday)s")}[n]
    return text % {"weekday": weekday}


def _month_day(day: int, gettext) -> str:
    if day > 0:
        return gettext("day %(day)s") % {"day": day}
    if day == -1:
        return gettext("the last day")
    return gettext("%(num)d days before the last day") % {"num": -day - 1}


def _join(items: list[str], gettext) -> str:
    if len(items) <= 1:
        return "".join(items)
    return gettext("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def describe_rrule(rule: str, start: datetime | date, gettext: Callable[[str], str],
                   ngettext: Callable[[str, str, int], str],
                   format_date: Callable[[date], str]) -> str:
    """The rule (of our subset, `scheduler.recurrence`) starting at local `start`, in words.

    `ngettext(singular, plural, n)` returns the form only; the caller's `%(num)d` is filled here.
    """
    parts = parse_rrule(rule)
    start_day = start.date() if isinstance(start, datetime) else start
    interval = int(parts.get("INTERVAL", "1"))
    names = _weekday_names(gettext)
    freq = parts["FREQ"]
    if freq == "DAILY":
        head = gettext("Daily") if interval == 1 else ngettext(
            "Every %(num)d day", "Every %(num)d days", interval) % {"num": interval}
    elif freq == "WEEKLY":
        days = parts["BYDAY"].split(",") if "BYDAY" in parts else [WEEKDAY_CODES[start_day.weekday()]]
        days = sorted(set(days), key=WEEKDAY_CODES.index)
        on = _join([names[d] for d in days], gettext)
        head = (gettext("Weekly on %(days)s") % {"days": on} if interval == 1 else ngettext(
            "Every %(num)d week on %(days)s", "Every %(num)d weeks on %(days)s", interval)
            % {"num": interval, "days": on})
    else:
        if "BYDAY" in parts:
            pieces = []
            for day in parts["BYDAY"].split(","):
                number, code = _DAY.match(day).groups()
                pieces.append(_numbered(int(number), names[code], gettext) if number else names[code])
            on = _join(pieces, gettext)
        else:
            days = parts["BYMONTHDAY"].split(",") if "BYMONTHDAY" in parts else [str(start_day.day)]
            on = _join([_month_day(int(d), gettext) for d in days], gettext)
        head = (gettext("Monthly on %(days)s") % {"days": on} if interval == 1 else ngettext(
            "Every %(num)d month on %(days)s", "Every %(num)d months on %(days)s", interval)
            % {"num": interval, "days": on})
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        length = ngettext("%(num)d occurrence", "%(num)d occurrences", count) % {"num": count}
    else:
        length = gettext("until %(date)s") % {
            "date": format_date(until_utc(parts["UNTIL"]).astimezone(LOCAL).date())}
    return gettext("%(rule)s, %(length)s, from %(start)s") % {
        "rule": head, "length": length, "start": format_date(start_day)}
