"""Telling 556 units about a weekly series: the notices written with the booking, then the batch
of e-mails sent by the scheduler's delivery job to a real SMTP server on loopback (aiosmtpd).

Run: .venv/bin/python -m bench.notices [--engines sqlite,postgresql] [--weeks 52]

For each engine: a fresh database with Hanoi's legacy units, one clerk per district and commune
(556 addresses), a bridge big enough for the city; timed: `book_meeting` of a weekly series
inviting every district and commune (one notice per unit for the whole series, written in the
booking's transaction), then `send_due_notices` until every e-mail is delivered (one SMTP
connection; each message claimed, sent outside any transaction and recorded).
"""
from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from bench.common import database, make_app
from models.base import LOCAL


class Counter:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def run(engine: str, weeks: int) -> dict:
    from models import Bridge, Delivery, Notice, Unit, User, db
    from scheduler.booking import book_meeting
    from scheduler.jobs import translator_for
    from scheduler.notices import send_due_notices

    handler = Counter()
    smtp = Controller(handler, hostname="127.0.0.1", port=int(os.environ.get("BENCH_SMTP_PORT", 8401)))
    smtp.start()
    try:
        with database(engine) as url:
            app = make_app(url)
            with app.app_context():
                units = db.session.scalars(select(Unit).where(Unit.level.in_(("district", "commune")),
                                                              Unit.dissolved_on.is_(None))).all()
                db.session.add_all([User(email=f"vanthu.{u.code}@bench.test", role="clerk", unit=u)
                                    for u in units])
                bridge = Bridge(name="MCU benchmark", capacity=1000)
                admin = User(email="bench@giaoban.local", role="admin")
                db.session.add_all([bridge, admin])
                db.session.commit()
                now = datetime(2019, 12, 31, tzinfo=UTC)
                start = datetime(2020, 1, 6, 8, 0, tzinfo=LOCAL)
                data = {"title": "Giao ban trực tuyến toàn Thành phố", "category": "giao_ban",
                        "organizer": "legacy:01", "mode": "online", "start": start,
                        "end": start + timedelta(hours=2), "participants": ["all:districts_and_communes"],
                        "bridge": bridge.id, "rrule": f"FREQ=WEEKLY;COUNT={weeks}"}
                t0 = time.perf_counter()
                book_meeting(data, admin, now)
                booked = time.perf_counter() - t0
                notices = db.session.scalar(select(func.count(Notice.id)))
                config = {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "MAIL_USE_TLS": False}
                t1 = time.perf_counter()
                sent = 0
                while True:
                    batch = send_due_notices(config, None, translator_for(app))
                    sent += batch
                    if batch == 0:
                        break
                sending = time.perf_counter() - t1
                left = db.session.scalar(select(func.count(Delivery.id)).where(
                    Delivery.channel == "email", Delivery.sent_at.is_(None)))
                return {"engine": engine, "units": len(units), "notices": notices, "sent": sent,
                        "received": handler.count, "left": left, "book_s": round(booked, 2),
                        "send_s": round(sending, 2), "total_s": round(booked + sending, 2)}
    finally:
        smtp.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    for engine in args.engines.split(","):
        print(run(engine, args.weeks), flush=True)


if __name__ == "__main__":
    main()
