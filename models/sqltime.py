"""Instant arithmetic in SQL, for set-based writes that derive one instant from another.

`shifted(column, delta)` is `column + delta` as the column's engine stores instants:
timestamptz arithmetic on PostgreSQL; on SQLite, the naive UTC text SQLAlchemy writes
("YYYY-MM-DD HH:MM:SS.ffffff"), shifted by whole seconds with its fraction kept, so the result
compares and parses exactly like a value written from Python.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from .base import UTCDateTime


class shifted(FunctionElement):  # noqa: N801  (reads as a SQL function)
    type = UTCDateTime()
    inherit_cache = False
    name = "shifted"

    def __init__(self, column: ColumnElement, delta: timedelta):
        seconds = delta.total_seconds()
        if seconds != int(seconds):
            raise ValueError("shifted() takes whole seconds")
        self.seconds = int(seconds)
        super().__init__(column)


@compiles(shifted)
def _default(element: shifted, compiler, **kw) -> str:
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"({column} + make_interval(secs => {element.seconds}))"


@compiles(shifted, "sqlite")
def _sqlite(element: shifted, compiler, **kw) -> str:
    column = compiler.process(list(element.clauses)[0], **kw)
    return (f"(strftime('%Y-%m-%d %H:%M:%S', {column}, '{element.seconds:+d} seconds')"
            f" || substr({column}, 20))")
