"""A page kept per data version and minute: rendered once for a reader, 304 on a match.

The report page's rule (`webapp.report_pages`), written once for the other pages a person
opens (issue #17): the key is the data version (`models.data_version`: meetings, invitations,
units, endpoints, checks...), the minute (what is upcoming, awaiting or ready follows the clock),
the page's own `parts` (what it shows that the data version does not follow: a feed address,
the newest notice) and `report_http.person_parts()` (reader, language, CSRF secret, query,
unread count). A request with flashes waiting, or a session without a CSRF secret yet, renders
without storing. Bodies live in an LRU of their own, so pages do not push out report figures.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Response

from models.lru import LRU
from reports.figures_cache import figures_key

from .report_http import cached_page, minute_start

BODIES = 64  # a page of the demo weighs 5-45 kB: a few MB per worker at most
_bodies: LRU[object] = LRU(BODIES)  # (body, the form token in it)


def kept_page(name: str, parts: tuple, render: Callable[[], str], now: datetime) -> Response:
    """`render()` (a page's HTML) as a response, built once per key, with ETag and Last-Modified:
    `report_http.cached_page` with the minute in both keys and this module's own map."""
    key = figures_key("page", name, minute_start(now), *parts)
    return cached_page(key, key, render, now, store=_bodies.get_or_build)


def kept_body(key: tuple | None, build: Callable[[], bytes]) -> bytes:
    """Bytes that depend on `key` alone (an API read for every reader who may see it), kept in
    this module's map; built each time when there is no key (no data version yet)."""
    return build() if key is None else _bodies.get_or_build(("body", *key), build)


def cache_clear() -> None:
    _bodies.clear()


def cache_stats() -> dict:
    return {"hits": _bodies.hits, "misses": _bodies.misses, "size": len(_bodies)}
