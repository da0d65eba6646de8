"""Booking one briefing to every commune of the country (the 2025 list: 3,321 communes).

    .venv/bin/python -m bench.country [--engine sqlite|postgresql] [--repeat 5]

A fresh, migrated database (`bench.common.database`: the schema's constraints included;
PostgreSQL ANALYZEd after the load), all 34 provinces of the 2025 list, gives each commune a ready endpoint, then times
`book_meeting` for Hà Nội's city inviting "communes:<city>" for each of the 34 provinces (every
commune of the country; "all:communes" stays in the organiser's province),
deleting the rows untimed between rounds. Prints the median and the counts.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, select, true

from bench.common import database, delete_meetings, server_cpu, watch_backends


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of one more round")
    args = parser.parse_args()
    with database(args.engine) as url:
        _run(args, url)


def _run(args, url: str) -> None:
    from flask_migrate import upgrade
    from vietnam_provinces import Province

    from models import Bridge, Endpoint, Invitation, Unit, User, db
    from models.base import LOCAL
    from models.registry_import import import_units
    from scheduler.booking import book_meeting
    from webapp import create_app

    os.environ.setdefault("GIAOBAN_INSTANCE", tempfile.mkdtemp(prefix="giaoban-bench-"))
    app = create_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()  # the migrated schema: PostgreSQL's exclusion constraint and checks included
        t0 = time.perf_counter()
        for p in Province.iter_all():
            import_units(int(p.code), "2025")
        load_s = time.perf_counter() - t0
        units = db.session.scalars(select(Unit).where(Unit.level.in_(("city", "commune")))).all()
        now = datetime.now(UTC).replace(microsecond=0)
        db.session.add_all(Endpoint(unit=u, name="Điểm cầu", kind="room_system", status="ready",
                                    address=f"sip:{u.code}@vn", last_check_at=now, last_check_passed=True)
                           for u in units)
        db.session.add(Bridge(name="MCU quốc gia", capacity=10_000))
        organizer = User(email="bench@giaoban.test", role="admin", name="Bench")
        db.session.add(organizer)
        db.session.commit()
        if args.engine == "postgresql":  # as autovacuum would after a load: the planner's statistics
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        bridge = db.session.scalar(select(Bridge.id))
        communes = db.session.scalar(select(func.count(Unit.id)).where(Unit.level == "commune"))
        # A Monday 08:00 in Hà Nội at least three days ahead (reminders planned: inside the horizon).
        day = (now + timedelta(days=3)).astimezone(LOCAL).date()
        day += timedelta(days=(7 - day.weekday()) % 7)
        start = datetime(day.year, day.month, day.day, 8, tzinfo=LOCAL)
        # "all:communes" stays in the organiser's province: every province's communes by name.
        cities = db.session.scalars(select(Unit.code).where(Unit.level == "city", Unit.dataset == "2025"))
        data = {"title": "Hội nghị trực tuyến toàn quốc", "category": "trien_khai", "organizer": "2025:01",
                "mode": "online", "start": start, "end": start + timedelta(hours=2),
                "participants": [f"communes:2025:{code}" for code in cities], "bridge": bridge}
        statements = [0]

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_a, **_k):
            statements[0] += 1

        backends = watch_backends(db.engine)
        db.session.commit()
        db.session.connection()  # the session's connection, checked out (and watched) now
        times, cpu, server = [], [], []
        for _ in range(args.repeat):
            t, c, s = time.perf_counter(), time.process_time(), server_cpu(backends)
            statements[0] = 0
            booking = book_meeting(data, organizer, now)
            booked_with = statements[0]
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            server.append(server_cpu(backends) - s)
            invited = db.session.scalar(select(func.count()).select_from(Invitation)
                                        .where(Invitation.meeting_id == booking.meetings[0].id))
            delete_meetings(true())  # and the notices, deliveries, reminders hanging off it
            db.session.commit()
        if args.profile:
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.001)
            profiler.start()
            book_meeting(data, organizer, now)
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
            delete_meetings(true())
            db.session.commit()
        print(f"engine={args.engine} provinces={len(list(Province.iter_all()))} communes={communes} "
              f"invited={invited} load={load_s:.1f}s book median={statistics.median(times) * 1000:.0f} ms "
              f"min={min(times) * 1000:.0f} ms max={max(times) * 1000:.0f} ms "
              f"(n={args.repeat}; this process's CPU median={statistics.median(cpu) * 1000:.0f} ms; "
              + (f"PostgreSQL server CPU median={statistics.median(server) * 1000:.0f} ms; "
                 if args.engine == "postgresql" else "") +
              f"{booked_with} SQL statements)")


if __name__ == "__main__":
    main()
