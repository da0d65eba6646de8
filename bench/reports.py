"""The monthly and yearly online-ratio reports against hand-written SQL (the floor).

Run: .venv/bin/python -m bench.reports [--engines sqlite,postgresql] [--scales 1,10] [--repeat 40]
         [--db postgresql:10=URL ...]

For each engine and scale: a fresh database, Hanoi's legacy units, `generate_demo(2019,
seed=1, scale=K)` (or an existing one made the same way, `--db ENGINE:SCALE=URL`; only read)
and ANALYZE. Then, in the same run and interleaved round by round:

- report: `online_ratio()` as the API calls it (target rules, the aggregate query, the
  districts, the roll-up to rules, organisers and districts with names, ratios and gaps);
- floor: one hand-written SQL statement giving every figure the report shows (per rule, not
  covered, per organiser and per district with its communes, with refs and names);
- counts: the one-GROUP-BY floor of issue #17: the bare aggregate alone (one GROUP BY per
  organiser and rule flags, no names, no roll-up), a lower bound.

Both floors are checked to give the report's figures before anything is timed. Prints medians.
"""
from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from sqlalchemy import text

from bench.common import database, make_app, median

# The 2019 plan's two rules written out by hand: the floors know them, the report reads them.
C80 = "u.level = 'city' AND m.category IN ('trien_khai','so_ket','tong_ket','tap_huan')"
B30 = "u.level IN ('department','district','commune')"
SUMS = ("SUM(CASE WHEN m.status = 'held' THEN 1 ELSE 0 END) AS h,"
        " SUM(CASE WHEN m.status = 'held' AND m.outcome_mode IN ('online','hybrid') THEN 1 ELSE 0 END) AS o,"
        " SUM(CASE WHEN m.status = 'cancelled' THEN 1 ELSE 0 END) AS c,"
        " SUM(CASE WHEN m.status = 'scheduled' AND m.end_at <= :now THEN 1 ELSE 0 END) AS a")
TOTALS = "COALESCE(SUM(h), 0), COALESCE(SUM(o), 0), COALESCE(SUM(c), 0), COALESCE(SUM(a), 0)"
REF = "CASE WHEN {t}.dataset = 'dept' THEN {t}.code ELSE {t}.dataset || ':' || {t}.code END"

COUNTS = text(
    f"SELECT m.organizer_id, CASE WHEN {C80} THEN 1 ELSE 0 END AS c80,"
    f" CASE WHEN {B30} THEN 1 ELSE 0 END AS b30, {SUMS}"
    " FROM meetings m JOIN units u ON u.id = m.organizer_id"
    " WHERE m.start_at >= :start AND m.start_at < :end GROUP BY m.organizer_id, c80, b30")

FLOOR = text(
    "WITH per AS MATERIALIZED ("
    f" SELECT m.organizer_id AS uid, CASE WHEN {C80} THEN 1 ELSE 0 END AS c80,"
    f" CASE WHEN {B30} THEN 1 ELSE 0 END AS b30,"
    " CASE WHEN u.level = 'district' THEN u.id"
    "      WHEN u.level = 'commune' AND p.level = 'district' THEN p.id END AS did,"
    f" {SUMS}"
    " FROM meetings m JOIN units u ON u.id = m.organizer_id LEFT JOIN units p ON p.id = u.parent_id"
    " WHERE m.start_at >= :start AND m.start_at < :end GROUP BY m.organizer_id, c80, b30, did)"
    f" SELECT 'rule', 'city_80', NULL, {TOTALS} FROM per WHERE c80 = 1"
    f" UNION ALL SELECT 'rule', 'below_city_30', NULL, {TOTALS} FROM per WHERE b30 = 1"
    f" UNION ALL SELECT 'not_covered', '', NULL, {TOTALS} FROM per WHERE c80 = 0 AND b30 = 0"
    f" UNION ALL SELECT 'organizer', {REF.format(t='u')}, u.name, {TOTALS}"
    "  FROM per JOIN units u ON u.id = per.uid GROUP BY u.id, u.dataset, u.code, u.name"
    f" UNION ALL SELECT 'district', {REF.format(t='d')}, d.name, {TOTALS}"
    "  FROM units d LEFT JOIN per ON per.did = d.id WHERE d.level = 'district'"
    "  GROUP BY d.id, d.dataset, d.code, d.name"
    "  HAVING MAX(d.dissolved_on) IS NULL OR MAX(d.dissolved_on) > :first OR COUNT(per.uid) > 0")


def _bind(value, sqlite: bool):
    # What UTCDateTime binds: naive UTC text on SQLite, an aware instant on PostgreSQL.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if sqlite else value


def run_sql(statement, period, now, sqlite: bool):
    from models import db
    params = {"start": _bind(period.start, sqlite), "end": _bind(period.end, sqlite),
              "now": _bind(now, sqlite)}
    if statement is FLOOR:
        params["first"] = period.first_day.isoformat() if sqlite else period.first_day
    return db.session.execute(statement, params).all()


def as_figures(report: dict) -> dict:
    """The report's counts keyed as the floor's rows are."""
    four = lambda r: [r["held"], r["held_online"], r["cancelled"], r["awaiting_outcome"]]  # noqa: E731
    out = {("rule", r["code"]): four(r) for r in report["rules"]}
    out[("not_covered", "")] = four(report["not_covered"])
    out.update({("organizer", r["unit"]): four(r) for r in report["organizers"]})
    out.update({("district", r["unit"]): four(r) for r in report["districts"]})
    return out


def fold_counts(rows) -> dict:
    """The bare aggregate's rows as per-organiser buckets (for the check, not timed)."""
    out: dict = {}
    for org, c80, b30, *figures in rows:
        entry = out.setdefault(org, {k: [0, 0, 0, 0] for k in
                                     ("all", "rule:below_city_30", "rule:city_80", "not_covered")})
        for name, hit in (("all", True), ("rule:city_80", c80), ("rule:below_city_30", b30),
                          ("not_covered", not (c80 or b30))):
            if hit:
                entry[name] = [x + int(y) for x, y in zip(entry[name], figures)]
    return out


def run(engine: str, scale: float, repeat: int, url: str | None = None) -> dict:
    from contextlib import nullcontext

    from config import Config
    from models import Meeting, db
    from reports.attendance import attendance
    from reports.online_ratio import count_by_organizer, monthly_trend, online_ratio
    from reports.periods import parse_period
    from reports.targets import rules_for_year
    from scheduler.demo import generate_demo
    from webapp import create_app

    given = url
    with (nullcontext(given) if given else database(engine)) as url:
        app = create_app(Config, SQLALCHEMY_DATABASE_URI=url) if given else make_app(url)
        with app.app_context():
            made = ({"meetings": db.session.scalar(db.select(db.func.count(Meeting.id))),
                     "invitations": "(kept database)"} if given
                    else generate_demo(2019, seed=1, scale=scale))
            # Fresh statistics, as autovacuum (or a nightly ANALYZE) would have them in service.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            now = datetime(2019, 12, 20, tzinfo=UTC)
            sqlite = db.engine.dialect.name == "sqlite"
            out = {"engine": engine, "scale": scale, "meetings": made.get("meetings"),
                   "invitations": made.get("invitations")}
            for name, label in (("month", "2019-03"), ("year", "2019")):
                period = parse_period(label)
                report = online_ratio(period, now)
                floor_rows = {(s, ref): [int(v) for v in values]
                              for s, ref, _, *values in run_sql(FLOOR, period, now, sqlite)}
                assert as_figures(report) == floor_rows, "the report and the floor disagree"
                mine, _ = count_by_organizer(period, rules_for_year(2019), now)
                assert mine == fold_counts(run_sql(COUNTS, period, now, sqlite)), "counts disagree"
                timings: dict[str, list[float]] = {"report": [], "floor": [], "counts": []}
                jobs = {"report": lambda p=period: online_ratio(p, now),
                        "floor": lambda p=period: run_sql(FLOOR, p, now, sqlite),
                        "counts": lambda p=period: run_sql(COUNTS, p, now, sqlite)}
                for _ in range(repeat):  # interleaved, so drift hits all alike
                    for key, job in jobs.items():
                        t0 = time.perf_counter()
                        job()
                        timings[key].append((time.perf_counter() - t0) * 1000)
                out[name] = {**{f"{k}_ms": median(v) for k, v in timings.items()},
                             "held": sum(r["held"] for r in report["organizers"]),
                             "ratio": [(r["code"], r["ratio"]) for r in report["rules"]]}
                t0 = time.perf_counter()
                attendance(period)
                out[name]["attendance_ms"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            monthly_trend(2019, now)
            out["trend_ms"] = (time.perf_counter() - t0) * 1000
            db.session.remove()
            db.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--scales", default="1")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--db", action="append", default=[],
                        help="ENGINE:SCALE=URL: an existing demo database for that engine and scale")
    args = parser.parse_args()
    given = {}
    for item in args.db:
        where, url = item.split("=", 1)
        engine, scale = where.split(":")
        given[(engine, float(scale))] = url
    for engine in args.engines.split(","):
        for scale in (float(s) for s in args.scales.split(",")):
            row = run(engine, scale, args.repeat, given.get((engine, scale)))
            print(f"{engine:10} scale {scale:>4}: {row['meetings']} meetings, "
                  f"{row['invitations']} invitations; trend of the year {row['trend_ms']:.1f} ms")
            for name in ("month", "year"):
                r = row[name]
                print(f"  {name:5} report {r['report_ms']:7.2f} ms | floor {r['floor_ms']:7.2f} ms "
                      f"-> {r['report_ms'] / r['floor_ms']:.2f}x | one-GROUP-BY floor {r['counts_ms']:7.2f} ms "
                      f"-> {r['report_ms'] / r['counts_ms']:.2f}x | held {r['held']} | {r['ratio']} | "
                      f"attendance {r['attendance_ms']:.1f} ms", flush=True)


if __name__ == "__main__":
    main()
