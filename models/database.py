"""Engine settings per dialect: SQLite's pragmas and its serialised write transactions."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from models.base import db


def configure_engine(engine: Engine) -> None:
    """Foreign keys, WAL and a busy timeout on SQLite; explicit BEGIN so IMMEDIATE works."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def begin_write() -> None:
    """Start the session's transaction as a writer.

    SQLite: BEGIN IMMEDIATE takes the write lock now, so concurrent writers queue up
    instead of failing later. PostgreSQL: an ordinary transaction (row locks and the
    exclusion constraint do the rest).
    """
    if db.session().in_transaction():
        db.session.commit()
    db.session.connection(execution_options={"immediate": True})


@contextmanager
def write_transaction():
    """A writer's transaction: committed when the block ends, rolled back on any error."""
    begin_write()
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
