"""The demo: the synthetic province plus one log-in per role, each bound to its jurisdiction."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import get_hasher, make_password
from django.db import transaction
from django.db.models import Count

from lachan.accounts.actors import system_actor
from lachan.accounts.models import User
from lachan.accounts.roles import Role
from lachan.enterprises.models import Enterprise
from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind
from lachan.geo.services import admin_unit_boundaries_approximate, admin_units_load
from lachan.people.models import Person

from .labs import labs_demo
from .province import SYNTH_ID_LIMIT, province_generate, synthetic_exists
from .quarantine import quarantine_demo
from .risk_demo import risk_demo

ACTOR = system_actor("demo_setup")  # who the generated records are by, in the audit trail

DEMO_PASSWORD = "demo12345!"
DEMO_EMAIL_DOMAIN = "demo.lachan.invalid"  # marks the demo accounts (never a real mailbox)
DEMO_DISTRICT = {"82": "815"}  # Thành phố Mỹ Tho


@dataclass
class DemoLogin:
    username: str
    role: str
    jurisdiction: str
    password: str = DEMO_PASSWORD


def demo_setup(*, people: int, seed: int, tree: str | None = None, province_code: str | None = None, log=None) -> list[DemoLogin]:
    """Load the units, generate the province unless the same one is there, create the demo accounts.
    Idempotent: a second run changes nothing and returns the same log-ins."""
    tree = tree or settings.LACHAN_ADMIN_TREE
    province_code = province_code or settings.LACHAN_PROVINCE_CODE
    log = log or (lambda msg: None)
    if not AdminUnit.objects.filter(tree=tree, code=province_code).exists():
        log("Loading the administrative units…")
        admin_units_load(tree=tree, province_code=province_code)
    from .models import SyntheticRun

    run = SyntheticRun.objects.filter(tree=tree, province_code=province_code).first()
    same = (
        run is not None and run.seed == seed and run.people == people
        and Person.objects.filter(id__lt=SYNTH_ID_LIMIT).count() == run.counts.get("people")
    )
    if same:
        log(f"The demo province (seed {seed}, {people:,} people) is already generated.")
    else:
        log(f"Generating the demo province (seed {seed}, {people:,} people)…")
        report = province_generate(
            people=people, seed=seed, tree=tree, province_code=province_code, fresh=synthetic_exists(), log=log,
        )
        log(f"Generated in {report.seconds:.1f} s.")
        _demo_epidemic(seed=seed, log=log)
    province = AdminUnit.objects.get(tree=tree, code=province_code)
    drawn = admin_unit_boundaries_approximate(unit=province)  # no official file in a demo: areas around the centres
    if drawn:
        log(f"Approximate areas drawn for {drawn} communes (replaced by an official boundary import).")
    logins = _accounts(tree=tree, province_code=province_code)
    labs_demo(log=log)  # after the accounts: it samples as the commune station, for the lab account's laboratory
    quarantine_demo(log=log)  # the traced cases isolated, their F1s quarantined, under a province exercise policy
    risk_demo(seed=seed, log=log)  # four weeks of cases, the levels of the last 14 days, a lockdown area
    return logins


DEMO_CHECKIN_DAYS = 14
DEMO_CASES = 3


def _demo_epidemic(*, seed: int, log) -> None:
    """Two weeks of check-ins up to yesterday and a few confirmed cases, traced, so the demo has
    contacts, call lists and a transmission chain to show. Dated relative to today: the daily job
    deletes check-ins older than the tracing horizon."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from lachan.cases.models import CaseOrigin
    from lachan.venues.models import CheckIn, VenueSize
    from lachan.workflows.case_confirmation import case_confirm_and_trace

    from .checkins import checkins_generate

    today = timezone.localdate()
    report = checkins_generate(seed=seed, days=DEMO_CHECKIN_DAYS, end=today, fresh=True, log=log)
    log(f"{report.checkins:,} check-ins over {DEMO_CHECKIN_DAYS} days, {report.encounters:,} proximity encounters.")
    recent = timezone.now() - timedelta(days=4)
    candidates = sorted(set(
        CheckIn.objects.filter(checked_in_at__gte=recent, venue__size=VenueSize.SMALL_ENCLOSED)
        .values_list("person_id", flat=True)[:2000]
    ))
    rng = random.Random(seed)
    for person_id in rng.sample(candidates, min(DEMO_CASES, len(candidates))):
        confirmed = case_confirm_and_trace(
            person=Person.objects.get(pk=person_id), onset_date=today - timedelta(days=3),
            sample_date=today - timedelta(days=1), origin=CaseOrigin.COMMUNITY, by=ACTOR,
        )
        counts = ", ".join(f"{k}: {v}" for k, v in confirmed.run.counts.items())
        log(f"Demo case {confirmed.case.code} confirmed and traced ({counts}).")


@transaction.atomic
def _accounts(*, tree: str, province_code: str) -> list[DemoLogin]:
    province = AdminUnit.objects.get(tree=tree, code=province_code, level=AdminLevel.PROVINCE)
    district = None
    code = DEMO_DISTRICT.get(province_code)
    if code:
        district = AdminUnit.objects.filter(tree=tree, code=code, level=AdminLevel.DISTRICT).first()
    if district is None:
        district = AdminUnit.objects.filter(parent=province, level=AdminLevel.DISTRICT).order_by("code").first()
    area = district or province
    # The commune of the area with the most people (the generated population).
    commune = (
        AdminUnit.objects.filter(level=AdminLevel.COMMUNE, path__startswith=area.path + "/")
        .order_by("-population", "code").first()
    )
    synthetic = Place.objects.filter(id__lt=SYNTH_ID_LIMIT)
    lab = synthetic.filter(kind=PlaceKind.LABORATORY).order_by("id").first()
    enterprise = (
        Enterprise.objects.filter(place__in=synthetic).annotate(n=Count("workers")).filter(n__gt=0)
        .order_by("-n", "id").first()
    )
    venue = synthetic.filter(kind=PlaceKind.VENUE).order_by("id").first()
    checkpoint = synthetic.filter(kind=PlaceKind.CHECKPOINT).order_by("id").first()

    specs: list[tuple[str, str, AdminUnit | None, Place | None]] = [
        ("province", Role.PROVINCE_ADMIN, province, None),
        ("cdc", Role.EPIDEMIOLOGIST, province, None),
        ("ioc", Role.IOC_OPERATOR, province, None),
        ("district", Role.DISTRICT_OFFICER, district, None),
        ("commune", Role.COMMUNE_STATION, commune, None),
        ("lab", Role.LAB_STAFF, None, lab),
        ("enterprise", Role.ENTERPRISE_OFFICER, None, enterprise.place if enterprise else None),
        ("venue", Role.VENUE_OWNER, None, venue),
        ("checkpoint", Role.CHECKPOINT_OFFICER, None, checkpoint),
    ]
    logins = []
    for username, role, unit, place in specs:
        if unit is None and place is None:
            continue  # e.g. no districts on the two-level tree
        user = _account(username, role=role, unit=unit, place=place)
        logins.append(DemoLogin(user.username, Role(role).label, str(unit or place)))
    citizen = _citizen(commune)
    if citizen:
        logins.append(DemoLogin(citizen.username, Role(Role.CITIZEN).label, citizen.person.full_name))
    return logins


def _account(username: str, *, role: str, unit=None, place=None, phone: str = "") -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username)
        user.password = _demo_hash()
    user.role = role
    user.jurisdiction_unit = unit
    user.jurisdiction_place = place
    user.email = f"{username}@{DEMO_EMAIL_DOMAIN}"
    user.phone = phone
    user.is_active = True
    user.is_staff = role == Role.PROVINCE_ADMIN
    user.save()
    return user


_hash_cache: dict[str, str] = {}


def _demo_hash() -> str:
    """One hash for the published demo password: hashing it per account would cost seconds. Kept per hashing
    algorithm, so that a hash made under other settings (a test's) is never given to an account."""
    algorithm = get_hasher("default").algorithm
    if algorithm not in _hash_cache:
        _hash_cache[algorithm] = make_password(DEMO_PASSWORD)
    return _hash_cache[algorithm]


def _citizen(commune: AdminUnit | None) -> User | None:
    """A generated adult with a phone of their own, linked to a citizen account named by that phone."""
    linked = Person.objects.filter(account__email__endswith="@" + DEMO_EMAIL_DOMAIN, id__lt=SYNTH_ID_LIMIT).first()
    if linked is None:
        people = Person.objects.filter(id__lt=SYNTH_ID_LIMIT, account__isnull=True, birth_year__lte=1995).exclude(phone="")
        if commune is not None:
            people = people.filter(commune=commune)
        for person in people.order_by("id")[:50]:
            if not Person.objects.filter(phone=person.phone).exclude(pk=person.pk).exists() and not User.objects.filter(
                username=person.phone
            ).exclude(email__endswith="@" + DEMO_EMAIL_DOMAIN).exists():
                linked = person
                break
    if linked is None:
        return None
    # Citizen accounts left from an earlier province (its people were replaced) go.
    User.objects.filter(role=Role.CITIZEN, email__endswith="@" + DEMO_EMAIL_DOMAIN, person__isnull=True).exclude(
        username=linked.phone
    ).delete()
    user = _account(linked.phone, role=Role.CITIZEN, phone=linked.phone)
    if linked.account_id != user.id:
        Person.objects.filter(pk=linked.pk).update(account=user)
    user.refresh_from_db()
    return user
