"""The 366 x 556 daily series on PostgreSQL, before and after the endpoint holds, interleaved.

Run: .venv/bin/python -m bench.series_holds [--repeat 3] [--series 366]

Two fresh PostgreSQL databases with the demo year: one migrated to the head (clash guard:
`endpoint_holds`, migration 0010_series), one taken back to 0009_followup (the GiST exclusion
over every booking row and the unit foreign key). The same code books the same series (daily
from tomorrow, every district and commune, reminders inside the horizon) in each, in turn,
`--repeat` times; each round is deleted before the next. Prints each round, the medians, the
SQL statements and the rows written (and, after, the holds' rows).
"""
from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, select, text

from bench.common import database, delete_meetings, demo_with_bridge, make_app, median
from models.base import LOCAL

TITLE = "Giao ban chuỗi (bench)"


def prepare(url: str, revision: str | None):
    """The app on a demo database at `revision` (None: the head); returns (app, admin id, bridge id)."""
    from flask_migrate import downgrade

    from models import db

    app = make_app(url)
    with app.app_context():
        if revision is not None:
            downgrade(revision=revision)
        bridge, admin = demo_with_bridge()
        ids = admin.id, bridge.id
        db.session.remove()
    return app, *ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--series", type=int, default=366)
    args = parser.parse_args()
    from models import EndpointBooking, Invitation, Meeting, Reminder, User, db
    from scheduler.booking import book_meeting

    with ExitStack() as stack:
        sides = {}
        for name, revision in (("before (0009_followup)", "0009_followup"), ("after (0010_series)", None)):
            url = stack.enter_context(database("postgresql"))
            sides[name] = prepare(url, revision)
        counts = {name: [0] for name in sides}
        for name, (app, _a, _b) in sides.items():
            with app.app_context():
                event.listen(db.engine, "before_cursor_execute",
                             lambda *_a, _c=counts[name], **_k: _c.__setitem__(0, _c[0] + 1))
        times: dict[str, list[float]] = {name: [] for name in sides}
        statements: dict[str, int] = {}
        rows: dict[str, dict[str, int]] = {}
        for round_ in range(args.repeat):
            for name, (app, admin_id, bridge_id) in sides.items():
                with app.app_context():
                    start = (datetime.now(LOCAL) + timedelta(days=1)).replace(
                        hour=8, minute=0, second=0, microsecond=0)
                    body = {"title": TITLE, "category": "giao_ban", "organizer": "legacy:01",
                            "mode": "online", "start": start, "end": start + timedelta(hours=2),
                            "participants": ["all:districts_and_communes"], "bridge": bridge_id,
                            "rrule": f"FREQ=DAILY;COUNT={args.series}"}
                    admin = db.session.get(User, admin_id)
                    counts[name][0] = 0
                    t0 = time.perf_counter()
                    booking = book_meeting(body, admin, datetime.now(UTC))
                    times[name].append((time.perf_counter() - t0) * 1000)
                    statements[name] = counts[name][0]
                    assert len(booking.meetings) == args.series
                    rows[name] = {model.__tablename__: db.session.scalar(
                        select(func.count()).select_from(model).join(Meeting, Meeting.id == model.meeting_id)
                        .where(Meeting.title == TITLE)) for model in (Invitation, EndpointBooking, Reminder)}
                    if db.session.scalar(text("SELECT to_regclass('endpoint_holds')")):
                        rows[name]["endpoint_holds"] = db.session.scalar(text(
                            "SELECT count(*) FROM endpoint_holds WHERE holder = :s"),
                            {"s": booking.meetings[0].series_id})
                    print(f"round {round_ + 1} {name:24} {times[name][-1]:9.1f} ms", flush=True)
                    delete_meetings(Meeting.title == TITLE)
                    db.session.commit()
                    db.session.remove()
        for name, values in times.items():
            print(f"{name:24} median {median(values):8.1f} ms (runs {', '.join(f'{v:.0f}' for v in values)}), "
                  f"{statements[name]} SQL statements, rows "
                  + ", ".join(f"{table} {n:,}" for table, n in rows[name].items()))


if __name__ == "__main__":
    main()
