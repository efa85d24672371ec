import pytest

from lachan.accounts.models import User
from lachan.accounts.roles import Role
from lachan.enterprises.models import Worker
from lachan.geo.models import AdminLevel, PlaceKind
from lachan.people.models import Person
from lachan.simulate.demo import DEMO_PASSWORD, demo_setup
from lachan.simulate.models import SyntheticRun


def setup(**kwargs):
    return demo_setup(people=kwargs.pop("people", 1500), seed=kwargs.pop("seed", 21), tree="2021", province_code="82", **kwargs)


@pytest.mark.django_db
def test_demo_setup_creates_a_login_per_role_with_its_jurisdiction(units, fast_hasher):
    logins = setup()
    users = {u.role: u for u in User.objects.all()}
    assert set(users) == set(Role.values)
    for role in (Role.PROVINCE_ADMIN, Role.EPIDEMIOLOGIST, Role.IOC_OPERATOR):
        assert users[role].jurisdiction_unit == units.province
    assert users[Role.DISTRICT_OFFICER].jurisdiction_unit.code == "815"
    commune = users[Role.COMMUNE_STATION].jurisdiction_unit
    assert commune.level == AdminLevel.COMMUNE and commune.parent.code == "815"
    assert users[Role.LAB_STAFF].jurisdiction_place.kind == PlaceKind.LABORATORY
    enterprise = users[Role.ENTERPRISE_OFFICER].jurisdiction_place
    assert enterprise.kind == PlaceKind.ENTERPRISE and Worker.objects.filter(enterprise__place=enterprise).exists()
    assert users[Role.VENUE_OWNER].jurisdiction_place.kind == PlaceKind.VENUE
    assert users[Role.CHECKPOINT_OFFICER].jurisdiction_place.kind == PlaceKind.CHECKPOINT
    citizen = users[Role.CITIZEN]
    person = Person.objects.get(account=citizen)
    assert citizen.username == person.phone == citizen.phone and citizen.jurisdiction_unit is None
    for user in users.values():
        assert user.check_password(DEMO_PASSWORD) and user.is_active
    assert {x.username for x in logins} == {u.username for u in users.values()}
    # A working province's day: every demo case traced, so the operations centre shows no case as untraced.
    from lachan.cases.models import Case
    from lachan.situation.feed import operations_feed

    assert Case.objects.exists() and not Case.objects.filter(tracing_runs__isnull=True).exists()
    feed = operations_feed(user=users[Role.PROVINCE_ADMIN], limit=200)
    assert feed and "tracing_not_run" not in {item.kind for item in feed}


@pytest.mark.django_db
def test_demo_setup_is_idempotent(units, fast_hasher):
    first = setup()
    people = list(Person.objects.order_by("id").values_list("id", flat=True))
    second = setup()
    assert first == second
    assert list(Person.objects.order_by("id").values_list("id", flat=True)) == people
    assert User.objects.count() == len(Role.values) and SyntheticRun.objects.count() == 1
    # Another size replaces the province and re-binds the accounts.
    third = setup(people=1000, seed=22)
    assert Person.objects.count() == 1000 and SyntheticRun.objects.get().seed == 22
    assert User.objects.filter(is_active=True).count() == len(Role.values) == len(third)
    assert User.objects.filter(role=Role.CITIZEN).count() == 1
    assert Person.objects.filter(account__isnull=False).count() == 1


@pytest.mark.django_db
def test_demo_setup_command_prints_the_logins(units, fast_hasher, capsys):
    from django.core.management import call_command

    call_command("demo_setup", "--people", "800", "--seed", "4", "--tree", "2021", "--province", "82")
    out = capsys.readouterr().out
    for username in ("province", "cdc", "ioc", "district", "commune", "lab", "enterprise", "venue", "checkpoint"):
        assert f"\n{username} " in out
    assert DEMO_PASSWORD in out and "Thành phố Mỹ Tho" in out
