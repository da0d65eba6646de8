"""Conditional GET for the report's representations (page, JSON, CSV, XLSX): a strong ETag and
Last-Modified from the figures' cache key (`reports.figures_cache`), and a 304 when they match."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Response, session
from flask_babel import get_locale

from models.base import utcnow
from reports.access import report_scope
from reports.figures_cache import cached, changed_at, clock_key, etag_of, figures_key
from reports.periods import parse_period
from reports.ratio_report import read_ratio_report

from .calendars import not_modified


def minute_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def report_figures(label: str, user, now: datetime, version: int | None):
    """The report's figures (cached) with their key and whether they follow the clock.
    :raise ValidationFailed, Forbidden, NotFound: as `read_ratio_report`."""
    scope = report_scope(user)
    period = parse_period(label)
    clock = clock_key(period, now)
    key = figures_key("report", period.label, version,
                      None if scope is None else tuple(sorted(scope)), clock)
    report = cached(key, lambda: read_ratio_report(period.label, user, now, version))
    return report, key, clock != "past"


def conditional(key: tuple | None, parts: tuple, respond: Callable[[], Response],
                clock_moves: bool) -> Response:
    """`respond()`, or a 304 when the client holds this representation; with the validators.

    `parts` names what else the bytes depend on (format, person, locale...); `clock_moves`
    says the figures follow the minute (Last-Modified is then at least this minute's start).
    """
    if key is None:
        return respond()
    etag = f'"{etag_of(key, *parts)}"'
    last = changed_at(key)
    if clock_moves:
        last = max(last, minute_start(utcnow()))
    last = last.replace(microsecond=0)
    if not session.get("_flashes") and not_modified(etag, last):
        response = Response(status=304)
    else:
        response = respond()
    response.set_etag(etag.strip('"'))
    response.last_modified = last
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def locale_tag() -> str:
    return str(get_locale())
