"""The online-meeting ratio of a period: per target rule, not covered, per organiser, per district.

The counts come from one aggregate query over Meeting joined to its organiser Unit: GROUP BY
the organiser and one flag per target rule (organiser level and category matched in SQL),
with SUM(CASE ...) for held, held online, cancelled and awaiting outcome. Rules, not covered,
districts and totals are sums over those few hundred rows in Python, never over meetings.
A meeting matching several rules counts under each; one matching none is "not covered".
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
    type_coerce,
)

from models import DataVersion, Meeting, Unit, db
from models.base import UTCDateTime
from models.data_version import settled_version, unsettled
from models.lru import LRU
from models.meetings import CATEGORIES, ONLINE_MODES
from models.units import DEPARTMENT_DATASET, LEVELS

from .periods import Period, local_midnight
from .shapes import Report, Row, TargetRow
from .targets import rule_rows, rules_for_year

COUNTS = ("held", "held_online", "cancelled", "awaiting_outcome")
KINDS = {"held": "held", "held_online": "held_online", "cancelled": "cancelled",
         "awaiting": "awaiting_outcome", "awaiting_outcome": "awaiting_outcome"}
NOT_COVERED = "not_covered"


def _tenths(part: int, whole: int) -> int:
    """100*part/whole in tenths of a percent, rounded half up, in exact integers."""
    return (2000 * part + whole) // (2 * whole)


def percent(part: int, whole: int) -> float | None:
    """part/whole as a percentage to one decimal (half up); None when whole is 0."""
    return _tenths(part, whole) / 10 if whole else None


def row(counts) -> Row:
    """The SPEC's ROW from [held, held_online, cancelled, awaiting_outcome]."""
    held, online, cancelled, awaiting = counts
    return {"held": held, "held_online": online, "cancelled": cancelled,
            "awaiting_outcome": awaiting, "ratio": _tenths(online, held) / 10 if held else None}


def rule_match(rule: dict):
    """SQL: the meeting (joined to its organiser Unit) falls under `rule`.

    A rule listing every category matches on the level alone (categories are validated on entry).
    """
    if not rule["levels"] or not rule["categories"]:
        return false()
    by_level = Unit.level.in_(rule["levels"])
    if set(CATEGORIES) <= set(rule["categories"]):
        return by_level
    return and_(by_level, Meeting.category.in_(rule["categories"]))


def not_covered(rules: list[dict]):
    """SQL: no rule covers the meeting."""
    return not_(or_(*[rule_match(r) for r in rules])) if rules else true()


def kind_condition(kind: str, now: datetime):
    """SQL: the meeting counts as `kind` (held, held_online, cancelled, awaiting_outcome)."""
    kind = KINDS[kind]
    if kind == "held":
        return Meeting.status == "held"
    if kind == "held_online":
        return and_(Meeting.status == "held", Meeting.outcome_mode.in_(ONLINE_MODES))
    if kind == "cancelled":
        return Meeting.status == "cancelled"
    return Meeting.awaiting_outcome(now)


def bucket_names(rules: list[dict]) -> list[str]:
    return ["all"] + [f"rule:{r['code']}" for r in rules] + [NOT_COVERED]


def _grouped(keys: list, rules: list[dict], now: datetime):
    """SELECT keys, one flag per rule, the four counts ... to be grouped by keys and the flags.

    Each rule is matched once per meeting (a flag in the GROUP BY), not once per count.
    """
    # Read as integers: no per-row conversion to bool on the way out.
    flags = [type_coerce(rule_match(r), Integer).label(f"rule_{i}") for i, r in enumerate(rules)]
    sums = [func.sum(case((kind_condition(k, now), 1), else_=0)) for k in COUNTS]
    return select(*keys, *flags, *sums), [literal_column(f"rule_{i}") for i in range(len(rules))]


def _fold(rows, rules: list[dict], width: int = 1) -> tuple[dict, dict]:
    """Per key (the first column): the four counts of all meetings, of each rule's and of the
    uncovered ones; and the key's other `width - 1` columns."""
    names, n = bucket_names(rules), len(rules)
    out: dict = {}
    extra: dict = {}
    hits_of: dict = {}
    for values in rows:
        key, flags = values[0], tuple(values[width:width + n])
        held, online, cancelled, awaiting = (v or 0 for v in values[width + n:width + n + 4])
        entry = out.get(key)
        if entry is None:
            entry = out[key] = {name: [0, 0, 0, 0] for name in names}
            extra[key] = values[1:width]
        hits = hits_of.get(flags)
        if hits is None:
            hits = hits_of[flags] = ["all"] + [names[i + 1] for i in range(n) if flags[i]] + (
                [] if any(flags) else [NOT_COVERED])
        for name in hits:
            total = entry[name]
            total[0] += held
            total[1] += online
            total[2] += cancelled
            total[3] += awaiting
    return out, extra


UNIT_COLUMNS = (Unit.id, Unit.dataset, Unit.code, Unit.name, Unit.level, Unit.parent_id)


_STATEMENTS: dict = {}


def _statement(kind: str, rules: list[dict], scoped: bool):
    """The aggregate query for these rules, built once and reused (parameters: start, end, now
    and scope), so SQLAlchemy neither rebuilds it nor recomputes its cache key per report.

    Grouped by the organiser's id (or the month) and the rules' flags only: the organisers'
    names come from `unit_tables`, so the statement is the bare one-GROUP-BY aggregate."""
    signature = (kind, scoped, tuple((r["code"], tuple(r["levels"]), tuple(r["categories"]))
                                     for r in rules))
    stmt = _STATEMENTS.get(signature)
    if stmt is None:
        if kind == "organizer":
            keys, group = [Meeting.organizer_id], [Meeting.organizer_id]
        else:
            bounds = [bindparam(f"m{m}", type_=UTCDateTime) for m in range(13)]
            month = case(*[(Meeting.start_at < bounds[m + 1], m + 1) for m in range(12)], else_=13)
            keys, group = [month.label("report_month")], [literal_column("report_month")]
        stmt, flags = _grouped(keys, rules, bindparam("now", type_=UTCDateTime))
        if kind == "organizer":  # the data version in the same statement: one round trip
            stmt = stmt.add_columns(select(DataVersion.version).where(DataVersion.id == 1)
                                    .scalar_subquery().label("data_version"))
        stmt = stmt.join(Unit, Unit.id == Meeting.organizer_id).where(
            Meeting.start_at >= bindparam("start", type_=UTCDateTime),
            Meeting.start_at < bindparam("end", type_=UTCDateTime))
        if scoped:
            stmt = stmt.where(Meeting.organizer_id.in_(bindparam("scope", expanding=True)))
        stmt = stmt.group_by(*group, *flags)
        if len(_STATEMENTS) > 64:
            _STATEMENTS.clear()
        _STATEMENTS[signature] = stmt
    return stmt


def _in_period(stmt, start: datetime, end: datetime, scope: set[int] | None):
    stmt = stmt.join(Unit, Unit.id == Meeting.organizer_id).where(
        Meeting.start_at >= start, Meeting.start_at < end)
    if scope is not None:
        stmt = stmt.where(Meeting.organizer_id.in_(sorted(scope)))
    return stmt


def _unit_info(dataset, code, name, level, parent, gone=None) -> dict:
    return {"ref": code if dataset == DEPARTMENT_DATASET else f"{dataset}:{code}", "name": name,
            "level": level, "parent": parent, "dissolved_on": gone.isoformat() if gone else None}


_TABLES: LRU[tuple] = LRU(8)
_LATEST: dict[str, tuple[int, tuple]] = {}  # per database: the last version seen, its tables


def _read_tables() -> tuple[dict[int, dict], dict[int, dict], list]:
    organisers, districts = {}, {}
    for uid, *values, gone in db.session.connection().execute(
            select(*UNIT_COLUMNS, Unit.dissolved_on)):
        organisers[uid] = _unit_info(*values)
        if values[3] == "district":
            districts[uid] = _unit_info(*values, gone)
    return organisers, districts, rule_rows()


def _tables_at(version: int) -> tuple:
    """The tables kept for `version` (read now when absent: what is read is at least as new)."""
    url = str(db.engine.url)
    tables = _TABLES.get_or_build((url, version), _read_tables)
    _LATEST[url] = (version, tables)
    return tables


def report_tables() -> tuple[dict[int, dict], dict[int, dict], list]:
    """What a report names besides its counts: every unit as an organiser's row describes it
    (`dissolved_on` left out, as the report always showed organisers), every district with its
    dissolution (for the per-district rows), and the target rules' rows. Two small queries,
    kept per (database, data version): units and target rules are in the data version's
    WATCHED, so what is kept is exact; a session that has written something counted reads
    afresh. Callers must not mutate what they get."""
    version = settled_version()
    return _read_tables() if version is None else _tables_at(version.number)


def count_by_organizer(period: Period, rules: list[dict], now: datetime,
                       scope: set[int] | None = None,
                       tables: tuple | None = None) -> tuple[dict[int, dict], dict[int, dict]]:
    """One aggregate query: per organiser, the four counts for every bucket; and the organisers
    (from `tables`, `report_tables()` when not given)."""
    params = {"start": period.start, "end": period.end, "now": now}
    if scope is not None:
        params["scope"] = sorted(scope)
    stmt = _statement("organizer", rules, scope is not None)
    counts, _ = _fold(db.session.connection().execute(stmt, params).all(), rules)
    organisers = (tables or report_tables())[0]
    return counts, {uid: organisers[uid] for uid in counts}


def district_table() -> dict[int, dict]:
    """Every district, as count_by_organizer describes units (for the per-district rows)."""
    return dict(report_tables()[1])


def level_target(rules: list[dict], level: str) -> float | None:
    """The target for all meetings of a level: set when one rule covers the level, every category."""
    covering = [r for r in rules if level in r["levels"]]
    if len(covering) == 1 and set(CATEGORIES) <= set(covering[0]["categories"]):
        return covering[0]["target"]
    return None


def _figures(counts, target: float | None, **more) -> TargetRow:
    """A ROW with its target and gap (ratio - target), and the given extra fields."""
    figures = row(counts)
    gap = None
    if figures["held"] and target is not None:
        gap = (_tenths(figures["held_online"], figures["held"]) - round(target * 10)) / 10
    return {**figures, "target": target, "gap": gap, **more}


def assemble(period: str, first_day: date, rules: list[dict], counts: dict[int, dict],
             units: dict[int, dict], scope: set[int] | None = None) -> Report:
    """The report from per-organiser counts; `scope` keeps only those units (live or frozen)."""
    if scope is not None:
        counts = {uid: c for uid, c in counts.items() if uid in scope}
    names = bucket_names(rules)
    totals = {name: [0, 0, 0, 0] for name in names}
    sums: dict[int, list[int]] = {}
    order = {level: i for i, level in enumerate(LEVELS)}
    targets = {level: level_target(rules, level) for level in LEVELS}
    for name in names:  # column sums over the organisers, in C
        present = [figures for c in counts.values() if (figures := c.get(name))]
        if present:
            totals[name] = [sum(column) for column in zip(*present)]
    organizers = []
    for uid, c in counts.items():
        u = units[uid]
        level = u["level"]
        held, online, cancelled, awaiting = c["all"]
        target = targets.get(level)
        tenths = _tenths(online, held) if held else None
        # _figures(c["all"], target, unit=, unit_name=, level=) written out: ~600 rows a report
        organizers.append(((order.get(level, 9), u["ref"]), {
            "held": held, "held_online": online, "cancelled": cancelled,
            "awaiting_outcome": awaiting, "ratio": tenths / 10 if held else None,
            "target": target,
            "gap": (tenths - round(target * 10)) / 10 if held and target is not None else None,
            "unit": u["ref"], "unit_name": u["name"], "level": level}))
        if level == "district":
            home = uid
        elif level == "commune" and units.get(u["parent"], {}).get("level") == "district":
            home = u["parent"]
        else:
            continue
        total, figures = sums.setdefault(home, [0, 0, 0, 0]), c["all"]
        for i in range(4):
            total[i] += figures[i]
    organizers.sort(key=lambda pair: pair[0])
    report: Report = {
        "period": period,
        "rules": [_figures(totals[f"rule:{r['code']}"], r["target"], code=r["code"], name=r["name"],
                           levels=r["levels"], categories=r["categories"]) for r in rules],
        "not_covered": row(totals[NOT_COVERED]),
        "organizers": [r for _, r in organizers], "districts": []}
    start = first_day.isoformat()
    shown = [uid for uid, u in units.items() if u["level"] == "district"
             and (scope is None or uid in scope)
             and (uid in sums or u["dissolved_on"] is None or u["dissolved_on"] > start)]
    for uid in sorted(shown, key=lambda i: units[i]["ref"]):
        report["districts"].append(_figures(sums.get(uid, [0, 0, 0, 0]), targets["district"],
                                            unit=units[uid]["ref"], unit_name=units[uid]["name"]))
    return report


def _counted(period: Period, now: datetime, scope: set[int] | None):
    """The rules, the per-organiser counts and the tables for a report, in one round trip when
    nothing was written since the last report: the aggregate is built from the tables last seen
    and returns the data version beside its counts; only when that version is not the one the
    tables were kept for are they read again (and the counts too if the rules changed)."""
    params = {"start": period.start, "end": period.end, "now": now}
    if scope is not None:
        params["scope"] = sorted(scope)
    url = str(db.engine.url)
    latest = None if unsettled() else _LATEST.get(url)
    if latest is None:
        tables = report_tables()
        version = None
    else:
        version, tables = latest
    while True:
        rules = rules_for_year(period.year, tables[2])
        rows = db.session.connection().execute(_statement("organizer", rules, scope is not None),
                                               params).all()
        if latest is None:
            break
        seen = rows[0][-1] if rows else None
        if rows and seen == version:
            break
        current = settled_version() if seen is None else seen
        if current is None:  # the version went (an emptied database): read as before
            tables, latest = _read_tables(), None
        elif getattr(current, "number", current) == version:
            break
        else:
            version = getattr(current, "number", current)
            tables = _tables_at(version)
        if rules_for_year(period.year, tables[2]) == rules:
            break
    counts, _ = _fold(rows, rules)
    return rules, counts, tables


def online_ratio(period: Period, now: datetime, scope: set[int] | None = None) -> Report:
    """The live report of a period, as the API's JSON (scope: unit ids; None for all)."""
    rules, counts, tables = _counted(period, now, scope)
    units = {uid: tables[0][uid] for uid in counts}
    units.update(tables[1])
    report = assemble(period.label, period.first_day, rules, counts, units, scope)
    return {**report, "frozen": False, "version": None}


def monthly_trend(year: int, now: datetime, scope: set[int] | None = None) -> list[dict]:
    """Per local month of `year`: each rule's and not-covered ROW (one grouped query)."""
    rules = rules_for_year(year)
    bounds = [local_midnight(year + (m // 12), m % 12 + 1) for m in range(13)]
    params = {"start": bounds[0], "end": bounds[12], "now": now,
              **{f"m{m}": bound for m, bound in enumerate(bounds)}}
    if scope is not None:
        params["scope"] = sorted(scope)
    found, _ = _fold(db.session.connection().execute(_statement("month", rules, scope is not None),
                                                     params).all(), rules)
    names = bucket_names(rules)
    out = []
    for m in range(1, 13):
        c = found.get(m, {name: [0, 0, 0, 0] for name in names})
        out.append({"month": f"{year}-{m:02d}", "all": row(c["all"]),
                    "rules": {r["code"]: {**row(c[f"rule:{r['code']}"]), "target": r["target"]}
                              for r in rules},
                    NOT_COVERED: row(c[NOT_COVERED])})
    return out


def meetings_query(period: Period, now: datetime, scope: set[int] | None = None, *,
                   rule: str | None = None, unit_id: int | None = None,
                   district_id: int | None = None, kind: str | None = None):
    """A Select of the meetings behind one figure of the report, by start."""
    rules = rules_for_year(period.year)
    stmt = _in_period(select(Meeting), period.start, period.end, scope)
    if rule == NOT_COVERED:
        stmt = stmt.where(not_covered(rules))
    elif rule:
        chosen = [r for r in rules if r["code"] == rule]
        stmt = stmt.where(rule_match(chosen[0]) if chosen else false())
    if unit_id is not None:
        stmt = stmt.where(Meeting.organizer_id == unit_id)
    if district_id is not None:
        stmt = stmt.where(or_(Unit.id == district_id,
                              and_(Unit.level == "commune", Unit.parent_id == district_id)))
    if kind:
        stmt = stmt.where(kind_condition(kind, now))
    return stmt.order_by(Meeting.start_at, Meeting.id)
