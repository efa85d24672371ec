"""The laboratory part of the demo: a campaign with two sites and tubes in every status, added once,
removed with the synthetic province it hangs on."""

import time

import pytest

from lachan.labs.models import Campaign, Sample, SampleStatus, Swab, SwabOutcome, SwabReason
from lachan.simulate.demo import demo_setup

pytestmark = pytest.mark.django_db


def setup(people=1500, seed=21):
    return demo_setup(people=people, seed=seed, tree="2021", province_code="82")


def test_demo_campaign(units):
    setup()
    campaign = Campaign.objects.get()
    assert campaign.sites.count() == 2 and campaign.laboratory.place.kind == "laboratory"
    statuses = sorted(Sample.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert statuses.count(SampleStatus.COLLECTED) == 6 and statuses.count(SampleStatus.RECEIVED) == 4
    assert statuses.count(SampleStatus.RELEASED) == 2 and statuses.count(SampleStatus.REJECTED) == 1
    assert Sample.objects.filter(pooled=True).count() == 9 and Sample.objects.filter(pooled=False).count() == 4
    retest = Swab.objects.get(reason=SwabReason.POOL_RETEST)
    assert retest.retest_of.outcome == SwabOutcome.RETEST and retest.retest_of.retest_done
    started = time.monotonic()
    setup()  # again: nothing added
    assert time.monotonic() - started < 5
    assert Campaign.objects.count() == 1 and Sample.objects.count() == 13
    setup(people=1000, seed=22)  # another province: the old tubes go with it, new ones come
    assert Campaign.objects.count() == 1 and Sample.objects.count() == 13
    assert not Swab.objects.filter(person__isnull=True).exists()
