"""Sampling reads within each jurisdiction: a commune station sees its residents' samples and its sites'
ones only, laboratory staff their laboratory's; campaign visibility; counts; the queue."""

from datetime import date, timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.core.errors import NotFound, PermissionDenied
from lachan.geo.models import Place, PlaceKind
from lachan.labs.models import Campaign, Sample, SampleStatus, Swab, SwabOutcome
from lachan.labs.sampling import registering, selectors, services
from lachan.labs.tests.sampling_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


@pytest.fixture
def spread(campaign, staff, people, lab, units):
    """A pool of the commune's people at site 1, an individual sample of a commune2 resident at site 2,
    a pool mixing both at site 2, and the other district's own campaign and sample."""
    here_pool = registering.sample_register(campaign=campaign.campaign, site=campaign.site, swabs=people.here[:5],
                                            code="S-HERE", by=staff.district)
    near_one = registering.sample_register(campaign=campaign.campaign, site=campaign.site2, swabs=[people.near[0]],
                                           code="S-NEAR", by=staff.district)
    mixed = registering.sample_register(campaign=campaign.campaign, site=campaign.site2,
                                        swabs=[people.here[5], people.near[1], people.near[2]], code="S-MIX",
                                        by=staff.district)
    far_campaign = services.campaign_create(name="Gò Công", kind="screening", unit=units.other_district,
                                            starts_on=date(2021, 8, 1), laboratory=lab.other, by=staff.province)
    far = registering.sample_register(campaign=far_campaign, swabs=people.far, code="S-FAR", by=staff.province)
    return dict(here=here_pool, near=near_one, mixed=mixed, far=far, far_campaign=far_campaign)


def codes(queryset):
    return sorted(s.code for s in queryset)


def test_samples_by_jurisdiction(spread, staff, lab):
    assert codes(selectors.sample_list(user=staff.province)) == ["S-FAR", "S-HERE", "S-MIX", "S-NEAR"]
    assert codes(selectors.sample_list(user=staff.district)) == ["S-HERE", "S-MIX", "S-NEAR"]
    # The commune station: its site's pool and the pool at the neighbour's site that holds one of its residents.
    assert codes(selectors.sample_list(user=staff.commune)) == ["S-HERE", "S-MIX"]
    assert codes(selectors.sample_list(user=staff.other_commune)) == ["S-FAR"]
    # Laboratory staff: their laboratory's tubes, whoever is in them.
    assert codes(selectors.sample_list(user=lab.staff)) == ["S-HERE", "S-MIX", "S-NEAR"]
    assert codes(selectors.sample_list(user=lab.other_staff)) == ["S-FAR"]


def test_swabs_by_jurisdiction(spread, staff, lab, people):
    mixed = selectors.sample_get(user=staff.commune, sample_id=spread["mixed"].pk)
    rows = selectors.sample_swabs(user=staff.commune, sample=mixed)
    assert [s.person for s in rows.visible] == [people.here[5]] and rows.hidden == 2
    assert AuditEvent.objects.filter(action="sample.swabs_view", actor=staff.commune).exists()
    rows = selectors.sample_swabs(user=lab.staff, sample=mixed)
    assert len(rows.visible) == 3 and rows.hidden == 0
    with pytest.raises(NotFound):
        selectors.sample_get(user=staff.commune, sample_id=spread["near"].pk)
    with pytest.raises(NotFound):
        selectors.sample_get(user=lab.other_staff, code="s-here")
    assert selectors.sample_get(user=lab.staff, code=" s-here ").pk == spread["here"].pk
    with pytest.raises(NotFound):
        selectors.sample_get(user=staff.province, sample_id="not-an-id")


def test_campaigns_by_jurisdiction(spread, campaign, staff, lab, units, make_user):
    mine = services.campaign_create(name="Xã Một", kind="enterprise", unit=units.commune,
                                    starts_on=date(2021, 8, 2), by=staff.commune)
    names = lambda user: sorted(c.name for c in selectors.campaign_list(user=user))  # noqa: E731
    assert names(staff.province) == ["Gò Công", "Sàng lọc TP Mỹ Tho đợt 1", "Xã Một"]
    assert names(staff.district) == ["Sàng lọc TP Mỹ Tho đợt 1", "Xã Một"]
    assert names(staff.commune) == ["Sàng lọc TP Mỹ Tho đợt 1", "Xã Một"]  # the district's covers the commune
    assert names(staff.other_commune) == ["Gò Công"]
    assert names(lab.staff) == ["Sàng lọc TP Mỹ Tho đợt 1"]
    assert names(lab.other_staff) == ["Gò Công"]
    assert selectors.campaign_managed_by(campaign.campaign, staff.district)
    assert not selectors.campaign_managed_by(campaign.campaign, staff.commune)
    assert selectors.campaign_managed_by(mine, staff.district)
    with pytest.raises(NotFound):
        selectors.campaign_get(user=staff.other_commune, campaign_id=campaign.campaign.pk)
    assert [c.name for c in selectors.campaign_list(user=staff.province, kind="enterprise")] == ["Xã Một"]
    assert [c.name for c in selectors.campaign_list(user=staff.province, query="gò")] == ["Gò Công"]
    Campaign.objects.filter(pk=mine.pk).update(ends_on=timezone.localdate() - timedelta(days=1))
    assert [c.name for c in selectors.campaign_list(user=staff.province, status="ended")] == ["Xã Một"]
    assert "Xã Một" not in [c.name for c in selectors.campaign_list(user=staff.province, status="running")]
    factory = Place.objects.create(kind=PlaceKind.ENTERPRISE, name="Công ty May", commune=units.commune)
    enterprise_officer = make_user(Role.ENTERPRISE_OFFICER, place=factory)
    assert names(enterprise_officer) == []
    citizen = make_user(Role.CITIZEN)
    with pytest.raises(PermissionDenied):
        selectors.campaign_list(user=citizen)


def test_campaign_sample_counts_as_counted_in_the_list(spread, campaign, staff, units):
    """The page's counts, one query over its campaigns' samples, are those the list's GROUP BY gave."""
    empty = services.campaign_create(name="Xã Một", kind="enterprise", unit=units.commune,
                                     starts_on=date(2021, 8, 2), by=staff.commune)
    page = selectors.with_sample_counts(list(selectors.campaign_list(user=staff.province)))
    before = dict(Campaign.objects.annotate(n=Count("samples")).values_list("pk", "n"))
    assert {c.pk: c.sample_count for c in page} == before
    assert {c.pk: c.sample_count for c in page} == {campaign.campaign.pk: 3, spread["far_campaign"].pk: 1,
                                                     empty.pk: 0}
    assert selectors.with_sample_counts([]) == []


def test_counts(spread, campaign, staff, lab):
    camp = campaign.campaign
    services.samples_receive(codes="S-HERE", by=lab.staff)
    services.sample_reject(sample=spread["near"], reason="rò rỉ", by=lab.staff)
    [round1] = selectors.campaign_rounds(campaign=camp)
    assert (round1.round, round1.samples, round1.pools, round1.people) == (1, 3, 2, 9)
    assert (round1.collected, round1.received, round1.rejected) == (1, 1, 1)
    camp = services.campaign_next_round(campaign=camp, by=staff.district)
    rounds = selectors.campaign_rounds(campaign=camp)
    assert [r.round for r in rounds] == [2, 1] and rounds[0].samples == 0
    sites = {s.name: s for s in selectors.campaign_sites(campaign=camp)}
    assert (sites["Nhà văn hoá khu phố 1"].round_samples, sites["Trường tiểu học"].round_people) == (0, 0)
    Campaign.objects.filter(pk=camp.pk).update(current_round=1)
    camp.refresh_from_db()
    sites = {s.name: s for s in selectors.campaign_sites(campaign=camp)}
    assert (sites["Nhà văn hoá khu phố 1"].round_samples, sites["Nhà văn hoá khu phố 1"].round_people) == (1, 5)
    assert (sites["Trường tiểu học"].round_samples, sites["Trường tiểu học"].round_people) == (2, 4)


def test_queue(spread, lab, staff):
    Sample.objects.filter(code="S-MIX").update(collected_at=timezone.now() - timedelta(hours=30))
    services.samples_receive(codes="S-HERE", by=lab.staff)
    assert [s.code for s in selectors.lab_queue(user=lab.staff)] == ["S-MIX", "S-HERE", "S-NEAR"]
    assert [s.code for s in selectors.lab_queue(user=lab.staff, status="received")] == ["S-HERE"]
    assert selectors.lab_queue_counts(user=lab.staff) == {"collected": 2, "received": 1}
    assert selectors.lab_queue_counts(user=lab.other_staff) == {"collected": 1, "received": 0}
    oldest = selectors.lab_queue(user=lab.staff).first()
    assert oldest.swab_count == 3 and selectors.age_hours(oldest) == 30
    Sample.objects.filter(code="S-HERE").update(status=SampleStatus.RELEASED)
    assert selectors.lab_queue_counts(user=lab.staff) == {"collected": 2, "received": 0}


def test_history(spread, lab, staff):
    sample = spread["here"]
    services.samples_receive(codes=sample.code, by=lab.staff)
    services.sample_reject(sample=sample, reason="Thiếu mẫu", by=lab.staff)
    sample = selectors.sample_get(user=lab.staff, sample_id=sample.pk)
    steps = selectors.sample_history(sample)
    assert [s.status for s in steps] == ["collected", "received", "rejected"]
    assert [s.by for s in steps] == ["district", "labtech", "labtech"] and steps[2].note == "Thiếu mẫu"
    assert all(s.at for s in steps)


def test_person_candidates(people, staff, lab):
    an = people.here[0]
    assert [p.pk for p in selectors.person_candidates(user=staff.commune, query=an.national_id)] == [an.pk]
    assert [p.pk for p in selectors.person_candidates(user=staff.commune, query=an.phone)] == [an.pk]
    found = selectors.person_candidates(user=staff.commune, query="nguoi xa mot 1")
    assert an in found and all(p.commune_id == an.commune_id for p in found)
    assert selectors.person_candidates(user=staff.commune, query=people.near[0].national_id) == []
    assert selectors.person_candidates(user=staff.commune, query="") == []
    assert selectors.people_by_ids(user=staff.commune, ids=[people.near[0].pk, an.pk, "x", an.pk]) == [an]
    with pytest.raises(PermissionDenied):
        selectors.person_candidates(user=staff.province.__class__(role=Role.IOC_OPERATOR, is_active=True), query="x")


def test_outcome_rejected_after_reject(spread, lab):
    services.sample_reject(sample=spread["mixed"], reason="x", by=lab.staff)
    assert set(Swab.objects.filter(sample=spread["mixed"]).values_list("outcome", flat=True)) == {
        SwabOutcome.REJECTED}
