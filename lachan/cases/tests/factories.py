"""Test data of the cases app (factory_boy): cases and clusters written with `objects.create` — no case code
counter, no status history, no audit, no tracing (`cases.services.case_confirm` does those).

    case = CaseFactory(person=PersonFactory(commune=units.commune), confirmed_at=when)
    ClusterFactory(commune=units.commune, kind=ClusterKind.SUPERMARKET)
"""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from lachan.cases.models import CaseOrigin, ClusterKind
from lachan.cases.services import infectious_window_start
from lachan.geo.tests.factories import default_commune
from lachan.people.tests.factories import PersonFactory


class ClusterFactory(DjangoModelFactory):
    class Meta:
        model = "cases.Cluster"

    name = factory.Sequence(lambda n: f"Ổ dịch {n + 1}")
    kind = ClusterKind.COMMUNITY
    commune = factory.LazyFunction(default_commune)
    opened_on = factory.LazyFunction(timezone.localdate)


class CaseFactory(DjangoModelFactory):
    """A case confirmed now (or at `confirmed_at`), isolating at home, its positive sample taken that day."""

    class Meta:
        model = "cases.Case"

    person = factory.SubFactory(PersonFactory)
    code = factory.Sequence(lambda n: f"F0-FT-{n + 1:06d}")
    confirmed_at = factory.LazyFunction(timezone.now)
    sample_date = factory.LazyAttribute(lambda o: timezone.localdate(o.confirmed_at))
    onset_date = None
    origin = CaseOrigin.COMMUNITY
    status_since = factory.SelfAttribute("confirmed_at")
    isolated_at = factory.SelfAttribute("confirmed_at")
    infectious_from = factory.LazyAttribute(
        lambda o: infectious_window_start(onset_date=o.onset_date, sample_date=o.sample_date))
