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
