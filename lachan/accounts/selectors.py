"""Reads of the accounts domain."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.core.errors import PermissionDenied
from lachan.core.pagination import page_of as core_page_of

from .actors import is_person
from .errors import AccountError
from .models import ApiToken, AuditEvent, User
from .roles import Perm

AUDIT_FILTERS = ("actor", "action", "person_id", "object_type", "object_id", "date_from", "date_to", "ip")


def _require(user, perm: str) -> None:
    if user is None or not user.is_authenticated or not (user.is_superuser or user.has_perm_code(perm)):
        raise PermissionDenied(AccountError.PERMISSION_DENIED, _("You may not see this."))


def audit_events(*, user, filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """The audit trail, newest first, filtered. Only for users who may search it (province administrator)."""
    _require(user, Perm.AUDIT_VIEW)
    qs = AuditEvent.objects.all()
    if filters.get("actor"):
        qs = qs.filter(actor_username=filters["actor"].strip())
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("person_id"):
        qs = qs.filter(person_id=filters["person_id"])
    if filters.get("object_type"):
        qs = qs.filter(object_type=filters["object_type"].strip())
    if filters.get("object_id"):
        qs = qs.filter(object_id=str(filters["object_id"]).strip())
    if filters.get("ip"):
        qs = qs.filter(ip=filters["ip"].strip())
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        qs = qs.filter(at__gte=datetime.combine(filters["date_from"], time.min, tzinfo=tz))
    if filters.get("date_to"):
        qs = qs.filter(at__lt=datetime.combine(filters["date_to"] + timedelta(days=1), time.min, tzinfo=tz))
    return qs.order_by("-at", "-id")


DENIAL_WINDOW_HOURS = 24
DENIAL_THRESHOLD = 10


def denials_repeated(*, user, hours: int = DENIAL_WINDOW_HOURS, at_least: int = DENIAL_THRESHOLD) -> list[dict]:
    """Accounts and addresses refused personal data at least `at_least` times in the last `hours`: someone
    trying ids or reaching outside their jurisdiction. Most refusals first. Province level (the audit trail)."""
    from django.db.models import Count, Max, Min

    from .audit import DENIED

    _require(user, Perm.AUDIT_VIEW)
    since = timezone.now() - timedelta(hours=hours)
    rows = (
        AuditEvent.objects.filter(action=DENIED, at__gte=since)
        .values("actor_username", "actor_role", "ip")
        .annotate(denials=Count("id"), first_at=Min("at"), last_at=Max("at"))
        .filter(denials__gte=at_least)
        .order_by("-denials", "actor_username", "ip")
    )
    return list(rows[:500])


def page_of(qs: QuerySet, *, page: int, size: int = 50) -> tuple[list, bool]:
    """One page and whether there is a next one (see core.pagination)."""
    result = core_page_of(qs, page=page, size=size)
    return result.items, result.has_next


def users_list(*, user, q: str = "", role: str = "") -> QuerySet[User]:
    _require(user, Perm.USERS_MANAGE)
    qs = User.objects.select_related("jurisdiction_unit", "jurisdiction_place")
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(first_name__icontains=q) | Q(phone=q))
    if role:
        qs = qs.filter(role=role)
    return qs.order_by("username")


def locked_out_usernames() -> list[str]:
    """User names currently locked out by repeated failed log-ins."""
    from axes.helpers import get_cool_off, get_failure_limit
    from axes.models import AccessAttempt

    qs = AccessAttempt.objects.filter(failures_since_start__gte=get_failure_limit(None, None))
    cool_off = get_cool_off()
    if cool_off:
        qs = qs.filter(attempt_time__gte=timezone.now() - cool_off)
    return sorted(set(qs.values_list("username", flat=True)))


def api_tokens_of(user) -> QuerySet[ApiToken]:
    if not is_person(user):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created_at")
