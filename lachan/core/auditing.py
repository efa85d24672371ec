"""Reads of personal data by layers below accounts (the outbox) go to the audit trail through this: accounts
installs its recorder when the apps are ready. Without one, the read is refused (fail closed)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_recorder: Callable[..., None] | None = None


def install(recorder: Callable[..., None]) -> None:
    global _recorder
    _recorder = recorder


def record_read(*, actor, action: str, object_type: str, object_id: Any = "", person_ids: Iterable = (),
                detail: dict | None = None) -> None:
    if _recorder is None:
        raise RuntimeError("No audit recorder is installed (lachan.accounts must be in INSTALLED_APPS).")
    _recorder(actor=actor, action=action, object_type=object_type, object_id=object_id,
              person_ids=list(person_ids), detail=detail)
