"""The audit trail: every read and write of personal health data, with who, when and from where."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import timezone

from lachan.core import request_context
from lachan.core.db import bulk_insert

from .actors import SYSTEM_ROLE, is_system
from .models import AuditAction, AuditEvent


def _who(actor) -> tuple[int | None, str, str]:
    """(user id, username, role) of an actor: a person; the system as "system:<job>" with role "system";
    nobody (None, anonymous) as blanks."""
    if is_system(actor):
        return None, actor.get_username(), SYSTEM_ROLE
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.pk, actor.get_username(), getattr(actor, "role", "")
    return None, "", ""


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
    actor_id, username, role = _who(actor)
    return AuditEvent.objects.create(
        actor_id=actor_id,
        actor_username=username,
        actor_role=role,
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
    actor_id, username, role = _who(actor)
    common = {
        "actor_id": actor_id, "actor_username": username, "actor_role": role,
        "action": action, "object_type": object_type, "ip": ctx.ip, "user_agent": ctx.user_agent[:300],
        "channel": ctx.channel, "path": ctx.path[:300], "detail": detail or {}, "at": timezone.now(),
    }
    bulk_insert(AuditEvent, [{"object_id": _uuid_text(pid), "person_id": pid} for pid in person_ids], same=common)


def audit_rows(*, actor, action: str, object_type: str, rows, person_attr: str = "person_id",
               detail: dict | None = None) -> None:
    """A list page or API page read: one event per person shown (rows without a person are left out)."""
    person_ids = list(dict.fromkeys(pid for pid in (getattr(row, person_attr) for row in rows) if pid))
    if person_ids:
        audit_record_many(actor=actor, action=action, object_type=object_type, person_ids=person_ids, detail=detail)


def audit_read(*, actor, action: str, object_type: str, object_id: Any = "", person_ids: list | tuple = (),
               detail: dict | None = None) -> None:
    """The recorder lachan.core.auditing hands the reads of lower layers to: one event for one object (its
    person on it), one per person for a list, one without a person when nobody is named (a search by phone)."""
    if len(person_ids) > 1:
        audit_record_many(actor=actor, action=action, object_type=object_type, person_ids=person_ids,
                          detail={**(detail or {}), **({"object_id": str(object_id)} if object_id else {})})
    else:
        audit_record(actor=actor, action=action, object_type=object_type, object_id=object_id,
                     person_id=person_ids[0] if person_ids else None, detail=detail)


DENIED = AuditAction.DENIED
# Routes of personal data (and of the accounts and the trail): a 403 or 404 there is a refused attempt.
PERSONAL_DATA_PREFIXES = (
    "/people/", "/cases/", "/tracing/", "/notifications/", "/labs/", "/quarantine/", "/venues/", "/map/",
    "/risk/", "/accounts/audit/", "/accounts/users/", "/admin/",
    "/api/people/", "/api/cases/", "/api/tracing/", "/api/notifications/", "/api/labs/", "/api/quarantine/",
    "/api/venues/", "/api/map/", "/api/workflows/", "/api/accounts/",
)


def audit_denial(request, response) -> None:
    """A logged-in user refused (403) or not shown (404: outside their jurisdiction, or no such record) a route
    of personal data. Whatever raised it (a selector, a permission check, get_object_or_404), it is recorded
    here, once for all views and the API, so that probing for records shows in the trail."""
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or user is None or not user.is_authenticated or not request.path.startswith(PERSONAL_DATA_PREFIXES):
        return
    probed = next(iter(match.kwargs.values()), "") if match.kwargs else ""
    audit_record(actor=user, action=DENIED, object_type="route", object_id=str(probed)[:64],
                 detail={"status": response.status_code, "method": request.method, "route": match.view_name})


def _uuid_text(value) -> str:
    """A uuid as str(UUID) writes it, also from the 32 hex digits SQLite returns to hand-written SQL."""
    if value.__class__ is str and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)
