"""The "as of today" roll-up: a period's figures re-grouped onto the units in force today.

It never replaces the historic report (which counts each meeting under its organiser as it was
on the meeting's date); it answers "how did what is now Phường Ngọc Hà do in 2019?". Each
organiser's meetings go to the unit that stands for it today:

- itself, while it is in force;
- its successor, when it went into one unit;
- for a commune split across several (the rule, stated on the page): the successor that took
  its seat, read as `scheduler.reorganise.default_successor` (the one bearing its name, else the
  lowest code), or the one the office chose for it;
- a dissolved unit with no successor (a legacy district) keeps a row of its own, marked.

Successions are followed through more than one reform. Every meeting lands in exactly one row,
so the totals are the historic report's totals.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select

from models import Unit, db
from models.base import LOCAL
from scheduler.reorganise import default_successor

from .online_ratio import count_by_organizer, row
from .periods import Period
from .targets import rules_for_year

RULE_SEAT = "seat"


def stand_in(unit: Unit, today: date, choices: Mapping[int, int] | None = None) -> Unit | None:
    """The unit in force on `today` that stands for `unit`, or None (dissolved, no successor)."""
    choices = choices or {}
    seen: set[int] = set()
    while not unit.in_force_on(today):
        if unit.id in seen or not unit.successors:
            return None
        seen.add(unit.id)
        options = sorted(unit.successors, key=lambda o: (o.code, o.id))
        unit = next((o for o in options if o.id == choices.get(unit.id)), None) or \
            default_successor(unit, options)
    return unit


def rollup_as_of_today(period: Period, now: datetime, scope: set[int] | None = None,
                       choices: Mapping[int, int] | None = None) -> dict:
    """The period's counts per unit in force today (see the module's rule), and the total."""
    rules = rules_for_year(period.year)
    counts, _ = count_by_organizer(period, rules, now, scope)
    today = now.astimezone(LOCAL).date()
    organisers = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(list(counts))))}
    grouped: dict[int, dict] = {}
    total = [0, 0, 0, 0]
    for uid, buckets in counts.items():
        old = organisers[uid]
        new = stand_in(old, today, choices)
        key, shown = (new.id, new) if new is not None else (old.id, old)
        entry = grouped.setdefault(key, {"unit": shown, "successor": new is not None,
                                         "counts": [0, 0, 0, 0], "from": set()})
        for i, value in enumerate(buckets["all"]):
            entry["counts"][i] += value
            total[i] += value
        if new is None or new.id != uid:
            entry["from"].add(old)
    rows = []
    for entry in sorted(grouped.values(), key=lambda e: (not e["successor"], e["unit"].name, e["unit"].code)):
        unit = entry["unit"]
        rows.append({**row(entry["counts"]), "unit": unit.ref, "unit_name": unit.name, "level": unit.level,
                     "no_successor": not entry["successor"],
                     "from": [{"unit": u.ref, "name": u.name} for u in sorted(entry["from"], key=lambda u: u.code)]})
    return {"period": period.label, "as_of": today.isoformat(), "rule": RULE_SEAT,
            "rows": rows, "total": row(total)}
