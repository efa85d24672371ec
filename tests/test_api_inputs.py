"""Every day and time the API accepts goes through the shared types of core.dates (bounded days; times held in
UTC, a time without an offset read as local time): a bare `date` or `datetime` in an input is how 0001-01-01
and naive times reached the database as server errors (issue 12, item 11)."""

import typing
from datetime import date, datetime

from pydantic import BaseModel

from lachan.api.root import api
from lachan.core.dates import day_check, instant_normalize


def _validators(metadata) -> set:
    return {getattr(m, "func", None) for m in metadata}


def _offenders(annotation, metadata, where: str, seen: set) -> list[str]:
    found = []
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return _offenders(base, [*metadata, *extra], where, seen)
    if origin is not None:
        for arg in typing.get_args(annotation):
            found += _offenders(arg, metadata, where, seen)
        return found
    if annotation is datetime and instant_normalize not in _validators(metadata):
        found.append(f"{where}: datetime without core.dates.Instant")
    elif annotation is date and day_check not in _validators(metadata):
        found.append(f"{where}: date without core.dates.Day")
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in seen:
        seen.add(annotation)
        for name, field in annotation.model_fields.items():
            found += _offenders(field.annotation, field.metadata, f"{where}.{name}", seen)
    return found


def test_every_day_and_time_an_operation_accepts_is_bounded():
    offenders = []
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for model in operation.models:
                    for name, field in model.model_fields.items():
                        offenders += _offenders(field.annotation, field.metadata,
                                                f"{operation.methods} {prefix}{path} {name}", set())
    assert offenders == [], "\n".join(offenders)
