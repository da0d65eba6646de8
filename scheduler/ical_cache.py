"""The serialiser's in-process caches: VEVENT bytes by version, whole feeds by strong ETag.

Both are `models.lru.LRU` maps (thread-safe). Nothing here knows iCalendar.
"""
from __future__ import annotations

from collections.abc import Callable

from models.calendar_feeds import validators_clear
from models.lru import LRU

CACHE_SIZE = 4096
BODIES_SIZE = 256
_events: LRU[bytes] = LRU(CACHE_SIZE)
_bodies: LRU[bytes] = LRU(BODIES_SIZE)


def events_get(keys: list[tuple]) -> dict[tuple, bytes]:
    """The cached bytes of these keys (hits and misses counted)."""
    return _events.get_many(keys)


def events_put(built: dict[tuple, bytes]) -> None:
    _events.put_many(built)


def feed_body(etag: str, build: Callable[[], bytes]) -> bytes:
    """The feed whose strong ETag this is: same ETag, same bytes, so built once."""
    return _bodies.get_or_build(etag, build)


def cache_clear() -> None:
    """Forget every cached VEVENT, feed and feed validator (tests and benchmarks)."""
    _events.clear()
    _bodies.clear()
    validators_clear()


def cache_stats() -> dict:
    return {"hits": _events.hits, "misses": _events.misses, "size": len(_events)}
