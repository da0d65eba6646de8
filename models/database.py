"""Engine settings per dialect: SQLite's pragmas and its serialised write transactions."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import any_, bindparam, event, insert, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine

from models.base import db


def configure_engine(engine: Engine, lock_timeout: float = 30.0, statement_timeout: float = 0.0) -> None:
    """Per dialect, how a writer waits: `lock_timeout` seconds for a lock, then an error.

    SQLite: foreign keys, WAL, a busy timeout of `lock_timeout`, and explicit BEGIN so that
    IMMEDIATE works. PostgreSQL: every write transaction (`begin_write`) sets `lock_timeout`
    and `statement_timeout` for itself (SET LOCAL), so a write stuck behind another
    transaction's row lock fails after that time instead of waiting forever; readers are not
    limited. Either error is an `OperationalError`, which the web edge answers with 503.
    """
    if engine.dialect.name == "postgresql":
        # One round trip for both (no parameters: psycopg sends the two as one simple query).
        settings = (f"SET LOCAL lock_timeout = {max(1, int(lock_timeout * 1000))}; "
                    f"SET LOCAL statement_timeout = {max(0, int(statement_timeout * 1000))}")

        @event.listens_for(engine, "begin")
        def _on_begin_pg(conn):
            if conn.get_execution_options().get("immediate"):
                conn.exec_driver_sql(settings)
        return
    if engine.dialect.name != "sqlite":
        return
    busy = max(1, int(lock_timeout * 1000))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def id_batches(ids: Iterable[int], size: int = 900) -> Iterator[list[int]]:
    """`ids` in batches for `among`: all in one on PostgreSQL (one array parameter), else `size`
    at a time (SQLite's limit on bound parameters)."""
    ids = list(ids)
    step = (len(ids) or 1) if db.engine.dialect.name == "postgresql" else size
    for i in range(0, len(ids), step):
        yield ids[i:i + step]


def among(column, ids: Iterable[int]):
    """SQL: `column` is one of `ids`. PostgreSQL: `= ANY(:array)`, one parameter whatever the
    number (an IN list of 3,321 placeholders costs psycopg more to parse than the database to
    run); elsewhere `IN (...)`."""
    ids = list(ids)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(column.type)))
    return column.in_(ids)


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


#: rows per INSERT statement when many are written at once (PostgreSQL)
INSERT_PAGE = 5000


def insert_many(table, rows: list[dict]) -> None:
    """Insert many rows into a table with statement triggers (`endpoint_bookings`), in few statements.

    PostgreSQL: one `INSERT ... SELECT * FROM unnest(arrays)` per INSERT_PAGE rows, each column
    sent as one typed array. An executemany there is one statement per row, so the endpoint
    holds' statement trigger (migration 0010_series) would run once per row instead of once per
    page. SQLite: one executemany (no such triggers). The app's own bookings are INSERT ...
    SELECT (`scheduler.booking.insert_bookings`); this is for rows made in Python (the demo).
    """
    if not rows:
        return
    dialect = db.session.get_bind().dialect
    if dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    arrays = ", ".join(f"CAST(:c{i} AS {c.type.compile(dialect=dialect)}[])" for i, c in enumerate(columns))
    stmt = text(f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})").bindparams(
        *(bindparam(f"c{i}", type_=ARRAY(c.type)) for i, c in enumerate(columns)))
    for start in range(0, len(rows), INSERT_PAGE):
        page = rows[start:start + INSERT_PAGE]
        db.session.execute(stmt, {f"c{i}": [row[name] for row in page] for i, name in enumerate(names)})
