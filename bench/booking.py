"""Booking a city-wide briefing (556 units) and the slot finder, on the demo year and on ten times it.

Run: .venv/bin/python -m bench.booking [--engines sqlite,postgresql] [--repeat 15] [--scales 1,10]

For each engine and scale: a fresh database, Hanoi's legacy units, `generate_demo(2019,
scale=K)`, a bridge big enough for the whole city; then, timed, `book_meeting` for the city
inviting every district and commune (booked, then cancelled and its rows deleted before the
next round so every round books into the same state), and `find_slots` for the same 556
participants over two weeks of the demo year. Prints medians and the ratio between scales.
"""
from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from bench.common import database, make_app, median, timed
from models.base import LOCAL


def run(engine: str, scale: float, repeat: int) -> dict:
    from models import AuditLog, Bridge, EndpointBooking, Invitation, Meeting, Unit, User, db
    from models.notifications import Reminder
    from scheduler.booking import book_meeting
    from scheduler.demo import generate_demo
    from scheduler.participants import resolve_participants
    from scheduler.slots import find_slots

    with database(engine) as url:
        app = make_app(url)
        with app.app_context():
            counts = generate_demo(2019, seed=1, scale=scale)
            bridge = Bridge(name="MCU benchmark", capacity=1000)
            admin = User(email="bench@giaoban.local", role="admin")
            db.session.add_all([bridge, admin])
            db.session.commit()
            now = datetime(2019, 12, 31, tzinfo=UTC)
            start = datetime(2020, 1, 6, 8, 0, tzinfo=LOCAL)  # the Monday after the demo year
            data = {"title": "Giao ban trực tuyến toàn Thành phố", "category": "giao_ban",
                    "organizer": "legacy:01", "mode": "online", "start": start,
                    "end": start + timedelta(hours=2), "participants": ["all:districts_and_communes"],
                    "bridge": bridge.id}
            made: list[int] = []

            def book():
                booking = book_meeting(data, admin, now)
                made.append(booking.meetings[0].id)

            def reset():
                if made:
                    ids = list(made)
                    from models import Delivery, Notice
                    notices = select(Notice.id).where(Notice.meeting_id.in_(ids))
                    db.session.execute(delete(Delivery).where(Delivery.notice_id.in_(notices)))
                    db.session.execute(delete(Notice).where(Notice.meeting_id.in_(ids)))
                    for model in (Reminder, EndpointBooking, Invitation):
                        db.session.execute(delete(model).where(model.meeting_id.in_(ids)))
                    db.session.execute(delete(AuditLog).where(AuditLog.entity_type == "meeting",
                                                              AuditLog.entity_id.in_(ids)))
                    db.session.execute(delete(Meeting).where(Meeting.id.in_(ids)))
                    db.session.commit()
                    made.clear()
                db.session.expire_all()

            book_ms = timed(book, repeat, setup=reset)
            reset()
            units = resolve_participants(["all:districts_and_communes"])
            city = db.session.scalar(select(Unit).where(Unit.level == "city"))
            window = (datetime(2019, 10, 7, tzinfo=LOCAL), datetime(2019, 10, 21, tzinfo=LOCAL))
            slot_ms = timed(lambda: find_slots(units + [city], timedelta(hours=2), *window, bridge,
                                               datetime(2019, 10, 1, tzinfo=UTC)), repeat)
            found = find_slots(units + [city], timedelta(hours=2), *window, bridge,
                               datetime(2019, 10, 1, tzinfo=UTC), limit=3)
            db.session.remove()
            db.engine.dispose()
    return {"engine": engine, "scale": scale, "meetings": counts.get("meetings"),
            "invitations": counts.get("invitations"), "book_ms": median(book_ms),
            "slots_ms": median(slot_ms), "participants": len(units),
            "first_slots": [s.astimezone(LOCAL).strftime("%a %d/%m %H:%M") for s, _ in found]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    rows = []
    for engine in args.engines.split(","):
        for scale in (float(s) for s in args.scales.split(",")):
            row = run(engine, scale, args.repeat)
            rows.append(row)
            print(f"{engine:10} scale {scale:>4}: {row['meetings']:>7} meetings, "
                  f"{row['invitations']:>8} invitations | book {row['participants']} units: "
                  f"{row['book_ms']:7.1f} ms | slot finder: {row['slots_ms']:7.1f} ms | "
                  f"first slots {row['first_slots']}", flush=True)
    for engine in args.engines.split(","):
        mine = [r for r in rows if r["engine"] == engine]
        if len(mine) >= 2:
            print(f"{engine}: booking at scale {mine[-1]['scale']} / scale {mine[0]['scale']}: "
                  f"{mine[-1]['book_ms'] / mine[0]['book_ms']:.2f}x")


if __name__ == "__main__":
    main()
