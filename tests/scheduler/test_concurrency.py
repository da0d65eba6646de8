"""Concurrent clashing bookings from separate processes: exactly one wins, on both engines."""
import multiprocessing as mp

import pytest
from sqlalchemy import func, select

from config import TestConfig
from models import Bridge, EndpointBooking, Meeting, User, db
from tests.booking_data import local, meeting_data

WORKERS = 8


def _book(url: str, user_id: int, bridge_id: int, index: int, barrier, results) -> None:
    """One process: its own app, engine and session; waits at the barrier, then books."""
    from models.errors import Conflict
    from scheduler.booking import book_meeting
    from webapp import create_app

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        actor = db.session.get(User, user_id)
        data = meeting_data(bridge=bridge_id, title=f"Phiên {index}",
                            start=local(2019, 3, 4, 8, index), end=local(2019, 3, 4, 10))
        from datetime import UTC, datetime
        now = datetime(2019, 1, 2, tzinfo=UTC)
        db.session.get(Bridge, bridge_id)  # warm the connection before the race
        barrier.wait(timeout=60)
        try:
            book_meeting(data, actor, now)
            results.put(("ok", index))
        except Conflict as exc:
            results.put(("conflict", len(exc.details["conflicts"])))
        except Exception as exc:  # reported to the parent, which fails the test
            results.put(("error", repr(exc)))
        db.engine.dispose()


@pytest.mark.parametrize("shared_bridge", [True, False], ids=["one-bridge", "own-bridges"])
def test_exactly_one_of_many_clashing_bookings_wins(app, database_url, equipped, organizer,
                                                    shared_bridge):
    bridges = [Bridge(name=f"MCU {i}", capacity=50) for i in range(WORKERS)]
    db.session.add_all(bridges)
    db.session.commit()
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [ctx.Process(target=_book, args=(database_url, organizer.id,
                                             bridges[0 if shared_bridge else i].id, i, barrier, results))
             for i in range(WORKERS)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["conflict"] * (WORKERS - 1) + ["ok"], outcomes
    assert all(n >= 1 for kind, n in outcomes if kind == "conflict")
    db.session.commit()
    assert db.session.scalar(select(func.count(Meeting.id))) == 1
    assert db.session.scalar(select(func.count(EndpointBooking.id))) == 2
