"""Date and time inputs that read and write dd/mm/yyyy and 24-hour HH:MM whatever the browser's
language (a native date or time input follows the browser's locale: mm/dd/yyyy, 02:00 PM)."""
from __future__ import annotations

import re
from datetime import date, time

from flask_babel import lazy_gettext as _l
from wtforms import StringField

_DAY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def parse_day(text: str) -> date | None:
    """dd/mm/yyyy (also with - or .), or the API's yyyy-mm-dd; None when it is no date."""
    text = (text or "").strip()
    if m := _DAY.fullmatch(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _ISO_DAY.fullmatch(text):
        year, month, day = (int(g) for g in m.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_clock(text: str) -> time | None:
    """24-hour HH:MM (also H:MM and HH:MM:SS); None when it is no time of day."""
    m = _CLOCK.fullmatch((text or "").strip())
    if not m:
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


class DayField(StringField):
    """A text input for a date, shown and read as dd/mm/yyyy."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off",
                     "pattern": r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{1,2}-\d{1,2}", "maxlength": 10,
                     **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y") if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        self.data = parse_day(valuelist[0])
        if self.data is None:
            raise ValueError(_l("Write the date as dd/mm/yyyy."))


class ClockField(StringField):
    """A text input for a time of day, shown and read as 24-hour HH:MM."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"placeholder": "HH:MM", "inputmode": "numeric", "autocomplete": "off",
                     "pattern": r"\d{1,2}:\d{2}(:\d{2})?", "maxlength": 8,
                     **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        self.data = parse_clock(valuelist[0])
        if self.data is None:
            raise ValueError(_l("Write the time as HH:MM (24-hour)."))
