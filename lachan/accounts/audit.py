"""The audit trail: every read and write of personal health data, with who, when and from where."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from lachan.core import request_context

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


def audit_record_many(*, actor, action: str, object_type: str, person_ids: list[UUID], detail: dict | None = None) -> None:
    """One event per person (so a person's trail is complete) written in one statement."""
    ctx = request_context.current()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor if authenticated else None,
                actor_username=actor.get_username() if authenticated else "",
                actor_role=getattr(actor, "role", "") if authenticated else "",
                action=action, object_type=object_type, object_id=str(pid), person_id=pid,
                ip=ctx.ip, user_agent=ctx.user_agent, channel=ctx.channel, path=ctx.path, detail=detail or {},
            )
            for pid in person_ids
        ],
        batch_size=500,
    )
