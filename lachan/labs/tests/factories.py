"""Test data of the labs app (factory_boy): laboratories, campaigns, tubes and swabs, written with
`objects.create` (no sample code counter, no audit, no result release: use the services for those).

    lab = LaboratoryFactory(place__commune=units.commune)
    campaign = CampaignFactory(unit=units.district, laboratory=lab, pool_size=5)
    sample = SampleFactory(campaign=campaign, laboratory=lab, pooled=True)
    SwabFactory(sample=sample, person=PersonFactory(commune=units.commune))
"""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from lachan.geo.models import PlaceKind
from lachan.geo.tests.factories import PlaceFactory, default_commune
from lachan.labs.models import CampaignKind, TestType
from lachan.people.tests.factories import PersonFactory


class LaboratoryFactory(DjangoModelFactory):
    class Meta:
        model = "labs.Laboratory"

    place = factory.SubFactory(PlaceFactory, kind=PlaceKind.LABORATORY,
                               name=factory.Sequence(lambda n: f"Phòng xét nghiệm {n + 1}"))


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = "labs.Campaign"

    name = factory.Sequence(lambda n: f"Sàng lọc {n + 1}")
    kind = CampaignKind.SCREENING
    unit = factory.LazyFunction(default_commune)
    starts_on = factory.LazyFunction(timezone.localdate)


class SampleFactory(DjangoModelFactory):
    """A tube as collected (status `collected`); its round follows its campaign's."""

    class Meta:
        model = "labs.Sample"

    code = factory.Sequence(lambda n: f"FT-{n + 1:06d}")
    test_type = TestType.RT_PCR
    campaign = None
    round = factory.LazyAttribute(lambda o: o.campaign.current_round if o.campaign else 1)
    collected_at = factory.LazyFunction(timezone.now)


class SwabFactory(DjangoModelFactory):
    """One person's specimen in a tube; campaign, round and pooled copied from the tube, as the services do."""

    class Meta:
        model = "labs.Swab"

    sample = factory.SubFactory(SampleFactory)
    person = factory.SubFactory(PersonFactory)
    campaign = factory.SelfAttribute("sample.campaign")
    round = factory.SelfAttribute("sample.round")
    pooled = factory.SelfAttribute("sample.pooled")
