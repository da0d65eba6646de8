"""Profile booking in-process: the API booking of 556 units and a 366-day series to 556 units.

Run: .venv/bin/python -m bench.profile_booking [--engine postgresql] [--repeat 3] [--series 366]

A fresh database with the demo year, then (profiled with pyinstrument, timed interleaved):
`POST /api/v1/meetings` inviting every district and commune with the real `now`, and
`book_meeting` of a daily series of 366 occurrences from tomorrow to the same 556 units, twice:
with every reminder planned at booking (REMINDER_HORIZON off, as before #17's horizon) and with
the configured horizon (REMINDER_HORIZON_DAYS, 14 by default). Prints each profile's summary
(text), the timings, the SQL statements and the rows written.
"""
from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, event, func, select

from bench.common import database, delete_meetings, demo_with_bridge, make_app, median
from models.base import LOCAL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", default="postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--series", type=int, default=366, help="occurrences of the series (0: skip)")
    parser.add_argument("--start-days", type=int, default=1,
                        help="the series starts this many days from now (reminders are planned "
                             "only inside REMINDER_HORIZON_DAYS, 14 by default)")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    from pyinstrument import Profiler

    from models import AuditLog, EndpointBooking, Invitation, Meeting, Reminder, User, db
    from models.users import issue_api_token
    from scheduler.booking import book_meeting
    from scheduler.signals import connect_receivers

    with database(args.engine) as url:
        app = make_app(url)
        with app.app_context():
            bridge, admin = demo_with_bridge()
            token = issue_api_token(admin)
            db.session.commit()
            bridge_id, admin_id = bridge.id, admin.id
            statements = [0]

            @event.listens_for(db.engine, "before_cursor_execute")
            def _count(*_a, **_k):
                statements[0] += 1

        client = app.test_client()
        day = [0]

        def payload(rrule=None):
            day[0] += 1
            ahead = args.start_days if rrule else 400 + 800 * day[0]
            start = (datetime.now(LOCAL) + timedelta(days=ahead)).replace(
                hour=8, minute=0, second=0, microsecond=0)
            body = {"title": "Giao ban trực tuyến toàn Thành phố", "category": "giao_ban",
                    "organizer": "legacy:01", "mode": "online", "start": start,
                    "end": start + timedelta(hours=2), "participants": ["all:districts_and_communes"],
                    "bridge": bridge_id}
            if rrule:
                body["rrule"] = rrule
            return body

        def api_book():
            body = payload()
            body = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in body.items()}
            r = client.post("/api/v1/meetings", json=body, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 201, r.get_data(as_text=True)[:500]

        def series_book(horizon):
            connect_receivers({**app.config, "REMINDER_HORIZON": horizon})
            try:
                with app.app_context():
                    admin = db.session.get(User, admin_id)
                    booking = book_meeting(payload(f"FREQ=DAILY;COUNT={args.series}"), admin,
                                           datetime.now(UTC))
                    assert len(booking.meetings) == args.series
                    db.session.remove()
            finally:
                connect_receivers(app.config)

        def reset():
            with app.app_context():
                db.session.execute(delete(AuditLog).where(AuditLog.actor_id == admin_id))
                delete_meetings(Meeting.title.like("Giao ban trực tuyến toàn%"))
                db.session.commit()
                db.session.remove()

        cases = [("POST /api/v1/meetings (556 units)", api_book)]
        if args.series:
            horizon = app.config["REMINDER_HORIZON"]
            cases.append((f"series {args.series} x 556, every reminder", lambda: series_book(None)))
            if horizon is not None:
                cases.append((f"series {args.series} x 556, horizon {horizon.days} d",
                              lambda: series_book(horizon)))
        times: dict[str, list[float]] = {name: [] for name, _ in cases}
        counts: dict[str, int] = {}
        rows: dict[str, dict[str, int]] = {}
        for round_ in range(args.repeat + 1):
            for name, fn in cases:
                reset()
                profile = round_ == 0 and not args.no_profile
                profiler = Profiler(interval=0.001) if profile else None
                statements[0] = 0
                t0 = time.perf_counter()
                if profiler:
                    profiler.start()
                fn()
                if profiler:
                    profiler.stop()
                    print(f"## {name} ({args.engine})\n")
                    print(profiler.output_text(unicode=False, color=False, show_all=False))
                    continue
                times[name].append((time.perf_counter() - t0) * 1000)
                counts[name] = statements[0]
                with app.app_context():
                    rows[name] = {model.__tablename__: db.session.scalar(
                        select(func.count()).select_from(model).join(Meeting, Meeting.id == model.meeting_id)
                        .where(Meeting.title.like("Giao ban trực tuyến toàn%")))
                        for model in (Invitation, EndpointBooking, Reminder)}
                    db.session.remove()
        for name, values in times.items():
            print(f"{args.engine:10} {name:40} median {median(values):8.1f} ms "
                  f"(runs {', '.join(f'{v:.0f}' for v in values)}), {counts[name]} SQL statements, rows "
                  + ", ".join(f"{table} {n:,}" for table, n in rows[name].items()))
        reset()


if __name__ == "__main__":
    main()
