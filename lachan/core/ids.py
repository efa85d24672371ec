"""Time-ordered UUIDs (version 7, RFC 9562): index-friendly primary keys on SQLite and PostgreSQL."""

import os
import time
import uuid


def uuid7(*, unix_ms: int | None = None, rand: bytes | None = None) -> uuid.UUID:
    ms = int(time.time() * 1000) if unix_ms is None else unix_ms
    tail = rand if rand is not None else os.urandom(10)
    value = (ms & ((1 << 48) - 1)) << 80 | int.from_bytes(tail[:10], "big") & ((1 << 80) - 1)
    value &= ~(0xF << 76)
    value |= 0x7 << 76  # version 7
    value &= ~(0x3 << 62)
    value |= 0x2 << 62  # RFC 4122 variant
    return uuid.UUID(int=value)
