"""Local days and the times clients send (lachan/core/dates.py)."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from lachan.core.dates import Instant, day_parse, instant_normalize, local_midnight

instant = TypeAdapter(Instant)


def test_local_midnight_is_the_provinces_day():
    assert local_midnight(date(2021, 8, 14)).isoformat() == "2021-08-14T00:00:00+07:00"


@pytest.mark.parametrize("value, expected", [
    ("2021-08-14", date(2021, 8, 14)), ("14/08/2021", date(2021, 8, 14)), (" 14/08/2021 ", date(2021, 8, 14)),
    (datetime(2021, 8, 14, 23, 0), date(2021, 8, 14)), ("14-08-2021", None), ("", None), (None, None),
])
def test_day_parse(value, expected):
    assert day_parse(value) == expected


def test_an_instant_is_held_in_utc_and_naive_means_local():
    assert instant.validate_python("2021-08-14T08:00:00") == datetime(2021, 8, 14, 1, 0, tzinfo=UTC)
    odd = instant.validate_python("2021-08-14T08:00:00-16:29")  # accepted by Python, refused by PostgreSQL
    assert odd.utcoffset() == timedelta(0) and odd == datetime(2021, 8, 15, 0, 29, tzinfo=UTC)


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-10:00", "0001-01-01T00:00:00+10:00"])
def test_an_instant_out_of_range_is_refused(value):
    with pytest.raises(ValidationError, match="out of range"):
        instant.validate_python(value)


def test_instant_normalize_keeps_the_moment():
    moment = datetime(2021, 8, 14, 8, 0, tzinfo=timezone(timedelta(hours=7)))
    assert instant_normalize(moment) == moment and instant_normalize(moment).tzinfo is UTC
