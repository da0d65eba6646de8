"""Booking a city-wide briefing (556 units) and the slot finder, on the demo year and on ten times
it, both scales open at once and interleaved round by round.

Run: .venv/bin/python -m bench.booking [--engines sqlite,postgresql] [--scales 1,10] [--repeat 11]
         [--db postgresql:10=URL] [--db sqlite:10=sqlite:////path/demo10.sqlite]

For each engine, one database per scale (a fresh one with Hanoi's legacy units and
`generate_demo(2019, seed=1, scale=K)`, or an existing one made the same way given with
`--db ENGINE:SCALE=URL`; it is written to, and the rows the bench books are deleted again), each
with a bridge big enough for the whole city. Then, every round, for each scale in turn: timed,
`book_meeting` for the city inviting every district and commune on the Monday after the demo
year (the previous round's rows are deleted untimed, so every round books into the same state),
and `find_slots` for the same 557 units over the two weeks from Monday 29 April 2019, a busy
fortnight of the demo year in which some two-hour slots are free at both scales (the script
fails if none is found). Prints medians and the ratio between the scales.
"""
from __future__ import annotations

import argparse
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

from bench.common import database, make_app, median
from models.base import LOCAL

NOW = datetime(2019, 12, 31, tzinfo=UTC)
START = datetime(2020, 1, 6, 8, 0, tzinfo=LOCAL)  # the Monday after the demo year
#: at ten times the data the one fortnight of the demo year with a free two-hour slot for all 557:
#: every working hour is busy somewhere until Saturday 4 May (a working Saturday in the calendar)
SLOT_WINDOW = (datetime(2019, 4, 29, tzinfo=LOCAL), datetime(2019, 5, 13, tzinfo=LOCAL))
SLOT_NOW = datetime(2019, 4, 22, 17, tzinfo=UTC)


class Case:
    """One database of one engine and scale, with what its rounds need."""

    def __init__(self, engine: str, scale: float, url: str, generate: bool):
        from sqlalchemy import select

        from config import Config
        from models import Bridge, Meeting, User, db
        from scheduler.demo import generate_demo
        from webapp import create_app

        self.engine, self.scale, self.made = engine, scale, []
        self.app = make_app(url) if generate else create_app(Config, SQLALCHEMY_DATABASE_URI=url)
        with self.app.app_context():
            if generate:
                generate_demo(2019, seed=1, scale=scale)
                db.session.commit()
            self.meetings = db.session.scalar(select(db.func.count(Meeting.id)))
            bridge = db.session.scalar(select(Bridge).where(Bridge.name == "MCU benchmark"))
            if bridge is None:
                bridge = Bridge(name="MCU benchmark", capacity=1000)
                db.session.add(bridge)
            admin = db.session.scalar(select(User).where(User.email == "bench@giaoban.local"))
            if admin is None:
                admin = User(email="bench@giaoban.local", role="admin")
                db.session.add(admin)
            db.session.commit()
            self.bridge_id, self.admin_id = bridge.id, admin.id
        self.book_ms: list[float] = []
        self.slot_ms: list[float] = []
        self.found: list = []

    def round(self) -> None:
        import time

        from sqlalchemy import select

        from bench.common import delete_meetings
        from models import Bridge, Meeting, Unit, User, db
        from scheduler.booking import book_meeting
        from scheduler.participants import resolve_participants
        from scheduler.slots import find_slots

        with self.app.app_context():
            if self.made:
                delete_meetings(Meeting.id.in_(self.made))
                db.session.commit()
                self.made.clear()
            admin = db.session.get(User, self.admin_id)
            data = {"title": "Giao ban trực tuyến toàn Thành phố", "category": "giao_ban",
                    "organizer": "legacy:01", "mode": "online", "start": START,
                    "end": START + timedelta(hours=2), "participants": ["all:districts_and_communes"],
                    "bridge": self.bridge_id}
            t0 = time.perf_counter()
            booking = book_meeting(data, admin, NOW)
            self.book_ms.append((time.perf_counter() - t0) * 1000)
            self.made.append(booking.meetings[0].id)
            self.participants = len(booking.meetings[0].invitations)
        with self.app.app_context():
            units = resolve_participants(["all:districts_and_communes"])
            units.append(db.session.scalar(select(Unit).where(Unit.level == "city")))
            bridge = db.session.get(Bridge, self.bridge_id)
            t0 = time.perf_counter()
            self.found = find_slots(units, timedelta(hours=2), *SLOT_WINDOW, bridge, SLOT_NOW, limit=3)
            self.slot_ms.append((time.perf_counter() - t0) * 1000)
            assert self.found, "the slot finder found nothing: the benchmark would time an empty search"
            self.units = len(units)

    def close(self) -> None:
        from bench.common import delete_meetings
        from models import Meeting, db

        with self.app.app_context():
            if self.made:
                delete_meetings(Meeting.id.in_(self.made))
                db.session.commit()
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--db", action="append", default=[],
                        help="ENGINE:SCALE=URL: an existing demo database for that engine and scale")
    args = parser.parse_args()
    given = {}
    for item in args.db:
        where, url = item.split("=", 1)
        engine, scale = where.split(":")
        given[(engine, float(scale))] = url
    scales = [float(s) for s in args.scales.split(",")]
    for engine in args.engines.split(","):
        with ExitStack() as stack:
            cases = []
            for scale in scales:
                url = given.get((engine, scale)) or stack.enter_context(database(engine))
                case = Case(engine, scale, url, (engine, scale) not in given)
                stack.callback(case.close)
                cases.append(case)
            for _ in range(args.repeat + 1):  # the first round warms up and is not counted
                for case in cases:
                    case.round()
            for case in cases:
                book, slots = median(case.book_ms[1:]), median(case.slot_ms[1:])
                first = [s.astimezone(LOCAL).strftime("%a %d/%m %H:%M") for s, _ in case.found]
                print(f"{engine:10} scale {case.scale:>4g}: {case.meetings:>7} meetings | book "
                      f"{case.participants} units: {book:7.1f} ms | slot finder ({case.units} units, "
                      f"2 weeks): {slots:7.1f} ms, first slots {first}", flush=True)
            if len(cases) >= 2:
                a, b = cases[0], cases[-1]
                print(f"{engine}: scale {b.scale:g} / scale {a.scale:g}, interleaved: booking "
                      f"{median(b.book_ms[1:]) / median(a.book_ms[1:]):.2f}x, slot finder "
                      f"{median(b.slot_ms[1:]) / median(a.slot_ms[1:]):.2f}x", flush=True)


if __name__ == "__main__":
    main()
