"""What the synthetic province's modules share: the id range of synthetic rows, the reference date, the error
codes, and the seeded samplers the generator draws with."""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import date
from enum import StrEnum
from itertools import accumulate

from lachan.core.ids import uuid7
from lachan.geo.models import AdminUnit

from .. import data

SYNTH_EPOCH_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
SYNTH_ID_LIMIT = uuid7(unix_ms=SYNTH_EPOCH_MS + 10_000_000_000, rand=bytes(10))  # ~115 days of rows
DEFAULT_AS_OF = date(2021, 7, 1)  # the reference date ages are counted from (the 2021 wave)
MAX_PEOPLE = 5_000_000
DUPLICATE_RATE = 0.003  # per adult: ≈ 0.2 % of all records


class SimulateErrorCode(StrEnum):
    BAD_SIZE = "simulate_bad_size"
    ALREADY_GENERATED = "simulate_already_generated"
    REAL_DATA = "simulate_real_data"
    NO_COMMUNES = "simulate_no_communes"


def _cum(weights):
    return list(accumulate(weights))


class _Picker:
    """Weighted choice with one random() and a bisect: much faster than random.choices per row."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = _cum(weights)
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random):
        return self.items[bisect_right(self.cum, rng.random() * self.total)]


class _AgeSampler:
    """Age of one sex drawn from the census pyramid, optionally truncated to [lo, hi]."""

    def __init__(self, sex_index: int):
        weights = [0.0] * 100
        for lo, hi, male, female in data.AGE_BANDS:
            share = (male, female)[sex_index] / (hi - lo + 1)
            for age in range(lo, hi + 1):
                weights[age] = share
        self.cum = _cum(weights)

    def __call__(self, rng: random.Random, lo: int = 0, hi: int = 99) -> int:
        lo, hi = max(0, lo), min(99, hi)
        if hi < lo:
            return lo
        base = self.cum[lo - 1] if lo > 0 else 0.0
        age = bisect_right(self.cum, base + rng.random() * (self.cum[hi] - base))
        return min(max(age, lo), hi)


class _IdMaker:
    """uuid7 values from a seeded stream: row n of a table gets timestamp SYNTH_EPOCH_MS + n."""

    def __init__(self, seed, table: str):
        self.rng = random.Random(f"{seed}:ids:{table}")
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return uuid7(unix_ms=SYNTH_EPOCH_MS + self.n, rand=self.rng.randbytes(10)).hex


def _is_urban(unit: AdminUnit) -> bool:
    return unit.kind in ("Phường", "Thị trấn")
