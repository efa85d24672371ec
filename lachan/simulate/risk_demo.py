"""Risk and map demo data: four weeks of community cases concentrated in a few communes of the demo district (so the
levels differ), the province's vaccination coverage entered a month ago with two communes below it, the levels of
the last 14 days computed under the policy in force, and a lockdown area around the commune with the most cases.
Dated relative to today. Idempotent: a second run adds nothing (the lockdown area marks it done)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.cases import services as case_services
from lachan.cases.models import CaseOrigin
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.people.models import Person
from lachan.risk.lockdowns import lockdown_area_create
from lachan.risk.models import LockdownArea, RiskInput
from lachan.tracing.engine import trace_cases
from lachan.tracing.models import CallStatus, Contact, Tier
from lachan.workflows.risk_levels import risk_levels_compute

from .province import SYNTH_ID_LIMIT

ACTOR = system_actor("demo.risk")  # who the generated records are by, in the audit trail

DEMO_LOCKDOWN = "Khu phong tỏa Ấp Bắc (demo)"
# (commune index in the demo district, community cases over 28 days, share of them in the last week)
HOTSPOTS = [(0, 70, 0.85), (1, 30, 0.6), (2, 9, 0.3), (3, 4, 0.5)]


def _cases(rng: random.Random, district_communes: list[AdminUnit], today) -> int:
    confirmed = []
    for index, total, last_week_share in HOTSPOTS:
        if index >= len(district_communes):
            continue
        commune = district_communes[index]
        people = list(Person.objects.filter(commune=commune, id__lt=SYNTH_ID_LIMIT, cases__isnull=True)
                      .order_by("id")[: total * 3])
        for n, person in enumerate(rng.sample(people, min(total, len(people)))):
            days_ago = rng.randrange(1, 8) if n < total * last_week_share else rng.randrange(8, 29)
            day = today - timedelta(days=days_ago)
            at = timezone.make_aware(datetime.combine(day, time(rng.randrange(8, 18), rng.randrange(60))))
            confirmed.append(case_services.case_confirm(
                person=person, onset_date=day - timedelta(days=2), sample_date=day,
                origin=CaseOrigin.COMMUNITY if rng.random() < 0.8 else CaseOrigin.IN_QUARANTINE,
                confirmed_at=at, by=ACTOR))
    _traced_and_called(confirmed)
    return len(confirmed)


def _traced_and_called(cases) -> None:
    """As a working province would have it: every case traced, and the F1s of cases confirmed before yesterday
    called; so the operations centre's feed shows what is really overdue, not every demo case."""
    if not cases:
        return
    trace_cases(cases=cases, by=ACTOR)
    called_before = timezone.now() - timedelta(days=1)
    (Contact.objects.filter(index_case__in=[c.pk for c in cases if c.confirmed_at < called_before], tier=Tier.F1,
                            call_status=CallStatus.TO_CALL)
     .update(call_status=CallStatus.REACHED, called_at=timezone.now()))


def risk_demo(*, seed: int = 2021, log=None) -> None:
    log = log or (lambda msg: None)
    if LockdownArea.objects.filter(name=DEMO_LOCKDOWN).exists():
        return
    tree, code = settings.LACHAN_ADMIN_TREE, settings.LACHAN_PROVINCE_CODE
    province = AdminUnit.objects.get(tree=tree, code=code)
    communes = list(AdminUnit.objects.filter(tree=tree, level=AdminLevel.COMMUNE, path__startswith=province.path + "/")
                    .order_by("path"))
    district = AdminUnit.objects.filter(tree=tree, level=AdminLevel.DISTRICT, path__startswith=province.path + "/") \
        .order_by("path").first()
    district_communes = [c for c in communes if district and c.path.startswith(district.path + "/")]
    rng = random.Random(seed)
    today = timezone.localdate()
    with transaction.atomic():
        confirmed = _cases(rng, district_communes, today)
        as_of = today - timedelta(days=30)
        for kind, value in (("vax_adults_1dose", 88.0), ("vax_adults_full", 79.0), ("vax_elderly_full", 92.0),
                            ("capacity_met", 1.0)):
            RiskInput.objects.update_or_create(unit=province, kind=kind, as_of=as_of,
                                               defaults={"value": value, "note": "demo"})
        for commune in district_communes[1:3]:  # two communes behind on vaccination
            for kind in ("vax_adults_1dose", "vax_adults_full"):
                RiskInput.objects.update_or_create(unit=commune, kind=kind, as_of=as_of,
                                                   defaults={"value": 61.0, "note": "demo"})
    for days_ago in range(14, 0, -1):
        risk_levels_compute(on=today - days_ago * timedelta(days=1), tree=tree, by=ACTOR)
    if district_communes and district_communes[0].latitude is not None:
        hot = district_communes[0]
        half = 0.0025
        ring = [[hot.longitude - half, hot.latitude - half], [hot.longitude + half, hot.latitude - half],
                [hot.longitude + half, hot.latitude + half], [hot.longitude - half, hot.latitude + half]]
        lockdown_area_create(name=DEMO_LOCKDOWN, geometry={"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                             starts_on=today - timedelta(days=5), ends_on=today + timedelta(days=9), residents=1850,
                             reason="Chùm ca bệnh trong cộng đồng (demo)", by=ACTOR)
    log(f"Risk levels of the last 14 days computed ({confirmed} demo cases over 4 weeks); a lockdown area drawn.")
