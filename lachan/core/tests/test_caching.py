from lachan.core import caching
from lachan.core.caching import TTLCache, caches_clear_all


def test_values_live_for_their_ttl(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock[0])
    cache = TTLCache(10)
    loads = []

    def load(value):
        loads.append(value)
        return value

    assert cache.get("a", lambda: load(1)) == 1
    assert cache.get("a", lambda: load(2)) == 1  # still fresh: not loaded again
    clock[0] += 10.5
    assert cache.get("a", lambda: load(3)) == 3
    assert cache.get("none", lambda: load(None)) is None
    assert cache.get("none", lambda: load(4)) is None  # a missing row is remembered too
    cache.discard("a")
    assert cache.get("a", lambda: load(5)) == 5
    assert loads == [1, 3, None, 5]


def test_full_cache_starts_over_and_clear_all_reaches_every_cache():
    small, other = TTLCache(60, maxsize=3), TTLCache(60)
    for key in range(5):
        small.get(key, lambda key=key: key)
    assert len(small._data) <= 3 and small.get(4, lambda: "reloaded") == 4
    other.get("x", lambda: 1)
    caches_clear_all()
    assert small.get(4, lambda: "reloaded") == "reloaded" and other.get("x", lambda: 2) == 2
