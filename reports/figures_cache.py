"""An in-process cache of computed report figures, keyed by what they depend on.

The key holds the database, the data version (`models.data_version`), the period, the frozen
version asked, the scope and a clock component (`clock_key`): a write to any table the figures
read moves the data version on, so a key is never served stale. Threaded servers share it, so
every access holds one lock (as `scheduler.ical_cache`). Nothing here knows HTTP.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from models.base import db
from models.data_version import data_version
from models.meetings import LONGEST_SESSION

from .periods import Period

SIZE = 512
_MISSING = object()
_store: OrderedDict[tuple, object] = OrderedDict()
_stats = {"hits": 0, "misses": 0}
_lock = threading.Lock()


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
    if key is None:
        return build()
    with _lock:
        found = _store.get(key, _MISSING)
        if found is not _MISSING:
            _store.move_to_end(key)
            _stats["hits"] += 1
            return found
        _stats["misses"] += 1
    value = build()
    with _lock:
        _store[key] = value
        while len(_store) > SIZE:
            _store.popitem(last=False)
    return value


BODIES = 16  # rendered pages are large (the report page of the demo: ~0.8 MB)
_bodies: OrderedDict[tuple, bytes] = OrderedDict()


def cached_body(key: tuple | None, build: Callable[[], bytes]) -> bytes:
    """A rendered representation under `key` (which must name everything the bytes depend on),
    built once; a small LRU of its own, so large bodies cannot crowd out figures."""
    if key is None:
        return build()
    with _lock:
        found = _bodies.get(key)
        if found is not None:
            _bodies.move_to_end(key)
            return found
    body = build()
    with _lock:
        _bodies[key] = body
        while len(_bodies) > BODIES:
            _bodies.popitem(last=False)
    return body


def cache_clear() -> None:
    with _lock:
        _store.clear()
        _bodies.clear()
        _stats.update(hits=0, misses=0)


def cache_stats() -> dict:
    return dict(_stats, size=len(_store))
