"""The one bounded cache shape behind the feed and report caches."""
from __future__ import annotations

import threading

from models.lru import LRU


def test_least_recently_used_goes_first_and_hits_are_counted():
    cache = LRU(2)
    cache.put_many({"a": 1, "b": 2})
    assert cache.get_many(["a"]) == {"a": 1}  # "a" is now the most recent
    cache.put_many({"c": 3})
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "c": 3}
    assert (cache.hits, cache.misses, len(cache)) == (3, 1, 2)


def test_get_or_build_builds_once_and_keeps_falsy_values():
    cache, calls = LRU(4), []
    for _ in range(3):
        assert cache.get_or_build("k", lambda: calls.append(1) or b"") == b""
    assert calls == [1]
    cache.clear()
    assert (len(cache), cache.hits, cache.misses) == (0, 0, 0)


def test_threads_share_it_without_losing_the_bound():
    cache = LRU(50)

    def work(n):
        for i in range(500):
            cache.get_or_build((n, i % 80), lambda i=i: i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50
    assert cache.hits + cache.misses == 4 * 500
