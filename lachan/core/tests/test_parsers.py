"""The small parsers shared by every domain (issue 13: one copy of _text, _uuid, _date)."""

from datetime import date, datetime
from uuid import UUID

import pytest

from lachan.core.errors import DomainError
from lachan.core.parsers import day_field, text_field, uuid_or_none

ID = "8c0f3a1e-2b4d-4c6e-9f01-23456789abcd"


def test_text_field_collapses_spaces_or_keeps_lines():
    assert text_field("  Trạm  y tế\n xã ", field="name", limit=50, code="x_invalid") == "Trạm y tế xã"
    assert text_field(" a\nb ", field="note", limit=50, code="x_invalid", lines=True) == "a\nb"
    assert text_field(None, field="note", limit=5, code="x_invalid") == ""


def test_text_field_refuses_too_long_and_missing():
    with pytest.raises(DomainError) as too_long:
        text_field("x" * 201, field="name", limit=200, code="x_invalid")
    assert too_long.value.as_dict() == {"code": "x_invalid", "message": "At most 200 characters.", "field": "name"}
    with pytest.raises(DomainError) as missing:
        text_field("  ", field="name", limit=200, code="x_invalid", required_message="Enter the name.")
    assert (missing.value.code, missing.value.message) == ("x_invalid", "Enter the name.")


@pytest.mark.parametrize(("value", "expected"), [
    (ID, UUID(ID)), (UUID(ID), UUID(ID)), (ID.upper(), UUID(ID)), ("", None), (None, None), ("x", None), (12, None),
])
def test_uuid_or_none(value, expected):
    assert uuid_or_none(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (date(2021, 8, 14), date(2021, 8, 14)), ("2021-08-14", date(2021, 8, 14)), ("14/08/2021", date(2021, 8, 14)),
    (None, None), ("", None),
])
def test_day_field_reads(value, expected):
    assert day_field(value, field="on", code="x_date") == expected


@pytest.mark.parametrize(("value", "kwargs", "message"), [
    (None, {"required": True}, "Enter the date."),
    ("14 August", {}, "Enter a valid date."),
    (datetime(2021, 8, 14, 9), {}, "Enter a valid date."),
    (date(2019, 12, 31), {"earliest": date(2020, 1, 1)}, "Enter a date from 2020 on."),
    (date(2101, 1, 2), {"latest": date(2100, 1, 1)}, "Enter a valid date."),
    ("1899-12-31", {}, "Enter a valid date."),
])
def test_day_field_refuses(value, kwargs, message):
    with pytest.raises(DomainError) as refused:
        day_field(value, field="on", code="x_date", **kwargs)
    assert (refused.value.code, refused.value.message, refused.value.field) == ("x_date", message, "on")
