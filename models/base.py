"""The SQLAlchemy base, the `db` extension and the column types every model shares."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, String, Text, event, types
from sqlalchemy.orm import DeclarativeBase, Mapper

from .text import one_line

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: the city's time zone: months, working hours and recurrence are computed in it (UTC+7, no DST)
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
#: the largest row id (a 32-bit integer column): routes and the API refuse larger ones
ID_MAX = 2**31 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def single_line_columns(table) -> frozenset[str]:
    """The columns of `table` that hold one line: every `String` but `Text` (and its kin)."""
    return frozenset(c.key for c in table.columns
                     if isinstance(c.type, String) and not isinstance(c.type, Text))


def single_line_rows(table, rows: list[dict]) -> list[dict]:
    """`rows` for a Core insert into `table`, with their single-line values made one line."""
    keys = single_line_columns(table)
    if not rows or not keys & rows[0].keys():
        return rows
    return [{k: one_line(v) if k in keys and isinstance(v, str) else v for k, v in row.items()}
            for row in rows]


def _one_line_on_set(_target, value, _old, _initiator):
    return one_line(value) if isinstance(value, str) else value


@event.listens_for(Mapper, "mapper_configured")
def _single_line_attributes(mapper, cls) -> None:
    """Line breaks in a single-line column become a space as soon as a verb sets it, so what a
    verb answers, what is stored and what mail headers and iCalendar lines carry agree."""
    if getattr(mapper, "local_table", None) is None:
        return
    for prop in mapper.column_attrs:
        if prop.columns[0].table is mapper.local_table and \
                prop.columns[0].key in single_line_columns(mapper.local_table):
            event.listen(getattr(cls, prop.key), "set", _one_line_on_set, retval=True)


def utcnow() -> datetime:
    """The current instant, time-zone aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(types.TypeDecorator):
    """An instant: stored in UTC (timestamptz on PostgreSQL), always read back aware.

    Naive values are refused: the caller must say which time zone it means.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
