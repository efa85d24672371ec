"""Which clusters a user may see; shared by selectors (reads) and services (which re-check on write)."""

from __future__ import annotations

from django.db.models import Q

from lachan.accounts.actors import is_system
from lachan.accounts.jurisdiction import Scope, scope_for

from .models import Case


def cluster_scope_q(user) -> Q:
    """A cluster located in the user's jurisdiction, or with a case who lives there: a district sees
    a factory cluster of the next district once one of its own residents is among the cases."""
    if is_system(user):
        return Q()
    scope = scope_for(user)
    # Only the cases in a cluster: most cases are in none, and a NULL cluster_id matches no cluster anyway.
    with_cases_here = Case.objects.filter(case_scope_q(scope), cluster__isnull=False).values("cluster_id")
    return scope.commune_q("commune") | Q(pk__in=with_cases_here)


def case_scope_q(scope: Scope) -> Q:
    """The cases of a jurisdiction. For an administrative unit, by the case's own commune (its person's, kept in
    step: see Case.commune), one index range (commune, confirmed_at) a commune; otherwise through the person."""
    if scope.kind == "unit":
        return scope.commune_q("commune")
    return scope.person_q(person_field="person")
