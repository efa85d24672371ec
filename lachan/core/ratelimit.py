"""Rate limits for what anyone can do without logging in (the QR check-in form, citizen registration, the result
look-up, the log-in pages): one helper for all of them, counting in Django's cache.

A limit is `attempts` per fixed window of `seconds` (windows aligned on the clock). Counting is atomic —
`cache.add(key, 0)` then `cache.incr(key)` — and shared by every process when the cache is (the default, the
database cache of core.cache, is; see `CACHE` in docs/deployment.md). Keys are hashed, so the cache holds no
address or phone number in clear. Each limit has a name; settings.LACHAN_RATE_LIMITS = {name: (attempts,
seconds)} overrides its default (a province with carrier-grade NAT behind few addresses may need more)."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import ngettext

from .errors import DomainError

GLOBAL = "*"  # the value of a limit that counts everyone's attempts together


@dataclass(frozen=True)
class Rate:
    attempts: int
    seconds: int


class RateLimited(DomainError):
    """Too many attempts: HTTP 429 with Retry-After."""

    status = 429

    def __init__(self, seconds: float, code: str = "rate_limited"):
        self.retry_after = max(1, int(math.ceil(seconds)))
        minutes = max(1, math.ceil(seconds / 60))
        super().__init__(code, ngettext("Too many attempts. Try again in %(n)d minute.",
                                        "Too many attempts. Try again in %(n)d minutes.", minutes) % {"n": minutes},
                         retry_after=self.retry_after)


def rate_named(name: str, default: Rate) -> Rate:
    """The limit called `name`, as the settings override it."""
    override = (getattr(settings, "LACHAN_RATE_LIMITS", None) or {}).get(name)
    return Rate(*override) if override else default


def address_key(ip: str) -> str:
    """What one client is, for counting: its IPv4 address, or the /64 network of an IPv6 address (a phone or a
    home gets a whole /64 and may use any address in it). Unknown or unparsable: "-"."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return "-"
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def _key(name: str, value: str, window: int) -> str:
    digest = hashlib.sha256(f"{name}\x00{value}".encode()).hexdigest()[:40]
    return f"lc:rl:{digest}:{window}"


def _window(limit: Rate, now: float) -> tuple[int, float]:
    """(the window's number, seconds until it ends)."""
    window = int(now // limit.seconds)
    return window, (window + 1) * limit.seconds - now


def rate_hit(name: str, value: str, limit: Rate, *, now: float | None = None) -> float:
    """Count one attempt of `value` (an address, a phone, GLOBAL) under the limit `name`. Returns 0 when the
    attempt is within the limit, else the seconds until the window ends."""
    now = time.time() if now is None else now
    window, left = _window(limit, now)
    key = _key(name, value, window)
    timeout = max(1, math.ceil(left)) + 1
    try:
        count = cache.incr(key)  # the usual case, one statement pair: the window's counter exists
    except ValueError:
        # The first attempt of the window: add it, atomically; if another process added it meanwhile, count on it.
        count = 1 if cache.add(key, 1, timeout) else cache.incr(key)
    return left if count > limit.attempts else 0.0


def rate_blocked(name: str, value: str, limit: Rate, *, now: float | None = None) -> float:
    """Seconds to wait when `value` has used all the attempts of this window under `name` (0: not blocked).
    Counts nothing: for limits counted only on failure."""
    now = time.time() if now is None else now
    window, left = _window(limit, now)
    return left if (cache.get(_key(name, value, window)) or 0) >= limit.attempts else 0.0


def rate_check(*limits: tuple[str, str, Rate], code: str = "rate_limited", now: float | None = None) -> None:
    """Count one attempt against each (name, value, limit) in turn, narrowest first; raise RateLimited at the first
    that is over, without counting the rest: one address's refused flood must not use up the province-wide
    budget of everyone else."""
    now = time.time() if now is None else now
    for name, value, limit in limits:
        wait = rate_hit(name, value, limit, now=now)
        if wait > 0:
            raise RateLimited(wait, code)
