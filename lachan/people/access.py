"""Who may do what to which people: the permission check and the jurisdiction filter in one place."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from lachan.accounts.jurisdiction import scope_for
from lachan.core.errors import PermissionDenied

from .errors import PeopleErrorCode
from .models import Person


def require_perm(user, perm: str) -> None:
    """System work (user None) may do anything; a person may only do what their role allows."""
    if user is not None and not user.has_perm_code(perm):
        raise PermissionDenied(PeopleErrorCode.PERMISSION, _("You do not have permission to do this."))


def people_in_scope(user, *, include_merged: bool = False) -> QuerySet[Person]:
    """Active (not merged) people the user may see; everyone for system work (user None)."""
    queryset = Person.objects.all() if include_merged else Person.objects.active()
    if user is None:
        return queryset
    return queryset.filter(scope_for(user).person_q())
