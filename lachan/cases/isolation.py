"""A case's isolation state today — one source for the cases list, the case page and the operations centre's
count: in hospital, recovered or deceased from the case's status; otherwise where its isolation order in force
today puts it (at home / in a facility), or no order in force (an order starting tomorrow is not yet in force).
Orders are the quarantine domain's: a workflow registers the provider (lachan.workflows.apps)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Case, CaseStatus


class Isolation(models.TextChoices):
    NONE = "none", _("no isolation order in force")
    HOME = "home", _("isolating at home")
    FACILITY = "facility", _("isolating in a facility")
    HOSPITAL = "hospital", _("in hospital")
    RECOVERED = "recovered", _("recovered")
    DECEASED = "deceased", _("deceased")


# Called with person_ids=set, on=date; returns person id → Isolation.HOME or Isolation.FACILITY.
IsolationProvider = Callable[..., dict]
_providers: list[IsolationProvider] = []


def register_isolation_provider(func: IsolationProvider) -> IsolationProvider:
    if func not in _providers:
        _providers.append(func)
    return func


def isolation_states(cases: list[Case], *, on: date | None = None) -> dict:
    """case id → Isolation, for the cases given (one query for all)."""
    on = on or timezone.localdate()
    final = {CaseStatus.HOSPITAL: Isolation.HOSPITAL, CaseStatus.RECOVERED: Isolation.RECOVERED,
             CaseStatus.DECEASED: Isolation.DECEASED}
    placed: dict = {}
    pending = {case.person_id for case in cases if case.status not in final}
    for provider in _providers:
        if pending:
            placed.update(provider(person_ids=pending, on=on))
    return {case.pk: final.get(case.status) or placed.get(case.person_id, Isolation.NONE) for case in cases}


def isolation_attach(cases: list[Case], *, on: date | None = None) -> list[Case]:
    """The cases with `isolation` (an Isolation) set, for the pages."""
    states = isolation_states(cases, on=on)
    for case in cases:
        case.isolation = Isolation(states[case.pk])
    return cases
