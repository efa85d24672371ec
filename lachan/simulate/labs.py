"""Laboratory demo data: a screening campaign of the demo commune with two sites and tubes in every status
(collected, received, rejected, a negative and a positive pool released, an individual re-test), so the
labs pages have something to show. Idempotent: nothing is added when the campaign is there.

Also the removal of laboratory rows that hang on the synthetic province (its laboratories and people) before
the province is generated again."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.accounts.models import User
from lachan.labs.models import (
    Campaign,
    CampaignKind,
    ColumnMapping,
    Laboratory,
    Result,
    ResultCorrection,
    ResultImport,
    Sample,
    SampleStatus,
    SamplingSite,
    Swab,
    SwabOutcome,
    SwabReason,
    TestType,
)
from lachan.labs.sampling import registering, services
from lachan.people.models import Person

ACTOR = system_actor("demo.labs")  # who the generated records are by, in the audit trail

POOL = 5
NEEDED = 9 * POOL + 3  # nine pools and three individual samples (the fourth is a pool member's re-test)


def _at(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@transaction.atomic
def labs_demo(*, log=None) -> Campaign | None:
    """The demo campaign, over the demo commune station's commune, tested by the demo lab account's
    laboratory. Needs those two accounts (demo_setup creates them first)."""
    log = log or (lambda msg: None)
    station = User.objects.filter(username="commune").select_related("jurisdiction_unit").first()
    lab_user = User.objects.filter(username="lab").first()
    lab = Laboratory.objects.select_related("place").filter(place_id=getattr(lab_user, "jurisdiction_place_id",
                                                                            None)).first()
    if station is None or station.jurisdiction_unit is None or lab is None:
        return None
    commune = station.jurisdiction_unit
    name = f"Xét nghiệm sàng lọc cộng đồng – {commune.name}"
    existing = Campaign.objects.filter(name=name, unit=commune).first()
    if existing is not None:
        return existing
    people = list(Person.objects.active().filter(commune=commune).order_by("id")[:NEEDED])
    by = station
    if len(people) < NEEDED:  # a small demo province: people of the district too, registered by the system
        area = commune.parent or commune
        people = list(Person.objects.active().filter(commune__path__startswith=area.path + "/")
                      .order_by("commune_id", "id")[:NEEDED])
        by = ACTOR
    if len(people) < NEEDED:
        return None
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    campaign = services._campaign_create(
        name=name, kind=CampaignKind.SCREENING, unit=commune, starts_on=today - timedelta(days=2),
        test_type=TestType.RT_PCR, pool_size=POOL, laboratory=lab,
        notes="Lấy mẫu gộp 5 toàn bộ hộ dân theo Kế hoạch của UBND xã.", by=ACTOR)
    hall = services._site_create(campaign=campaign, name="Nhà văn hoá ấp 1", commune=commune,
                                 address="Đầu đường vào ấp 1", by=ACTOR)
    school = services._site_create(campaign=campaign, name=f"Trường Tiểu học {commune.short_name}", commune=commune,
                                   by=ACTOR)
    now = timezone.now()
    tubes: list[Sample] = []
    # Yesterday at the hall: six pools, all at the laboratory by the afternoon.
    for n in range(6):
        tubes.append(registering.sample_register(
            campaign=campaign, site=hall, swabs=people[n * POOL:(n + 1) * POOL], generate_code=True,
            collected_at=min(_at(yesterday, 8, 10 * n), now), by=by))
    services.samples_receive(codes=[t.code for t in tubes], by=lab_user, received_at=min(_at(yesterday, 14), now))
    negative, positive, leaked = tubes[0], tubes[1], tubes[2]
    _release(negative, Result.NEGATIVE, None, SwabOutcome.NEGATIVE, lab_user, min(_at(yesterday, 20), now))
    _release(positive, Result.POSITIVE, 27.4, SwabOutcome.RETEST, lab_user, min(_at(yesterday, 20), now))
    services._sample_reject(sample=leaked, reason="Ống bị rò rỉ khi vận chuyển", by=lab_user)
    # Today at the school: three more pools and individual samples, one of them the re-test of the positive
    # pool's first member; one pool already received.
    start = 6 * POOL
    for n in range(3):
        tubes.append(registering.sample_register(
            campaign=campaign, site=school, swabs=people[start + n * POOL:start + (n + 1) * POOL],
            generate_code=True, collected_at=min(_at(today, 7, 30 + 5 * n), now), by=by))
    services.samples_receive(codes=[tubes[-1].code], by=lab_user)
    retest_of = positive.swabs.order_by("position").first().person
    singles = [(retest_of, SwabReason.POOL_RETEST), (people[start + 15], SwabReason.SYMPTOMS),
               (people[start + 16], SwabReason.CONTACT), (people[start + 17], SwabReason.TRAVEL)]
    for n, (person, reason) in enumerate(singles):
        registering.sample_register(campaign=campaign, site=school, swabs=[person], pooled=False, reason=reason,
                                    generate_code=True, collected_at=min(_at(today, 9, 5 * n), now), by=by)
    log(f"Laboratory demo: campaign «{campaign.name}», {Sample.objects.filter(campaign=campaign).count()} tubes.")
    return campaign


def _release(sample: Sample, result: str, ct: float | None, outcome: str, by, at: datetime) -> None:
    """A result as the laboratory's release would leave it (the demo does not go through the workflow)."""
    Sample.objects.filter(pk=sample.pk).update(status=SampleStatus.RELEASED, result=result, ct_value=ct,
                                               tested_at=at, released_at=at, released_by=by)
    Swab.objects.filter(sample=sample).update(outcome=outcome, **Swab.flags(outcome))


def labs_synthetic_delete(limit) -> None:
    """Remove the laboratory rows that hang on the synthetic province (ids below `limit`): its laboratories'
    campaigns, files and tubes, and the tubes of its people. Raw deletes for the tubes (there may be hundreds
    of thousands); foreign keys are checked at the commit."""
    labs = Laboratory.objects.filter(id__lt=limit).values("id")
    synthetic_swabs = Swab.objects.filter(person_id__lt=limit)
    campaign_ids = list(Campaign.objects.filter(
        Q(laboratory_id__in=labs) | Q(pk__in=synthetic_swabs.values("campaign_id"))).values_list("id", flat=True))
    samples = Sample.objects.filter(Q(laboratory_id__in=labs) | Q(campaign_id__in=campaign_ids)
                                    | Q(pk__in=synthetic_swabs.values("sample_id")))
    samples._raw_delete(samples.db)
    left = Sample.objects.values("id")
    orphans = Swab.objects.exclude(sample_id__in=left)
    orphans._raw_delete(orphans.db)
    corrections = ResultCorrection.objects.exclude(sample_id__in=left)
    corrections._raw_delete(corrections.db)
    ResultImport.objects.filter(laboratory_id__in=labs).delete()
    ColumnMapping.objects.filter(laboratory_id__in=labs).delete()
    Campaign.objects.filter(pk__in=campaign_ids).delete()
    SamplingSite.objects.filter(place_id__lt=limit).update(place=None)
