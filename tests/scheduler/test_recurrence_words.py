"""A series' rule in words names what dateutil's own expansion of the rule gives."""
import re
from datetime import date, datetime

from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.recurrence_words import describe_rrule

CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
NAMES = dict(zip(CODES, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))


def english(rule: str, start: date) -> str:
    return describe_rrule(rule, start, lambda s: s, lambda s, p, n: s if n == 1 else p,
                          lambda d: d.strftime("%d/%m/%Y"))


@st.composite
def rules(draw):
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}"]
    interval = draw(st.integers(1, 3))
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if freq == "WEEKLY" and draw(st.booleans()):
        days = draw(st.sets(st.sampled_from(CODES), min_size=1, max_size=3))
        parts.append("BYDAY=" + ",".join(d for d in CODES if d in days))
    if freq == "MONTHLY" and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.integers(1, 28))}")
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(1, 12))}")
    else:
        parts.append(f"UNTIL={draw(st.dates(date(2019, 2, 1), date(2020, 12, 31))):%Y%m%d}")
    return ";".join(parts)


@settings(max_examples=60, deadline=None)
@given(rule=rules(), start=st.dates(date(2019, 1, 1), date(2019, 1, 31)))
def test_the_words_name_the_weekdays_count_and_end_of_the_expansion(rule, start):
    words = english(rule, start)
    occurrences = list(rrulestr(rule, dtstart=datetime.combine(start, datetime.min.time())))
    parts = dict(p.split("=") for p in rule.split(";"))
    assert words.endswith(f"from {start:%d/%m/%Y}")
    if "COUNT" in parts:
        n = len(occurrences)
        assert f", {n} occurrence{'s' if n != 1 else ''}," in words
    else:
        until = datetime.strptime(parts["UNTIL"], "%Y%m%d").date()
        assert f"until {until:%d/%m/%Y}" in words
        assert all(o.date() <= until for o in occurrences)
    named = {c for c, name in NAMES.items() if re.search(rf"\b{name}\b", words)}
    if parts["FREQ"] == "WEEKLY":
        seen = {CODES[o.weekday()] for o in occurrences}
        assert seen <= named
        if "BYDAY" in parts and len(occurrences) >= 2 * len(parts["BYDAY"].split(",")):
            assert seen == named
    else:
        assert not named
    if parts["FREQ"] == "MONTHLY":
        assert {f"day {o.day}" for o in occurrences} <= {m.group(0) for m in re.finditer(r"day \d+", words)}
    interval = int(parts.get("INTERVAL", 1))
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month"}[parts["FREQ"]]
    assert (f"Every {interval} {unit}s" in words) if interval > 1 else ("Every" not in words)


def test_vietnamese_reads_as_an_office_writes_it(app):
    from flask_babel import force_locale

    from webapp.labels import describe_series
    with app.test_request_context(), force_locale("vi"):
        assert describe_series("FREQ=WEEKLY;BYDAY=MO;COUNT=8", date(2019, 1, 7)) == \
            "Hằng tuần vào thứ Hai, 8 buổi, từ 07/01/2019"
        assert describe_series("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20191231", date(2019, 1, 25)) == \
            "Hằng tháng vào thứ Sáu tuần cuối, đến ngày 31/12/2019, từ 25/01/2019"
