"""Shared set-up for the benchmarks: a fresh database per engine, migrated and filled."""
from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager

from sqlalchemy import create_engine, text

PG_SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def database(engine: str):
    """Yield the URL of a new, empty database of this engine; dropped afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite"
        return
    name = f"giaoban_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str):
    """The app on `url`, migrated, with Hanoi's legacy units imported."""
    from flask_migrate import upgrade

    from config import Config
    from models.registry_import import import_units
    from webapp import create_app

    os.environ.setdefault("GIAOBAN_INSTANCE", tempfile.mkdtemp(prefix="giaoban-bench-"))
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        import_units(1, "legacy")
    return app


def demo_with_bridge():
    """In an app context: the demo year 2019, a 100,000-port bridge (so ports never limit a
    booking) and an admin, the planner's statistics fresh on PostgreSQL; answers (bridge, admin)."""
    from models import Bridge, User, db
    from scheduler.demo import generate_demo

    generate_demo(2019, seed=1, scale=1)
    bridge = Bridge(name="MCU benchmark", capacity=100000)
    admin = User(email="bench@giaoban.local", role="admin")
    db.session.add_all([bridge, admin])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return bridge, admin


def timed(fn: Callable[[], object], repeat: int, setup: Callable[[], object] | None = None) -> list[float]:
    """Wall-clock milliseconds of `fn`, `repeat` times (setup is not timed)."""
    out = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def delete_meetings(where) -> None:
    """Delete the meetings matching `where` and every row that hangs off them, found from the
    foreign keys (notices, deliveries, reminders, ...: a new table is followed too), then the
    series no meeting uses any more. The caller commits."""
    from sqlalchemy import delete, exists, or_, select

    from models import Meeting, Series, db

    meetings = Meeting.__table__
    condition = {meetings: where}
    ids = {meetings: select(meetings.c.id).where(where)}
    for table in db.metadata.sorted_tables:  # parents before children
        if table is meetings:
            continue
        parents = [fk.parent.in_(ids[fk.column.table]) for fk in table.foreign_keys
                   if fk.column.table in ids and fk.column.table is not table]
        if parents:
            condition[table] = or_(*parents)
            if len(table.primary_key.columns) == 1:
                ids[table] = select(*table.primary_key.columns).where(condition[table])
    for table in reversed(db.metadata.sorted_tables):  # children first: their conditions read parents
        if table in condition:
            db.session.execute(delete(table).where(condition[table]))
    db.session.execute(delete(Series).where(~exists().where(Meeting.series_id == Series.id)))


def watch_backends(engine) -> set[int]:
    """The PostgreSQL server processes `engine`'s connections use, as they are checked out
    (empty on SQLite: the database works inside this process)."""
    from sqlalchemy import event

    pids: set[int] = set()
    if engine.dialect.name == "postgresql":
        @event.listens_for(engine, "checkout")
        def _backend(dbapi_connection, *_a):
            pids.add(dbapi_connection.info.backend_pid)
    return pids


def server_cpu(pids: set[int]) -> float:
    """CPU seconds the PostgreSQL server processes have used so far (/proc: same machine only)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")
