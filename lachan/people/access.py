"""Who may do what to which people: the permission check and the jurisdiction filter in one place."""

from __future__ import annotations

from django.db.models import QuerySet

from lachan.accounts.actors import is_system, permission_check
from lachan.accounts.jurisdiction import scope_for

from .errors import PeopleErrorCode
from .models import Person

require_perm = permission_check(PeopleErrorCode.PERMISSION)


def people_in_scope(user, *, include_merged: bool = False) -> QuerySet[Person]:
    """Active (not merged) people the user may see; everyone for the system actor; no one for None."""
    queryset = Person.objects.all() if include_merged else Person.objects.active()
    if is_system(user):
        return queryset
    return queryset.filter(scope_for(user).person_q())
