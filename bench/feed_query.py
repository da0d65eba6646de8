"""The feed's meetings query before and after #17 (an `OR series_id IN (...)` against a UNION of
two index-friendly selects), on the demo year on PostgreSQL: plans and times, interleaved.

Run: .venv/bin/python -m bench.feed_query [--scale 1] [--rounds 30]
Needs PostgreSQL on 127.0.0.1 (BENCH_PG overrides the server URL). It makes a database with
Hanoi's units and the demo year 2019 (`--scale` times the realistic count), ANALYZEs it, then
for the busiest commune's feed and the city-wide feed, at each moment of NOWS with the feed's
usual window, prints the scan nodes on `meetings` of each form's plan (EXPLAIN ANALYZE) and the
median milliseconds of `feed_validators` (all a conditional GET runs), old and new alternating.
The script checks that both forms return the same ids.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import bindparam, or_, select, true

from bench.common import database, make_app

#: the moments the feeds are asked at: the end of the demo year (the window holds its last
#: three months) and today (the demo year is past: an empty feed, the issue's 304 case)
NOWS = (datetime(2019, 12, 20, 3, 0, tzinfo=UTC), datetime.now(UTC))


def old_stmt(every_unit: bool):
    """The statement as it was before #17 (models/calendar_feeds.py at 102da63)."""
    from models import Invitation, Meeting
    from models.base import UTCDateTime
    if every_unit:
        concern = true()
    else:
        units = bindparam("unit_ids", expanding=True)
        invited = select(Invitation.meeting_id).where(Invitation.unit_id.in_(units))
        concern = or_(Meeting.organizer_id.in_(units), Meeting.id.in_(invited))
    in_window = ((Meeting.start_at < bindparam("window_end", type_=UTCDateTime))
                 & (Meeting.end_at >= bindparam("window_start", type_=UTCDateTime)) & concern)
    shown = in_window & or_(Meeting.series_id.is_not(None), Meeting.status != "cancelled",
                            Meeting.end_at >= bindparam("kept_since", type_=UTCDateTime))
    series_ids = select(Meeting.series_id).where(in_window, Meeting.series_id.is_not(None))
    return select(Meeting).where(or_(shown, Meeting.series_id.in_(series_ids)))


def explain(stmt, params) -> list[str]:
    """The plan of `stmt` run with `params` (EXPLAIN ANALYZE), its lines."""
    from sqlalchemy import event

    from models import db

    def prefix(conn, cursor, statement, parameters, context, executemany):
        return "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + statement, parameters

    conn = db.session.connection()
    event.listen(conn, "before_cursor_execute", prefix, retval=True)
    try:
        return [row[0] for row in conn.execute(stmt, params)]
    finally:
        event.remove(conn, "before_cursor_execute", prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only")
    from sqlalchemy import func

    from models import Invitation, Meeting, Unit, db
    from models.calendar_feeds import FeedQuery, feed_meetings_query, feed_validators
    from scheduler.demo import generate_demo

    with database("postgresql") as url:
        app = make_app(url)
        with app.app_context():
            generate_demo(2019, seed=1, scale=args.scale)
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
            total = db.session.scalar(select(func.count(Meeting.id)))
            commune = db.session.scalar(
                select(Unit.id).join(Invitation, Invitation.unit_id == Unit.id)
                .where(Unit.level == "commune").group_by(Unit.id)
                .order_by(func.count(Invitation.id).desc()).limit(1))
            print(f"demo year 2019 at scale {args.scale:g}: {total:,} meetings; window 90 days "
                  f"back, 365 ahead; {args.rounds} rounds, old and new alternating")
            print("| now | feed | form | rows | scans of meetings | 304 validators, median ms |")
            print("| --- | --- | --- | ---: | --- | ---: |")
            for now, label, unit_ids in ((now, label, unit_ids) for now in NOWS for label, unit_ids
                                         in (("a commune", {commune}), ("city-wide", None))):
                new = feed_meetings_query(unit_ids, now, 90, 365)
                before = old_stmt(unit_ids is None)
                old = FeedQuery(before, {k: v for k, v in new.params.items() if k != "earliest_start"},
                                before.with_only_columns(Meeting.id))
                ids = {}
                times = {"old": [], "new": []}
                for form, query in (("old", old), ("new", new)):
                    ids[form] = set(db.session.scalars(query.ids, query.params))
                assert ids["old"] == ids["new"], "the two forms disagree"
                for _ in range(args.rounds):
                    for form, query in (("old", old), ("new", new)):
                        t0 = time.perf_counter()
                        feed_validators(query, "bench")
                        times[form].append((time.perf_counter() - t0) * 1000)
                        db.session.rollback()
                for form, query in (("old", old), ("new", new)):
                    plan = explain(query.ids, query.params)
                    nodes = sorted({line.strip().lstrip("-> ").split(" on meetings")[0]
                                    for line in plan if " on meetings" in line})
                    print(f"| {now:%Y-%m-%d} | {label} | {form} | {len(ids[form])} | {'; '.join(nodes)} | "
                          f"{statistics.median(times[form]):.2f} |")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
