"""The data version: one counter that every write touching what reports show moves on.

Caches of computed figures (the report pages) key on it, and their ETags include it, so a
cached figure is served only while nothing it could depend on has been written since. The
counter is bumped in the writing transaction itself, when it commits (a flush of, or an ORM
`insert`/`update`/`delete` statement on, a WATCHED table flags the session), so readers see the
new version exactly when they can see the new rows; the bump's row lock orders committers.

A missing row (a freshly emptied database) starts at a random value, so a process that cached
figures of an earlier database under some version cannot meet that version again.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import BigInteger, Integer, bindparam, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.dml import UpdateBase

from .base import UTCDateTime, db, utcnow

#: tables whose rows the figures, the trend, the readiness and the versions list are made of
WATCHED = frozenset({"meetings", "invitations", "series", "endpoint_bookings", "bridges",
                     "target_rules", "report_snapshots", "units", "endpoints",
                     "connectivity_checks", "calendar_exceptions"})
_FLAG = "giaoban_data_changed"
_MEMO = "giaoban_data_version"  # (the transaction it was read in, the version)
_BUMP = text("INSERT INTO data_version (id, version, changed_at) VALUES (1, :fresh, :now) "
             "ON CONFLICT (id) DO UPDATE SET version = data_version.version + 1, "
             "changed_at = :now").bindparams(bindparam("now", type_=UTCDateTime))


class DataVersion(db.Model):
    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Version(NamedTuple):
    number: int
    changed_at: datetime


def data_version() -> Version | None:
    """The current version and when it moved (None if no write has been counted in this
    database yet). Read once per transaction of the session: a page asks for it for each of
    its cache keys (#17: a query each, under load), and a commit or rollback starts a new
    transaction, which reads it again."""
    session = db.session()
    memo = session.info.get(_MEMO)
    transaction = session.get_transaction()
    if memo is not None and transaction is not None and memo[0] is transaction:
        return memo[1]
    row = session.execute(select(DataVersion.version, DataVersion.changed_at)
                          .where(DataVersion.id == 1)).first()
    return remember_version(*(row or (None, None)))


def version_columns() -> tuple:
    """The data version's number and time as two scalar subqueries, so a statement that reads
    something else anyway (the signed-in user) reads the version too; `remember_version` then
    spares `data_version()` its own query in this transaction."""
    return (select(DataVersion.version).where(DataVersion.id == 1).scalar_subquery(),
            select(DataVersion.changed_at).where(DataVersion.id == 1).scalar_subquery())


def remember_version(number: int | None, changed_at: datetime | None) -> Version | None:
    """The version read (by `data_version()` or through `version_columns()`), kept for the
    transaction that read it; answered."""
    session = db.session()
    version = None if number is None else Version(number, changed_at)
    session.info[_MEMO] = (session.get_transaction(), version)
    return version


def unsettled() -> bool:
    """This session has written something the data version counts and not yet committed it
    (pending objects, a flagged flush or a flagged connection): no check of Python only state
    would see it in a cache keyed by the version."""
    session = db.session()
    if session.info.get(_FLAG) or any(_table_of(o) in WATCHED for o in (*session.new, *session.dirty,
                                                                          *session.deleted)):
        return True
    return session.in_transaction() and bool(session.connection().info.get(_FLAG))


def settled_version() -> Version | None:
    """The data version, when this session has written nothing it counts (a cache keyed by it
    is then exact for what the session reads); None otherwise, or before any counted write."""
    return None if unsettled() else data_version()


def _table_of(instance) -> str | None:
    table = getattr(type(instance), "__table__", None)
    return None if table is None else table.name


@event.listens_for(Session, "before_flush")
def _flag_flush(session, _context, _instances) -> None:
    if session.info.get(_FLAG):
        return
    for instance in (*session.new, *session.dirty, *session.deleted):
        if _table_of(instance) in WATCHED:
            session.info[_FLAG] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _flag_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED:
            state.session.info[_FLAG] = True


@event.listens_for(Engine, "before_execute")
def _flag_core(conn, statement, *_args) -> None:
    """Statements run on the Session's connection itself (`session.connection().execute`)
    skip the Session's events: flag the connection, the commit below reads it."""
    if isinstance(statement, UpdateBase) and getattr(getattr(statement, "table", None), "name",
                                                     None) in WATCHED:
        conn.info[_FLAG] = True


@event.listens_for(Engine, "rollback")
@event.listens_for(Engine, "commit")
def _clear_connection(conn) -> None:
    conn.info.pop(_FLAG, None)


@event.listens_for(Session, "before_commit")
def _bump(session) -> None:
    session.flush()
    changed = session.info.pop(_FLAG, False)
    if session.in_transaction():
        changed = session.connection().info.pop(_FLAG, False) or changed
    if changed:
        session.execute(_BUMP, {"fresh": secrets.randbelow(2**40) * 1000, "now": utcnow()})


@event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop(_FLAG, None)
