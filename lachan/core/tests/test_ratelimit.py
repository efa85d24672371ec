"""core.ratelimit: atomic fixed-window counters in the shared cache; the client's address behind trusted proxies;
the database cache's atomic increments (core.cache) shared by processes."""

import threading

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection
from django.test import RequestFactory

from lachan.core import ratelimit
from lachan.core.cache import AtomicDatabaseCache
from lachan.core.middleware import client_ip
from lachan.core.ratelimit import GLOBAL, Rate, RateLimited, address_key, rate_blocked, rate_check, rate_hit

pytestmark = pytest.mark.django_db
T0 = 1_800_000_000.0  # a multiple of 600 and 3600: the start of a window


def test_default_cache_is_the_shared_atomic_database_cache():
    assert isinstance(caches["default"], AtomicDatabaseCache)


def test_counts_per_window_and_answers_the_wait():
    limit = Rate(3, 600)
    assert [rate_hit("t", "a", limit, now=T0 + n) for n in range(3)] == [0, 0, 0]
    assert rate_hit("t", "a", limit, now=T0 + 100) == 500  # the 4th: until the window ends
    assert rate_hit("t", "b", limit, now=T0 + 100) == 0  # another value counts apart
    assert rate_hit("u", "a", limit, now=T0 + 100) == 0  # and another limit
    assert rate_hit("t", "a", limit, now=T0 + 600) == 0  # a new window


def test_blocked_counts_nothing():
    limit = Rate(2, 600)
    assert rate_blocked("t", "a", limit, now=T0) == 0
    rate_hit("t", "a", limit, now=T0)
    assert rate_blocked("t", "a", limit, now=T0) == 0
    rate_hit("t", "a", limit, now=T0)
    assert rate_blocked("t", "a", limit, now=T0 + 10) == 590


def test_check_raises_with_retry_after_and_a_refused_attempt_counts_no_further(settings):
    settings.LACHAN_RATE_LIMITS = {"x.all": (3, 3600)}
    everyone = ("x.all", GLOBAL, ratelimit.rate_named("x.all", Rate(99, 60)))
    rate_check(("x.address", "192.0.2.1", Rate(1, 600)), everyone, now=T0)
    for _ in range(5):  # one address's flood, refused by its own limit, leaves the province-wide budget alone
        with pytest.raises(RateLimited):
            rate_check(("x.address", "192.0.2.1", Rate(1, 600)), everyone, now=T0 + 1)
    rate_check(("x.address", "192.0.2.2", Rate(1, 600)), everyone, now=T0 + 2)
    rate_check(("x.address", "192.0.2.3", Rate(1, 600)), everyone, now=T0 + 3)
    with pytest.raises(RateLimited) as exc:
        rate_check(("x.address", "192.0.2.4", Rate(1, 600)), everyone, now=T0 + 60)
    assert exc.value.status == 429 and exc.value.retry_after == 3540
    assert str(exc.value.message) == "Too many attempts. Try again in 59 minutes."


def test_two_processes_share_the_counts():
    """Two cache objects on the same table, as two web processes have: one count."""
    one, two = AtomicDatabaseCache("lachan_cache", {}), AtomicDatabaseCache("lachan_cache", {})
    assert one.add("k", 0, 60) is True
    assert two.add("k", 0, 60) is False  # exists: not reset
    assert one.incr("k") == 1 and two.incr("k") == 2 and one.incr("k", 5) == 7
    assert two.get("k") == 7
    with pytest.raises(ValueError):
        one.incr("missing")


@pytest.mark.django_db(transaction=True)
def test_increments_are_atomic_under_concurrency():
    """Django's own database cache increments with a get and a set: simultaneous attempts counted once."""
    cache = caches["default"]
    cache.add("race", 0, 60)
    errors = []

    def bump():
        try:
            for _ in range(10):
                while True:
                    try:
                        cache.incr("race")
                        break
                    except OperationalError as exc:  # SQLite's in-memory test database locks tables instead of
                        if "locked" not in str(exc):  # waiting (busy_timeout); a refused increment wrote nothing
                            raise
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert cache.get("race") == 40


def test_expired_entries_are_pruned_and_replaced():
    cache = caches["default"]
    cache.add("old", 5, 60)
    cache.set("gone", 1, -1)  # expired already
    assert cache.add("gone", 0, 60) is True and cache.incr("gone") == 1
    from lachan.core.models import CacheEntry
    from lachan.core.scheduled import cache_prune

    CacheEntry.objects.filter(cache_key__contains="old").update(expires="2000-01-01T00:00:00Z")
    assert cache_prune() == "1 expired cache entries deleted"
    assert cache.get("old") is None and cache.get("gone") == 1


@pytest.mark.parametrize(("ip", "key"), [
    ("192.0.2.7", "192.0.2.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),  # a phone's /64 is one client
    ("::ffff:192.0.2.7", "192.0.2.7"),
    ("", "-"), ("not an address", "-"),
])
def test_address_key(ip, key):
    assert address_key(ip) == key


def _request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_forwarded_for_ignored_without_trusted_proxies(settings):
    settings.LACHAN_TRUSTED_PROXIES = []
    assert client_ip(_request("198.51.100.9", "203.0.113.1")) == "198.51.100.9"


def test_forwarded_for_read_past_trusted_proxies_only(settings):
    settings.LACHAN_TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]
    # a client's own forged entry on the left is not believed: the first untrusted hop from the right is the client
    assert client_ip(_request("10.0.0.5", "1.2.3.4, 203.0.113.1, 192.0.2.1")) == "203.0.113.1"
    assert client_ip(_request("10.0.0.5", "")) == "10.0.0.5"
    assert client_ip(_request("10.0.0.5", "garbage")) == "10.0.0.5"
    # a request that did not come through a trusted proxy: its header is ignored
    assert client_ip(_request("198.51.100.9", "203.0.113.1")) == "198.51.100.9"
