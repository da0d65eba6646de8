"""The serialiser's in-process caches: VEVENT bytes by version, whole feeds by strong ETag.

Threaded servers share them, so every access holds one lock. Nothing here knows iCalendar.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

CACHE_SIZE = 4096
BODIES_SIZE = 256
_events: OrderedDict[tuple, bytes] = OrderedDict()
_bodies: OrderedDict[str, bytes] = OrderedDict()
_stats = {"hits": 0, "misses": 0}
_lock = threading.Lock()


def events_get(keys: list[tuple]) -> dict[tuple, bytes]:
    """The cached bytes of these keys (hits and misses counted)."""
    found = {}
    with _lock:
        for key in keys:
            data = _events.get(key)
            if data is not None:
                _events.move_to_end(key)
                found[key] = data
        _stats["hits"] += len(found)
        _stats["misses"] += len(keys) - len(found)
    return found


def events_put(built: dict[tuple, bytes]) -> None:
    with _lock:
        _events.update(built)
        while len(_events) > CACHE_SIZE:
            _events.popitem(last=False)


def feed_body(etag: str, build: Callable[[], bytes]) -> bytes:
    """The feed whose strong ETag this is: same ETag, same bytes, so built once."""
    with _lock:
        body = _bodies.get(etag)
        if body is not None:
            _bodies.move_to_end(etag)
            return body
    body = build()
    with _lock:
        _bodies[etag] = body
        while len(_bodies) > BODIES_SIZE:
            _bodies.popitem(last=False)
    return body


def cache_clear() -> None:
    """Forget every cached VEVENT and feed (tests and benchmarks)."""
    with _lock:
        _events.clear()
        _bodies.clear()
        _stats.update(hits=0, misses=0)


def cache_stats() -> dict:
    return dict(_stats, size=len(_events))
