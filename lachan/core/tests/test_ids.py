import uuid

from lachan.core.ids import uuid7


def test_uuid7_is_version_7_and_rfc_variant():
    value = uuid7()
    assert value.version == 7 and value.variant == uuid.RFC_4122


def test_uuid7_strictly_increasing_within_a_millisecond():
    ids = [uuid7() for _ in range(20000)]  # many share a millisecond
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(i.version == 7 for i in ids[:100])


def test_uuid7_with_given_time_and_randomness_is_deterministic():
    a = uuid7(unix_ms=1_600_000_000_000, rand=bytes(10))
    assert a == uuid7(unix_ms=1_600_000_000_000, rand=bytes(10))
    assert a.int >> 80 == 1_600_000_000_000 and a.version == 7
