"""The one interface every exposure source implements (household, venue, proximity, interview; the
enterprise module adds teams, shifts, buses and dormitories later through `register_source`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

CLOSE = "close"
NOTICE = "notice"


@dataclass(frozen=True)
class Evidence:
    """`person_id` was exposed to `subject_id` (the case, or the F1 when looking for F2s)."""

    person_id: UUID
    source: str
    grade: str  # CLOSE or NOTICE, by the policy
    start: datetime
    minutes: int | None = None
    distance_m: float | None = None
    small_room: bool = False
    ref: str = ""  # venue id, household id, interview id, device id
    text: str = ""
    subject_id: UUID | None = None


@dataclass(frozen=True)
class Window:
    person_id: UUID
    start: datetime
    end: datetime


@runtime_checkable
class ExposureSource(Protocol):
    name: str

    def exposures(self, *, person, start: datetime, end: datetime, policy: dict[str, Any]) -> Iterable[Evidence]:
        """Everyone exposed to `person` (an id) between start and end, graded by the policy rules."""
        ...


def exposures_many(source: ExposureSource, windows: list[Window], policy: dict[str, Any]) -> list[Evidence]:
    """A source may answer many windows at once (`exposures_many`) to save queries; else one by one."""
    batch = getattr(source, "exposures_many", None)
    if batch is not None:
        return list(batch(windows=windows, policy=policy))
    found: list[Evidence] = []
    for window in windows:
        found.extend(source.exposures(person=window.person_id, start=window.start, end=window.end, policy=policy))
    return found


_sources: dict[str, ExposureSource] = {}


def register_source(source: ExposureSource) -> None:
    _sources[source.name] = source


def unregister_source(name: str) -> None:
    _sources.pop(name, None)


def registered_sources() -> list[ExposureSource]:
    return list(_sources.values())
