"""The whole request `POST /api/v1/meetings` for 556 units, both engines interleaved, against a floor.

Run: .venv/bin/python -m bench.api_booking [--engines sqlite,postgresql] [--repeat 9] [--profile]

One fresh database per engine with the demo year (`bench.common`), the app on each, one API token
each. Every round, for each engine in turn: the previous round's booking is deleted (untimed),
then `GET /healthz` (the floor: the same client, app, auth-free request and one database
round trip) and `POST /api/v1/meetings` inviting `all:districts_and_communes` (556 units, 557
endpoints, reminders planned: the meeting is next week, inside the reminder horizon) with
the real `now`, each timed from the client call to the parsed 201. Round 0 is a warm-up (the
first request of a process imports and caches; it is printed, not counted). Prints medians,
min-max, the ratio to the floor, the CPU time of this process (the app's share, whatever the
database server's load), the CPU the PostgreSQL server processes spent on it (read from
/proc, 10 ms ticks: the database's share), and the SQL statements of one booking; `--profile` adds a
pyinstrument profile of one more, warm, booking per engine.
"""
from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from datetime import datetime, timedelta

from sqlalchemy import delete, event

from bench.common import database, delete_meetings, demo_with_bridge, make_app, median, server_cpu, watch_backends
from models.base import LOCAL

TITLE = "Giao ban trực tuyến toàn Thành phố (bench)"


def setup(engine: str, url: str):
    """The app on a fresh database with the demo year, a wide bridge, an admin and its token."""
    from models import db
    from models.users import issue_api_token

    app = make_app(url)
    with app.app_context():
        bridge, admin = demo_with_bridge()
        token = issue_api_token(admin)
        db.session.commit()
        counter = [0, []]

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, *_a):
            counter[0] += 1
            counter[1].append(" ".join(statement.split())[:110])

        backends = watch_backends(db.engine)
        return app, {"bridge": bridge.id, "admin": admin.id, "token": token, "statements": counter,
                     "backends": backends}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=9, help="timed rounds after the warm-up")
    parser.add_argument("--days-ahead", type=int, default=7)
    parser.add_argument("--participants", default="all:districts_and_communes")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--statements", action="store_true", help="list one booking's SQL statements")
    args = parser.parse_args()
    from models import AuditLog, Meeting, db

    engines = args.engines.split(",")
    start = (datetime.now(LOCAL) + timedelta(days=args.days_ahead)).replace(
        hour=8, minute=0, second=0, microsecond=0)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    with ExitStack() as stack:
        apps = {}
        for engine in engines:
            url = stack.enter_context(database(engine))
            apps[engine] = setup(engine, url)
        body = {"title": TITLE, "category": "giao_ban", "organizer": "legacy:01", "mode": "online",
                "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
                "participants": [args.participants]}

        def reset(engine):
            app, info = apps[engine]
            with app.app_context():
                db.session.execute(delete(AuditLog).where(AuditLog.actor_id == info["admin"]))
                delete_meetings(Meeting.title == TITLE)
                db.session.commit()
                db.session.remove()

        def floor(engine):
            r = apps[engine][0].test_client().get("/healthz")
            assert r.status_code == 200, r.get_data(as_text=True)[:300]

        def book(engine):
            app, info = apps[engine]
            r = app.test_client().post("/api/v1/meetings", json={**body, "bridge": info["bridge"]},
                                       headers={"Authorization": f"Bearer {info['token']}"})
            assert r.status_code == 201, r.get_data(as_text=True)[:500]
            return r.get_json()

        times = {(e, k): [] for e in engines for k in ("floor", "book", "cpu", "server")}
        statements, said = {}, {}
        invited = {}
        for round_ in range(args.repeat + 1):
            for engine in engines:
                reset(engine)
                t0 = time.perf_counter()
                floor(engine)
                t1 = time.perf_counter()
                apps[engine][1]["statements"][:] = [0, []]
                c1, s1 = time.process_time(), server_cpu(apps[engine][1]["backends"])
                answer = book(engine)
                t2 = time.perf_counter()
                cpu = (time.process_time() - c1) * 1000
                server = (server_cpu(apps[engine][1]["backends"]) - s1) * 1000
                statements[engine] = apps[engine][1]["statements"][0]
                said[engine] = list(apps[engine][1]["statements"][1])
                invited[engine] = len(answer["participants"])
                if round_ == 0:
                    print(f"warm-up {engine}: floor {(t1 - t0) * 1000:.1f} ms, book {(t2 - t1) * 1000:.1f} ms")
                    continue
                times[(engine, "floor")].append((t1 - t0) * 1000)
                times[(engine, "book")].append((t2 - t1) * 1000)
                times[(engine, "cpu")].append(cpu)
                times[(engine, "server")].append(server)
        if args.profile:
            from pyinstrument import Profiler
            for engine in engines:
                reset(engine)
                profiler = Profiler(interval=0.0005)
                profiler.start()
                book(engine)
                profiler.stop()
                print(f"## POST /api/v1/meetings, {invited[engine]} units ({engine}), warm\n")
                print(profiler.output_text(unicode=False, color=False, show_all=False))
        for engine in engines:
            reset(engine)
            if args.statements:
                print(f"## the {statements[engine]} statements of one booking ({engine})\n")
                print("\n".join(said[engine]) + "\n")
        print("| engine | GET /healthz (floor) ms | POST /api/v1/meetings ms (min-max) | × floor "
              "| this process's CPU ms | PostgreSQL server CPU ms | SQL statements | invited | n |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for engine in engines:
            f, b, server = times[(engine, "floor")], times[(engine, "book")], times[(engine, "server")]
            print(f"| {engine} | {median(f):.1f} | {median(b):.1f} ({min(b):.0f}-{max(b):.0f}) "
                  f"| {median(b) / median(f):.0f} | {median(times[(engine, 'cpu')]):.0f} "
                  f"| {f'{median(server):.0f}' if engine == 'postgresql' else 'in process'} "
                  f"| {statements[engine]} | {invited[engine]} | {len(b)} |")


if __name__ == "__main__":
    main()
