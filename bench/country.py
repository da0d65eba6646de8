"""Booking one briefing to every commune of the country (the 2025 list: 3,321 communes).

    .venv/bin/python -m bench.country [--engine sqlite|postgresql] [--repeat 5]

Loads all 34 provinces of the 2025 list, gives each commune a ready endpoint, then times
`book_meeting` for Hà Nội's city inviting "communes:<city>" for each of the 34 provinces (every
commune of the country; "all:communes" stays in the organiser's province),
deleting the rows untimed between rounds. Prints the median and the counts.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, true

from bench.common import delete_meetings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of one more round")
    args = parser.parse_args()
    from vietnam_provinces import Province

    from models import Bridge, Endpoint, Unit, User, db
    from models.base import LOCAL
    from models.registry_import import import_units
    from scheduler.booking import book_meeting
    from webapp import create_app

    if args.engine == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/country.sqlite"
    else:
        from sqlalchemy import create_engine
        admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "bench_country_k18"'))
            conn.execute(text('CREATE DATABASE "bench_country_k18"'))
        url = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_country_k18"
    app = create_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
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
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            booking = book_meeting(data, organizer, now)
            times.append(time.perf_counter() - t)
            invited = len(booking.meetings[0].invitations)
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
              f"min={min(times) * 1000:.0f} ms max={max(times) * 1000:.0f} ms (n={args.repeat})")


if __name__ == "__main__":
    main()
