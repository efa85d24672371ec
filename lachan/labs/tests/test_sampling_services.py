"""Sampling services: campaigns and sites, registering samples (every bad input), tube codes, receiving and
rejecting at the laboratory."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from lachan.accounts.models import AuditEvent
from lachan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.core.models import Policy
from lachan.labs.models import (
    Campaign,
    Sample,
    SampleCodeCounter,
    SampleStatus,
    SamplingSite,
    Swab,
    SwabOutcome,
    SwabReason,
)
from lachan.labs.sampling import registering, services
from lachan.labs.sampling.registering import SampleIn, SwabIn
from lachan.labs.tests.sampling_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def codes_of(exc: DomainError) -> list[str]:
    return [e.code for e in exc.errors] if isinstance(exc, ValidationFailed) else [exc.code]


def pool_limits(low: int, high: int) -> None:
    """The labs policy in force (seeded by the migration) with other pool sizes."""
    for policy in Policy.objects.filter(kind="labs"):
        policy.rules = {**policy.rules, "min_pool_size": low, "max_pool_size": high}
        policy.save()


def register(campaign, people, by, **kw):
    return registering.sample_register(campaign=campaign.campaign, site=kw.pop("site", campaign.site), swabs=people,
                                       by=by, **kw)


# ---- campaigns and sites -------------------------------------------------------------------------------

def test_campaign_create_and_update(units, staff, lab):
    camp = services.campaign_create(name="  Sàng lọc   xã  ", kind="screening", unit=units.commune.code,
                                    starts_on=date(2021, 8, 1), pool_size=10, laboratory=str(lab.lab.pk),
                                    by=staff.commune)
    assert (camp.name, camp.unit, camp.pool_size, camp.laboratory, camp.current_round) == (
        "Sàng lọc xã", units.commune, 10, lab.lab, 1)
    assert AuditEvent.objects.filter(action="campaign.create", object_id=str(camp.pk)).exists()
    services.campaign_update(campaign=camp, ends_on=date(2021, 8, 31), pool_size=1, by=staff.commune)
    camp.refresh_from_db()
    assert (camp.ends_on, camp.pool_size) == (date(2021, 8, 31), 1)


@pytest.mark.parametrize("change, field, message", [
    ({"name": "  "}, "name", "A campaign needs a name."),
    ({"kind": "party"}, "kind", "Unknown kind of campaign."),
    ({"test_type": "smell"}, "test_type", "Unknown test."),
    ({"pool_size": 11}, "pool_size", "from 2 to 10"),
    ({"pool_size": 0}, "pool_size", "from 2 to 10"),
    ({"pool_size": "x"}, "pool_size", "from 2 to 10"),
    ({"ends_on": date(2021, 7, 1)}, "ends_on", "ends before it starts"),
    ({"starts_on": None}, "starts_on", "first day"),
    ({"starts_on": "2021-08-01"}, "starts_on", "valid date"),
    ({"unit": "99999"}, "unit", "Choose the area"),
    ({"laboratory": "not-a-lab"}, "laboratory", "Unknown laboratory."),
])
def test_campaign_bad_input(units, staff, lab, change, field, message):
    data = {"name": "Sàng lọc", "kind": "screening", "unit": units.commune, "starts_on": date(2021, 8, 1),
            "pool_size": 5, **change}
    with pytest.raises(DomainError) as err:
        services.campaign_create(by=staff.commune, **data)
    assert err.value.field == field and message in str(err.value.message)
    assert not Campaign.objects.exists()


def test_campaign_area_and_lab_rules(units, staff, lab):
    with pytest.raises(DomainError, match="outside your jurisdiction"):
        services.campaign_create(name="x", kind="screening", unit=units.district, starts_on=date(2021, 8, 1),
                                 by=staff.commune)
    antigen_only = make_lab(units.commune2, name="Phòng khám", rt_pcr=False)  # noqa: F405
    with pytest.raises(DomainError, match="does not run RT-PCR"):
        services.campaign_create(name="x", kind="screening", unit=units.commune, starts_on=date(2021, 8, 1),
                                 test_type="rt_pcr", laboratory=antigen_only, by=staff.commune)
    # Lab staff have no area: they cannot plan campaigns.
    with pytest.raises(DomainError, match="outside your jurisdiction"):
        services.campaign_create(name="x", kind="screening", unit=units.commune, starts_on=date(2021, 8, 1),
                                 by=lab.staff)


def test_pool_size_follows_the_policy_in_force(units, staff):
    pool_limits(3, 6)
    with pytest.raises(DomainError, match="from 3 to 6"):
        services.campaign_create(name="x", kind="screening", unit=units.commune, starts_on=date(2021, 8, 1),
                                 pool_size=8, by=staff.commune)


def test_campaign_update_scope_and_fields(campaign, staff, units):
    camp = campaign.campaign
    with pytest.raises(PermissionDenied):  # a commune station sees the district's campaign, cannot change it
        services.campaign_update(campaign=camp, name="x", by=staff.commune)
    with pytest.raises(NotFound):  # the other district does not even see it
        services.campaign_update(campaign=camp, name="x", by=staff.other_commune)
    with pytest.raises(DomainError, match="cannot be changed"):
        services.campaign_update(campaign=camp, current_round=5, by=staff.district)
    with pytest.raises(DomainError, match="Trường tiểu học lies outside"):  # a site would fall outside the area
        services.campaign_update(campaign=camp, unit=units.commune, by=staff.district)



def test_campaign_update_writes_only_what_changed(campaign, staff):
    """(issue 13, model_update) Two people editing a campaign at once: one's change of the name does not
    write back the notes the other just saved."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    camp = campaign.campaign
    with CaptureQueriesContext(connection) as queries:
        services.campaign_update(campaign=camp, name="Sàng lọc đợt mới", by=staff.district)
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "labs_campaign" in q["sql"]]
    assert len(updates) == 1 and "name" in updates[0] and "notes" not in updates[0]
    with CaptureQueriesContext(connection) as queries:  # nothing changed: nothing written, nothing audited
        services.campaign_update(campaign=camp, name="Sàng lọc đợt mới", by=staff.district)
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]

def test_next_round(campaign, staff, people):
    camp = campaign.campaign
    with pytest.raises(DomainError, match="Round 1 has no sample yet"):
        services.campaign_next_round(campaign=camp, by=staff.district)
    register(campaign, people.here[:5], staff.commune, code="POOL-0001")
    assert services.campaign_next_round(campaign=camp, by=staff.district).current_round == 2
    with pytest.raises(DomainError, match="Round 2 has no sample yet"):  # a double click does not skip a round
        services.campaign_next_round(campaign=camp, by=staff.district)
    # A new round: the same people may be pooled again.
    sample = register(campaign, people.here[:5], staff.commune, code="POOL-0002")
    assert (sample.round, sample.swabs.count()) == (2, 5)


def test_sites(campaign, staff, units):
    camp = campaign.campaign
    # A commune station adds a site in its own commune to the district's campaign…
    site = services.site_create(campaign=camp, name="Chợ", commune=units.commune.code, by=staff.commune)
    assert site.commune == units.commune
    # …but not in the neighbouring commune, nor outside the campaign's area.
    with pytest.raises(DomainError, match="outside your jurisdiction"):
        services.site_create(campaign=camp, name="Chợ 2", commune=units.commune2, by=staff.commune)
    with pytest.raises(DomainError, match="outside the campaign's area"):
        services.site_create(campaign=camp, name="Chợ 3", commune=units.other_commune, by=staff.province)
    with pytest.raises(DomainError, match="Choose the commune"):
        services.site_create(campaign=camp, name="Chợ 4", commune=units.district, by=staff.district)
    with pytest.raises(DomainError, match="needs a name"):
        services.site_create(campaign=camp, name=" ", commune=units.commune, by=staff.district)
    with pytest.raises(DomainError, match="Unknown place"):
        services.site_create(campaign=camp, name="x", commune=units.commune, place="nope", by=staff.district)
    with pytest.raises(NotFound):
        services.site_create(campaign=camp, name="x", commune=units.other_commune, by=staff.other_commune)
    services.site_update(site=site, name="Chợ Mỹ Tho", by=staff.commune)
    assert SamplingSite.objects.get(pk=site.pk).name == "Chợ Mỹ Tho"
    with pytest.raises(PermissionDenied):
        services.site_update(site=campaign.site2, name="x", by=staff.commune)


# ---- registering samples -------------------------------------------------------------------------------

def test_register_a_pool(campaign, staff, people):
    sample = register(campaign, [p.national_id for p in people.here[:4]] + [people.here[4].phone],
                      staff.commune, code=" pool-abc1 ", reason=SwabReason.SCREENING)
    assert (sample.code, sample.pooled, sample.round, sample.status, sample.laboratory) == (
        "POOL-ABC1", True, 1, SampleStatus.COLLECTED, campaign.campaign.laboratory)
    swabs = list(sample.swabs.order_by("position"))
    assert [s.person for s in swabs] == people.here[:5]
    assert all(s.pooled and s.campaign == campaign.campaign and s.outcome == SwabOutcome.PENDING for s in swabs)
    assert sample.collected_by == staff.commune and sample.test_type == "rt_pcr"
    assert AuditEvent.objects.filter(action="sample.register").count() == 5


def test_register_an_individual_sample_with_a_generated_code(campaign, staff, people):
    sample = register(campaign, [people.here[0]], staff.commune, generate_code=True, reason="symptoms")
    prefix = registering.code_prefix()
    assert re.fullmatch(r"82-\d{6}-\d{6}", sample.code) and sample.code == f"{prefix}000001"
    assert not sample.pooled and sample.swabs.get().reason == "symptoms"
    second = register(campaign, [people.here[1]], staff.commune, generate_code=True)
    assert second.code == f"{prefix}000002"


def test_generated_codes_skip_codes_typed_by_hand(campaign, staff, people):
    prefix = registering.code_prefix()
    register(campaign, [people.here[0]], staff.commune, code=f"{prefix}000001")
    assert registering.sample_codes_generate(count=2) == [f"{prefix}000002", f"{prefix}000003"]
    assert SampleCodeCounter.objects.get(prefix=prefix).last == 3


@pytest.mark.parametrize("code, message", [
    ("", "Scan or type the tube code"),
    ("ab", "is not a tube code"),
    ("AB CD 12", "is not a tube code"),
    ("ÔNG-0001", "is not a tube code"),
    ("X" * 41, "is not a tube code"),
])
def test_malformed_tube_code(campaign, staff, people, code, message):
    with pytest.raises(ValidationFailed) as err:
        register(campaign, people.here[:5], staff.commune, code=code)
    assert codes_of(err.value) == ["labs_sample_code_invalid"] and message in str(err.value.message)
    assert not Sample.objects.exists() and not Swab.objects.exists()


def test_tube_code_already_used(campaign, staff, people):
    register(campaign, people.here[:5], staff.commune, code="T-0001")
    with pytest.raises(ValidationFailed) as err:
        register(campaign, people.here[5:10], staff.commune, code="t-0001")
    assert codes_of(err.value) == ["labs_sample_code_taken"]
    assert "T-0001 is already used" in str(err.value.message)
    assert Sample.objects.count() == 1 and Swab.objects.count() == 5


def test_resending_the_same_sample_answers_the_existing_one(campaign, staff, people):
    first = register(campaign, people.here[:5], staff.commune, code="T-0001")
    again = register(campaign, list(reversed(people.here[:5])), staff.commune, code="T-0001")
    assert again.pk == first.pk and first.created and not again.created
    assert Swab.objects.count() == 5


def test_pool_size_limits(campaign, staff, people):
    with pytest.raises(ValidationFailed) as err:
        register(campaign, people.here[:1], staff.commune, code="T-0001", pooled=True)
    assert codes_of(err.value) == ["labs_pool_too_small"] and "at least 2" in str(err.value.message)
    with pytest.raises(ValidationFailed) as err:
        register(campaign, people.here[:11], staff.commune, code="T-0001")
    assert codes_of(err.value) == ["labs_pool_too_large"] and "at most 10" in str(err.value.message)
    with pytest.raises(ValidationFailed) as err:
        register(campaign, people.here[:2], staff.commune, code="T-0001", pooled=False)
    assert codes_of(err.value) == ["labs_pool_too_large"]
    with pytest.raises(ValidationFailed) as err:
        register(campaign, [], staff.commune, code="T-0001")
    assert "Add the person swabbed" in str(err.value.message)
    assert not Sample.objects.exists()


def test_pool_limits_follow_the_policy(campaign, staff, people):
    pool_limits(3, 4)
    with pytest.raises(ValidationFailed, match="at least 3"):
        register(campaign, people.here[:2], staff.commune, code="T-0001")
    with pytest.raises(ValidationFailed, match="at most 4"):
        register(campaign, people.here[:5], staff.commune, code="T-0001")
    assert register(campaign, people.here[:4], staff.commune, code="T-0001").swabs.count() == 4


def test_same_person_twice_in_a_pool(campaign, staff, people):
    an = people.here[0]
    with pytest.raises(ValidationFailed) as err:
        register(campaign, [an, people.here[1], an.national_id, people.here[2]], staff.commune, code="T-0001")
    assert codes_of(err.value) == ["labs_person_twice_in_pool"]
    assert f"{an.full_name} is twice in this pool (lines 1 and 3)" in str(err.value.message)
    assert not Sample.objects.exists()


def test_person_already_in_another_pool_of_the_round(campaign, staff, people):
    register(campaign, people.here[:5], staff.commune, code="T-0001")
    with pytest.raises(ValidationFailed) as err:
        register(campaign, people.here[4:9], staff.commune, code="T-0002", site=campaign.site2)
    assert codes_of(err.value) == ["labs_person_in_other_pool"]
    assert f"{people.here[4].full_name} is already in pool T-0001 of round 1" in str(err.value.message)
    assert Sample.objects.count() == 1
    # An individual sample of the same person in the same round is allowed (e.g. symptoms).
    assert register(campaign, [people.here[4]], staff.commune, code="T-0003", reason="symptoms").pooled is False


def test_unknown_people(campaign, staff, people):
    with pytest.raises(ValidationFailed) as err:
        register(campaign, [people.here[0], "082099999999", "0999999999", "hello", people.far[0].national_id],
                 staff.commune, code="T-0001")
    assert codes_of(err.value) == ["labs_person_not_found"] * 4
    messages = [str(e.message) for e in err.value.errors]
    assert "No person 082099999999 in your jurisdiction." in messages
    assert "No person 0999999999 in your jurisdiction." in messages
    assert f"No person {people.far[0].national_id} in your jurisdiction." in messages  # another district
    assert [e.params["position"] for e in err.value.errors] == [2, 3, 4, 5]
    assert not Sample.objects.exists()


def test_shared_phone_is_ambiguous(campaign, staff, people):
    people.here[1].phone = people.here[0].phone
    people.here[1].save()
    with pytest.raises(ValidationFailed, match="belongs to 2 people"):
        register(campaign, [people.here[0].phone], staff.commune, code="T-0001")


def test_unknown_campaign_and_site(campaign, staff, people, units, lab):
    with pytest.raises(NotFound) as err:
        registering.sample_register(campaign="nope", swabs=[people.here[0]], code="T-0001", by=staff.commune)
    assert err.value.code == "labs_campaign_not_found"
    other = services.campaign_create(name="Gò Công", kind="screening", unit=units.other_commune,
                                     starts_on=date(2021, 8, 1), by=staff.other_commune)
    with pytest.raises(NotFound):  # another district's campaign is unknown here
        registering.sample_register(campaign=other, swabs=[people.here[0]], code="T-0001", by=staff.commune)
    other_site = services.site_create(campaign=other, name="x", commune=units.other_commune, by=staff.other_commune)
    with pytest.raises(NotFound) as err:
        register(campaign, [people.here[0]], staff.commune, code="T-0001", site=other_site)
    assert err.value.code == "labs_site_not_found"
    with pytest.raises(NotFound):
        register(campaign, [people.here[0]], staff.commune, code="T-0001", site="bogus")
    assert not Sample.objects.exists()


def test_collection_time(campaign, staff, people):
    with pytest.raises(ValidationFailed) as err:
        register(campaign, [people.here[0]], staff.commune, code="T-0001",
                 collected_at=timezone.now() + timedelta(hours=2))
    assert codes_of(err.value) == ["labs_date_in_future"]
    with pytest.raises(ValidationFailed, match="starts on"):
        register(campaign, [people.here[0]], staff.commune, code="T-0001",
                 collected_at=timezone.now() - timedelta(days=10))
    services.campaign_update(campaign=campaign.campaign, ends_on=timezone.localdate() - timedelta(days=1),
                             by=staff.district)
    with pytest.raises(ValidationFailed, match="ended on"):
        register(campaign, [people.here[0]], staff.commune, code="T-0001")
    sample = register(campaign, [people.here[0]], staff.commune, code="T-0001",
                      collected_at=timezone.now() - timedelta(days=1, hours=1))
    assert sample.collected_at < timezone.now() - timedelta(days=1)


def test_every_problem_is_reported_at_once(campaign, staff, people):
    register(campaign, people.here[:5], staff.commune, code="T-0001")
    with pytest.raises(ValidationFailed) as err:
        register(campaign, [people.here[0], people.here[5], people.here[5], "000000000000"], staff.commune,
                 code="T-0001", reason="bogus", collected_at=timezone.now() + timedelta(days=1))
    assert sorted(codes_of(err.value)) == sorted([
        "labs_date_in_future", "labs_sample_code_taken", "labs_campaign_invalid", "labs_person_not_found",
        "labs_person_twice_in_pool", "labs_person_in_other_pool"])
    assert Sample.objects.count() == 1


def test_permission_and_scope_of_registering(campaign, staff, people, lab, make_user):
    from lachan.accounts.roles import Role

    ioc = make_user(Role.IOC_OPERATOR, unit=staff.province.jurisdiction_unit)
    with pytest.raises(PermissionDenied):
        register(campaign, [people.here[0]], ioc, code="T-0001")
    # The commune station may not swab a resident of the neighbouring commune under their name.
    with pytest.raises(ValidationFailed, match="not in your jurisdiction"):
        register(campaign, [people.near[0]], staff.commune, code="T-0001")
    assert register(campaign, [people.near[0]], staff.district, code="T-0001").swabs.count() == 1


def test_pool_retest_links_the_positive_pool(campaign, staff, people):
    pool = register(campaign, people.here[:5], staff.commune, code="T-0001")
    with pytest.raises(ValidationFailed, match="no positive pool waiting"):
        register(campaign, [people.here[0]], staff.commune, code="T-0002", reason=SwabReason.POOL_RETEST)
    Swab.objects.filter(sample=pool).update(outcome=SwabOutcome.RETEST, **Swab.flags(SwabOutcome.RETEST))  # what the result of a positive pool does
    with pytest.raises(ValidationFailed, match="individual sample"):
        register(campaign, people.here[:2], staff.commune, code="T-0002", reason=SwabReason.POOL_RETEST)
    retest = register(campaign, [people.here[0]], staff.commune, code="T-0002")
    swab = retest.swabs.get()
    pooled_swab = Swab.objects.get(sample=pool, person=people.here[0])
    assert (swab.reason, swab.retest_of_id) == (SwabReason.POOL_RETEST, pooled_swab.pk)
    pooled_swab.refresh_from_db()
    assert pooled_swab.retest_done
    assert Swab.objects.filter(sample=pool, retest_done=False).count() == 4


def test_batch_each_sample_on_its_own(campaign, staff, people):
    items = [
        SampleIn(campaign=campaign.campaign.pk, site=campaign.site.pk, code="B-0001", swabs=people.here[:5]),
        SampleIn(campaign=campaign.campaign.pk, code="B-0002", swabs=[people.here[5], "082099999999"]),
        SampleIn(campaign="nope", code="B-0003", swabs=[people.here[6]]),
        SampleIn(campaign=campaign.campaign.pk, code="B-0001", swabs=people.here[7:9]),
        SampleIn(campaign=campaign.campaign.pk, generate_code=True,
                 swabs=[SwabIn(person=people.here[9], reason="contact")]),
    ]
    results = registering.samples_register_many(items=items, by=staff.commune)
    assert isinstance(results[0], Sample) and results[0].swabs.count() == 5
    assert codes_of(results[1]) == ["labs_person_not_found"]
    assert codes_of(results[2]) == ["labs_campaign_not_found"]
    assert codes_of(results[3]) == ["labs_sample_code_taken"]
    assert isinstance(results[4], Sample) and results[4].swabs.get().reason == "contact"
    assert Sample.objects.count() == 2 and Swab.objects.count() == 6  # nothing of the refused ones


# ---- blank labels ------------------------------------------------------------------------------------

def test_codes_reserve(campaign, staff):
    codes = registering.codes_reserve(campaign=campaign.campaign, site=campaign.site, count=3, by=staff.commune)
    prefix = registering.code_prefix()
    assert codes == [f"{prefix}00000{n}" for n in (1, 2, 3)]
    assert registering.sample_codes_generate(count=1) == [f"{prefix}000004"]
    for count in (0, 501, "3"):
        with pytest.raises(DomainError, match="from 1 to 500"):
            registering.codes_reserve(campaign=campaign.campaign, count=count, by=staff.commune)
    with pytest.raises(NotFound):
        registering.codes_reserve(campaign=campaign.campaign, count=1, by=staff.other_commune)


# ---- the laboratory ----------------------------------------------------------------------------------

@pytest.fixture
def tubes(campaign, staff, people):
    """Three pools and an individual sample, collected an hour ago."""
    at = timezone.now() - timedelta(hours=1)
    return [register(campaign, people.here[n * 5:(n + 1) * 5] if n < 2 else [people.here[10 + n - 2]],
                     staff.commune, code=f"R-000{n}", collected_at=at) for n in range(4)]


def test_receive(tubes, lab, units, staff):
    results = services.samples_receive(codes="r-0000\nR-0001, R-0001 ; X-9999", by=lab.staff)
    assert [(r.code, r.error.code if r.error else "ok") for r in results] == [
        ("R-0000", "ok"), ("R-0001", "ok"), ("X-9999", "labs_sample_not_found")]
    sample = Sample.objects.get(code="R-0000")
    assert (sample.status, sample.received_by) == (SampleStatus.RECEIVED, lab.staff) and sample.received_at
    again = services.samples_receive(codes=["R-0000", "R-0002"], by=lab.staff)
    assert again[0].error.code == "labs_status_invalid" and "already received on" in str(again[0].error.message)
    assert again[1].error is None
    # Another laboratory's staff: told the tube is not theirs, nothing changes.
    other = services.samples_receive(codes=["R-0003"], by=lab.other_staff)
    assert "was sent to another laboratory (Phòng xét nghiệm CDC Tiền Giang)" in str(other[0].error.message)
    assert Sample.objects.get(code="R-0003").status == SampleStatus.COLLECTED
    with pytest.raises(DomainError, match="at least one"):
        services.samples_receive(codes=" , ", by=lab.staff)
    with pytest.raises(DomainError, match="At most 500"):
        services.samples_receive(codes=[f"C-{n:04d}" for n in range(501)], by=lab.staff)
    with pytest.raises(PermissionDenied):
        services.samples_receive(codes=["R-0003"], by=staff.commune)  # communes do not receive
    with pytest.raises(DomainError, match="in the future"):
        services.samples_receive(codes=["R-0003"], by=lab.staff, received_at=timezone.now() + timedelta(hours=1))
    late = services.samples_receive(codes=["R-0003"], by=lab.staff, received_at=timezone.now() - timedelta(hours=3))
    assert "collected after" in str(late[0].error.message)


def test_receive_a_tube_without_laboratory(campaign, staff, people, lab):
    services.campaign_update(campaign=campaign.campaign, laboratory=None, by=staff.district)
    register(campaign, [people.here[0]], staff.commune, code="N-0001")
    assert services.samples_receive(codes="N-0001", by=lab.other_staff)[0].error is None
    assert Sample.objects.get(code="N-0001").laboratory == lab.other


def test_province_admin_receives_what_they_see(tubes, staff):
    results = services.samples_receive(codes="R-0000", by=staff.province)
    assert results[0].error is None


def test_reject(tubes, lab, staff, campaign, people):
    pool = tubes[0]
    with pytest.raises(DomainError, match="Give the reason"):
        services.sample_reject(sample=pool, reason="  ", by=lab.staff)
    with pytest.raises(NotFound):
        services.sample_reject(sample=pool, reason="x", by=lab.other_staff)
    with pytest.raises(PermissionDenied):
        services.sample_reject(sample=pool, reason="x", by=staff.commune)
    services.sample_reject(sample=pool, reason="Ống bị rò rỉ", by=lab.staff)
    pool.refresh_from_db()
    assert (pool.status, pool.rejected_reason, pool.rejected_by) == (SampleStatus.REJECTED, "Ống bị rò rỉ", lab.staff)
    assert set(pool.swabs.values_list("outcome", flat=True)) == {SwabOutcome.REJECTED}
    with pytest.raises(DomainError, match="Only a sample waiting"):
        services.sample_reject(sample=pool, reason="again", by=lab.staff)
    received = services.samples_receive(codes="R-0000", by=lab.staff)
    assert "was rejected: Ống bị rò rỉ" in str(received[0].error.message)
    # Its people are swabbed again, in a new pool of the same round, linked to the rejected swab.
    again = register(campaign, people.here[:5], staff.commune, code="R-0100")
    swab = again.swabs.get(person=people.here[0])
    assert swab.retest_of.sample == pool
    assert not Swab.objects.filter(sample=pool, retest_done=False).exists()
