"""Conditional GET for the report's representations (page, JSON, CSV, XLSX) and the registry
tree: a strong ETag and Last-Modified from the figures' cache key (`reports.figures_cache`), and
a 304 when they match. (The feeds use `not_modified` with their own validators.)"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Response, g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from models.base import utcnow
from reports.access import report_scope
from reports.figures_cache import cached, cached_body, changed_at, clock_key, etag_of, figures_key
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


#: stands for the request's time in a stored page; `cached_page` writes the time in its place
NOW_MARK = "@@giaoban-now@@"


def cached_page(key: tuple | None, body_key: tuple | None, render: Callable[[], str | bytes],
                now: datetime, printed: Callable[[datetime], str] | None = None,
                store: Callable[[tuple, Callable[[], object]], object] = cached_body) -> Response:
    """An HTML page for the reader, with its validators (`key`, which moves with the minute)
    and its bytes kept under `body_key` and the reader (`person_parts`), which need not move
    with the clock: the form token in the stored bytes is replaced by this request's, and
    `NOW_MARK` by `printed(now)`, so a page that depends on the data alone is rendered once
    per data version and reader, not once a minute.

    Not stored while flashes wait (the render shows them once) or the session has no CSRF
    secret yet (the render makes one). `store(key, build)` keeps the bytes (the report cache's
    bodies by default; `webapp.page_cache` keeps the other pages in a map of their own)."""
    person = person_parts()

    def respond() -> Response:
        if body_key is None or session.get("_flashes") or not session.get("csrf_token"):
            body = render()
            body = body.encode() if isinstance(body, str) else body
            return make_response(body.replace(NOW_MARK.encode(), printed(now).encode()) if printed else body)

        def build() -> tuple[bytes, bytes | None]:
            body = render()
            token = g.get("csrf_token")
            return (body.encode() if isinstance(body, str) else body), (token.encode() if token else None)
        body, token = store((*body_key, *person), build)
        if token is not None:
            body = body.replace(token, generate_csrf().encode())
        if printed is not None:
            body = body.replace(NOW_MARK.encode(), printed(now).encode())
        return make_response(body)
    return conditional(key, ("html", *person), respond, clock_moves=True, now=now)
