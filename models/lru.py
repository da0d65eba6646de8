"""A bounded, thread-safe least-recently-used map: the one shape of the in-process caches.

`scheduler.ical_cache` (VEVENT bytes, whole feeds) and `reports.figures_cache` (report figures,
rendered pages) each hold a few of these. Threaded servers share them, so every access holds the
map's lock; a value is built outside the lock (two threads may build the same value once each,
which is harmless for pure builds). Callers must not mutate what they get.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

V = TypeVar("V")
_MISSING = object()


class LRU(Generic[V]):
    """At most `size` entries; the least recently used goes first. Counts hits and misses."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: Iterable[Hashable]) -> dict[Hashable, V]:
        """The cached values of those keys that are here (each a hit, the others misses)."""
        found: dict[Hashable, V] = {}
        keys = list(keys)
        with self._lock:
            for key in keys:
                value = self._items.get(key, _MISSING)
                if value is not _MISSING:
                    self._items.move_to_end(key)
                    found[key] = value
            self.hits += len(found)
            self.misses += len(keys) - len(found)
        return found

    def put_many(self, values: dict[Hashable, V]) -> None:
        with self._lock:
            self._items.update(values)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> V:
        """The value under `key`, built (and kept) when absent."""
        found = self.get_many([key])
        if key in found:
            return found[key]
        value = build()
        self.put_many({key: value})
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)
