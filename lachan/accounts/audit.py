"""The audit trail: every read and write of personal health data, with who, when and from where."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import timezone

from lachan.core import request_context
from lachan.core.db import bulk_insert

from .models import AuditEvent


def audit_record(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    person_id: UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    ctx = request_context.current()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        actor_role=getattr(actor, "role", "") if authenticated else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        person_id=person_id,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        channel=ctx.channel,
        path=ctx.path,
        detail=detail or {},
    )


def audit_record_many(*, actor, action: str, object_type: str, person_ids: list, detail: dict | None = None) -> None:
    """One event per person (so a person's trail is complete), written straight to the table: a traced
    case or a list page can touch hundreds of people at once. `person_ids`: uuids, or their 32 hex digits."""
    ctx = request_context.current()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    common = {
        "actor_id": actor.pk if authenticated else None,
        "actor_username": actor.get_username() if authenticated else "",
        "actor_role": getattr(actor, "role", "") if authenticated else "",
        "action": action, "object_type": object_type, "ip": ctx.ip, "user_agent": ctx.user_agent[:300],
        "channel": ctx.channel, "path": ctx.path[:300], "detail": detail or {}, "at": timezone.now(),
    }
    bulk_insert(AuditEvent, [{"object_id": _uuid_text(pid), "person_id": pid} for pid in person_ids], same=common)


def _uuid_text(value) -> str:
    """A uuid as str(UUID) writes it, also from the 32 hex digits SQLite returns to hand-written SQL."""
    if value.__class__ is str and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)
