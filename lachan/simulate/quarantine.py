"""Quarantine demo data: a province exercise version of the quarantine policy in force today (the last national
version, 04/2022, quarantines no contacts), a quarantine facility and an isolation facility of the demo district
with rooms, the demo's traced cases isolated and their F1s quarantined (a few of them in the facility), and one
order due for release today, so the order pages have something to show. Idempotent: a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.accounts.models import User
from lachan.cases.models import ACTIVE_STATUSES, Case
from lachan.core.errors import DomainError
from lachan.core.ids import uuid7
from lachan.core.models import Policy
from lachan.core.policies import policy_supersede
from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind
from lachan.people.models import Person
from lachan.quarantine import orders
from lachan.quarantine.models import Facility, FacilityRoom, Order, OrderStatus
from lachan.quarantine.orders.services import _order_move
from lachan.quarantine.policy import POLICY_KIND
from lachan.workflows.quarantine_orders import case_contacts_quarantine, case_isolate

from .province import SYNTH_EPOCH_MS

ACTOR = system_actor("demo.quarantine")  # who the generated records are by, in the audit trail

EXERCISE_VERSION = "Diễn tập tỉnh"  # shown on every order: Vietnamese only
EXERCISE_VERSIONS_BEFORE = ("Diễn tập tỉnh (province exercise)",)  # the name a demo made before


def _regime(days, tests, *, count_from="exposure"):
    return {"days": days, "facility_days": 0, "test_days": tests, "count_from": count_from}


EXERCISE_RULES = {  # the 12/2021 rules (11042/BYT-DP), as a province would re-adopt them for an exercise
    "quarantine": {"none": _regime(14, [1, 7, 14]), "vaccinated": _regime(7, [1, 7]),
                   "recovered": _regime(7, [1, 7])},
    "isolation": {"none": _regime(10, [10], count_from="start"), "vaccinated": _regime(7, [7], count_from="start"),
                  "recovered": _regime(7, [7], count_from="start")},
    "geofence_radius_m": 50, "silent_after_minutes": 60, "report_by": "20:00", "fever_from_c": 38.0, "spo2_below": 96,
}

FACILITIES = [  # (name, for_isolation, rooms: (name, beds))
    ("Khu cách ly tập trung Trường Quân sự tỉnh", False, [("A1", 4), ("A2", 4), ("A3", 6), ("B1", 8)]),
    ("Bệnh viện dã chiến số 1", True, [("Khoa 1", 6), ("Khoa 2", 6), ("Khoa 3", 10)]),
]


def exercise_policy(*, log) -> Policy | None:
    """A province version in force from 30 days ago, unless one already quarantines contacts today."""
    today = timezone.localdate()
    existing = Policy.objects.filter(kind=POLICY_KIND,
                                     version__in=(EXERCISE_VERSION, *EXERCISE_VERSIONS_BEFORE)).first()
    if existing is not None:
        return existing
    try:
        policy = policy_supersede(kind=POLICY_KIND, version=EXERCISE_VERSION,
                                  valid_from=today - timedelta(days=30), rules=EXERCISE_RULES,
                                  source="Tập dượt của tỉnh: áp dụng lại Công văn 11042/BYT-DP")
    except DomainError as exc:
        log(f"Quarantine demo: no exercise policy ({exc.message}).")
        return None
    log(f"Quarantine policy «{policy.version}» in force from {policy.valid_from:%d/%m/%Y}.")
    return policy


def _synthetic_id(n: int):
    """An id in the synthetic range (lachan.simulate.province), so that the demo facilities go with the province
    it is generated again with (synthetic_delete) and do not count as real data."""
    return uuid7(unix_ms=SYNTH_EPOCH_MS + 9_000_000_000 + n, rand=bytes(9) + bytes([n]))


def _facilities(district: AdminUnit) -> list[Facility]:
    commune = (AdminUnit.objects.filter(level=AdminLevel.COMMUNE, path__startswith=district.path + "/")
               .order_by("code").first())
    made = []
    for n, (name, isolation, rooms) in enumerate(FACILITIES):
        facility = Facility.objects.filter(pk=_synthetic_id(10 * n)).select_related("place").first()
        if facility is None:
            place = Place.objects.create(id=_synthetic_id(10 * n), kind=PlaceKind.QUARANTINE_FACILITY, name=name,
                                         commune=commune, latitude=commune.latitude, longitude=commune.longitude,
                                         address="Quốc lộ 1A" if not isolation else "Đường Hùng Vương")
            facility = Facility.objects.create(id=_synthetic_id(10 * n), place=place, for_isolation=isolation)
            for k, (room, beds) in enumerate(rooms, start=1):
                FacilityRoom.objects.create(id=_synthetic_id(10 * n + k), facility=facility, name=room, beds=beds)
        made.append(facility)
    return made


@transaction.atomic
def quarantine_demo(*, log=None) -> int:
    """Returns the number of orders made (0 when the demo already has its orders)."""
    log = log or (lambda msg: None)
    if exercise_policy(log=log) is None:
        return 0
    station = User.objects.filter(username="district").select_related("jurisdiction_unit").first() or \
        User.objects.filter(username="commune").select_related("jurisdiction_unit").first()
    area = station.jurisdiction_unit if station is not None and station.jurisdiction_unit else None
    if area is None:
        return 0
    camp, ward = _facilities(area)
    if Order.objects.exists():
        return 0
    made = 0
    cases = list(Case.objects.filter(status__in=ACTIVE_STATUSES).select_related("person").order_by("confirmed_at")[:10])
    for case in cases:
        try:
            case_isolate(case=case, by=ACTOR)
            made += 1
            done = case_contacts_quarantine(case=case, by=ACTOR)
        except DomainError as exc:
            log(f"Quarantine demo: case {case.code}: {exc.message}")
            continue
        made += len(done.result.created)
    # Two F1s moved to the facility (the first rooms), one of the commune released today after 14 days.
    for order, room in zip(Order.objects.filter(kind="quarantine", status=OrderStatus.ACTIVE).order_by("code")[:2],
                           camp.rooms.order_by("name"), strict=False):
        _order_move(order=order, setting="facility", facility=camp, room=room, reason="Nhà chật, nhiều người",
                            by=ACTOR)
    today = timezone.localdate()
    commune = station.jurisdiction_unit if station.jurisdiction_unit.level == AdminLevel.COMMUNE else None
    people = Person.objects.active().filter(quarantine_orders__isnull=True, cases__isnull=True)
    if commune is None:
        people = people.filter(commune__path__startswith=area.path + "/")
    else:
        people = people.filter(commune=commune)
    for person, ago in zip(people.order_by("id")[:2], (13, 5), strict=False):
        orders.order_create(person=person, kind="quarantine", setting="home", starts_on=today - timedelta(days=ago),
                              exposed_on=today - timedelta(days=ago), contact_tier=1, by=ACTOR)
        made += 1
    log(f"Quarantine demo: {made} orders, facilities «{camp}» and «{ward}».")
    return made
