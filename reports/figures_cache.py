"""An in-process cache of computed report figures, keyed by what they depend on.

The key holds the database, the data version (`models.data_version`), the period, the frozen
version asked, the scope and a clock component (`clock_key`): a write to any table the figures
read moves the data version on, so a key is never served stale. Threaded servers share it, so
both maps are `models.lru.LRU` (thread-safe, as `scheduler.ical_cache`). Nothing here knows HTTP.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from models.base import db
from models.data_version import data_version
from models.lru import LRU
from models.meetings import LONGEST_SESSION

from .periods import Period

SIZE = 512
BODIES = 16  # rendered pages are large (the report page of the demo: ~0.8 MB)
_store: LRU[object] = LRU(SIZE)
_bodies: LRU[object] = LRU(BODIES)  # its own map, so large bodies cannot crowd out figures


def clock_key(period: Period, now: datetime) -> str:
    """What of the clock a period's figures depend on: nothing once every meeting of it has
    ended (a meeting lasts at most LONGEST_SESSION), else the minute (what is awaiting an
    outcome moves with the clock)."""
    if period.end + LONGEST_SESSION <= now:
        return "past"
    return now.strftime("%Y-%m-%dT%H:%M")


def figures_key(*parts) -> tuple | None:
    """The cache key of figures depending on `parts` (period, version, scope, clock...), or
    None while the database has no data version yet (then nothing is cached)."""
    version = data_version()
    if version is None:
        return None
    return (str(db.engine.url), version.number, version.changed_at, *parts)


def changed_at(key: tuple) -> datetime:
    """When the data version of this key was reached (for Last-Modified)."""
    return key[2]


def etag_of(key: tuple, *more) -> str:
    """A strong ETag for a representation of the figures under `key`."""
    return hashlib.sha256(repr((key, more)).encode()).hexdigest()[:40]


def cached(key: tuple | None, build: Callable[[], object]) -> object:
    """The value under `key`, built once (callers must not mutate what they get)."""
    return build() if key is None else _store.get_or_build(key, build)


def cached_body(key: tuple | None, build: Callable[[], object]) -> object:
    """A rendered representation under `key` (which must name everything the bytes depend on),
    built once."""
    return build() if key is None else _bodies.get_or_build(key, build)


def cache_clear() -> None:
    _store.clear()
    _bodies.clear()


def cache_stats() -> dict:
    return {"hits": _store.hits, "misses": _store.misses, "size": len(_store)}
