"""Small per-process caches with a time to live, for what every API call reads and hardly ever changes
(a bearer token's user, the policy rules in force). Each web process holds its own copy, so a change
made in another process is seen within the TTL; the process that makes the change clears its copy at
once (and tests clear every cache between tests, see the root conftest)."""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any

_caches: weakref.WeakSet[TTLCache] = weakref.WeakSet()


class TTLCache:
    """key → value for `ttl` seconds. Thread-safe enough for its use: a race loads a value twice."""

    def __init__(self, ttl: float, maxsize: int = 10_000):
        self.ttl, self.maxsize = ttl, maxsize
        self._data: dict[Hashable, tuple[float, Any]] = {}
        _caches.add(self)

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        self.put(key, value)
        return value

    def peek(self, key: Hashable) -> Any:
        """The value if cached and fresh, else None."""
        hit = self._data.get(key)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def put(self, key: Hashable, value: Any) -> None:
        if len(self._data) >= self.maxsize:
            self._data.clear()  # rare (a flood of distinct keys): start over rather than track ages
        self._data[key] = (time.monotonic() + self.ttl, value)

    def discard(self, key: Hashable) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()


def caches_clear_all() -> None:
    for cache in list(_caches):
        cache.clear()
