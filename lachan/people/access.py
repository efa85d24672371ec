"""Who may do what to which people: the permission check and the jurisdiction filter in one place."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_system, may
from lachan.accounts.jurisdiction import scope_for
from lachan.core.errors import PermissionDenied

from .errors import PeopleErrorCode
from .models import Person


def require_perm(user, perm: str) -> None:
    """The system actor may do anything; a person only what their role allows; nobody else anything."""
    if not may(user, perm):
        raise PermissionDenied(PeopleErrorCode.PERMISSION, _("You do not have permission to do this."))


def people_in_scope(user, *, include_merged: bool = False) -> QuerySet[Person]:
    """Active (not merged) people the user may see; everyone for the system actor; no one for None."""
    queryset = Person.objects.all() if include_merged else Person.objects.active()
    if is_system(user):
        return queryset
    return queryset.filter(scope_for(user).person_q())
