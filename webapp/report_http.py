"""Conditional GET for the report's representations (page, JSON, CSV, XLSX) and the registry
tree: a strong ETag and Last-Modified from the figures' cache key (`reports.figures_cache`), and
a 304 when they match. (The feeds use `not_modified` with their own validators.)"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Response, request, session
from flask_babel import get_locale
from flask_login import current_user

from models.base import utcnow
from reports.access import report_scope
from reports.figures_cache import cached, changed_at, clock_key, etag_of, figures_key
from reports.periods import parse_period
from reports.ratio_report import read_ratio_report

from .notices import unread_count


def not_modified(etag: str, last_modified: datetime) -> bool:
    """If-None-Match decides when present, by weak comparison (RFC 9110 13.1.2: `W/"x"`
    matches `"x"`, and `*` matches any); otherwise If-Modified-Since (second precision)."""
    if request.headers.get("If-None-Match"):
        return request.if_none_match.contains_weak(etag.strip('"'))
    since = request.if_modified_since
    return since is not None and last_modified <= since


def minute_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def report_figures(label: str, user, now: datetime, version: int | None, province: str | None = None):
    """The report's figures (cached) with their key and whether they follow the clock.
    :raise ValidationFailed, Forbidden, NotFound: as `read_ratio_report`."""
    scope = report_scope(user, province)
    period = parse_period(label)
    clock = clock_key(period, now)
    key = figures_key("report", period.label, version,
                      None if scope is None else tuple(sorted(scope)), clock)
    report = cached(key, lambda: read_ratio_report(period.label, user, now, version, province))
    return report, key, clock != "past"


def conditional(key: tuple | None, parts: tuple, respond: Callable[[], Response],
                clock_moves: bool, now: datetime | None = None) -> Response:
    """`respond()`, or a 304 when the client holds this representation; with the validators.

    `parts` names what else the bytes depend on (format, person, locale...); `clock_moves`
    says the figures follow the minute (Last-Modified is then at least this minute's start).
    """
    if key is None:
        return respond()
    etag = f'"{etag_of(key, *parts)}"'
    last = changed_at(key)
    if clock_moves:
        last = max(last, minute_start(now or utcnow()))
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


def person_parts() -> tuple:
    """What a page's bytes depend on besides its figures: who reads it (the menu, the scope),
    the language, the session's CSRF secret (its forms carry a token of it), the query, and the
    unread count in the menu (notices are not part of the data version)."""
    return (current_user.id, current_user.name, current_user.role, current_user.unit_id, locale_tag(),
            session.get("csrf_token"), request.query_string, unread_count(current_user))
