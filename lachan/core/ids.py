"""Time-ordered UUIDs (version 7, RFC 9562): index-friendly primary keys on SQLite and PostgreSQL."""

import os
import threading
import time
import uuid

_RAND_BITS = 74  # rand_a (12) + rand_b (62)
_lock = threading.Lock()
_last_ms = 0
_last_rand = 0


def _compose(ms: int, rand: int) -> uuid.UUID:
    rand_a, rand_b = rand >> 62, rand & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0x2 << 62 | rand_b
    return uuid.UUID(int=value)


def uuid7(*, unix_ms: int | None = None, rand: bytes | None = None) -> uuid.UUID:
    """A version 7 UUID. Without arguments, ids made by one process are strictly increasing even within a
    millisecond (RFC 9562 §6.2, method 2: the random part is increased by a random step), so "order by id"
    is the order of creation, as lists newest-first expect."""
    if unix_ms is not None or rand is not None:
        ms = int(time.time() * 1000) if unix_ms is None else unix_ms
        tail = rand if rand is not None else os.urandom(10)
        return _compose(ms, int.from_bytes(tail[:10], "big") & ((1 << _RAND_BITS) - 1))
    global _last_ms, _last_rand
    ms = int(time.time() * 1000)
    with _lock:
        if ms > _last_ms:
            _last_ms, _last_rand = ms, int.from_bytes(os.urandom(10), "big") >> (80 - _RAND_BITS + 1)
        else:  # same millisecond, or the clock stepped back: keep counting from the last id
            _last_rand += 1 + (int.from_bytes(os.urandom(4), "big"))
            if _last_rand >> _RAND_BITS:
                _last_ms, _last_rand = _last_ms + 1, int.from_bytes(os.urandom(10), "big") >> (80 - _RAND_BITS + 1)
        return _compose(_last_ms, _last_rand)
