"""Shared fixtures: the Tiền Giang units (2021 tree) loaded once, and staff of every role."""

import pytest

PROVINCE = "82"  # Tiền Giang
DISTRICT = "815"  # Thành phố Mỹ Tho
OTHER_DISTRICT = "816"  # Thị xã Gò Công


def _ensure_units():
    from lachan.geo.models import AdminUnit
    from lachan.geo.services import admin_units_load

    if not AdminUnit.objects.filter(tree="2021", code=PROVINCE).exists():
        admin_units_load(tree="2021", province_code=PROVINCE)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Fixtures create several users per test; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Per-process caches (lachan.core.caching) must not carry a rolled-back test's rows into the next."""
    from lachan.core.caching import caches_clear_all
    from lachan.core.policies import policy_stamp_reset

    caches_clear_all()
    policy_stamp_reset(checks=False)  # a test saving a version clears this process's caches itself
    yield
    caches_clear_all()


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Tests read messages in English (the msgids); the Vietnamese default is tested on its own
    (tests/test_i18n.py) and browsers ask for Vietnamese as a Vietnamese phone does."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _ensure_units()
        _SEEDED.extend(_rows_snapshot())
    _BLOCKER.append(django_db_blocker)


# What `migrate` seeded (policies, message templates…) and the units above, kept once per test database. A
# transactional test (transactional_db, live_server, django_db(transaction=True)) ends with a flush that empties
# every table: its rows are put back after it, so that no test depends on whether such a test ran before it in the
# same process — under pytest-xdist each worker runs its share of files in an order that pytest-django's
# "transactional tests last" cannot arrange.
_SEEDED: list = []
_BLOCKER: list = []


def _rows_snapshot() -> list:
    from django.apps import apps

    snapshot = []
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if opts.proxy or not opts.managed:
            continue
        fields = [f.attname for f in opts.concrete_fields]
        rows = list(model._base_manager.order_by().values(*fields))
        if rows:
            snapshot.append((model, rows))
    return snapshot


def _rows_restore(snapshot) -> None:
    """Tables the flush left empty get their rows back; those that the flush's post_migrate signal filled again
    (content types, permissions) are left as they are."""
    from django.db import transaction

    with transaction.atomic():  # foreign keys are checked at commit: any order of tables will do
        for model, rows in snapshot:
            if not model._base_manager.exists():
                model._base_manager.bulk_create([model(**row) for row in rows])


def _flushes(item) -> bool:
    """Whether pytest-django ends this test with a flush (it runs in a TransactionTestCase)."""
    names = getattr(item, "fixturenames", ())
    if {"transactional_db", "live_server", "django_db_reset_sequences"} & set(names):
        return True
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return False
    given = dict(zip(("transaction", "reset_sequences"), marker.args, strict=False)) | marker.kwargs
    return bool(given.get("transaction") or given.get("reset_sequences"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    # After a worker's last test the session's fixtures are gone with the test database: nothing to put back, and
    # the connection would now reach the database the settings name (PostgreSQL: refused; SQLite: a real file).
    if _SEEDED and nextitem is not None and _flushes(item):
        with _BLOCKER[0].unblock():
            _rows_restore(_SEEDED)
    return result


@pytest.fixture
def units(db):
    """Province, two districts and a commune in each, as a namespace."""
    from types import SimpleNamespace

    from lachan.geo.models import AdminUnit

    _ensure_units()  # transactional tests flush the database
    province = AdminUnit.objects.get(tree="2021", code=PROVINCE)
    district = AdminUnit.objects.get(tree="2021", code=DISTRICT)
    other_district = AdminUnit.objects.get(tree="2021", code=OTHER_DISTRICT)
    communes = list(district.children.order_by("code"))
    other_communes = list(other_district.children.order_by("code"))
    return SimpleNamespace(
        province=province, district=district, other_district=other_district,
        commune=communes[0], commune2=communes[1], other_commune=other_communes[0],
    )


@pytest.fixture
def make_user(db):
    """make_user(role, unit=…, place=…, **fields): a user of that role and jurisdiction, named `<role><n>` unless
    `username` is given (lachan/accounts/tests/factories.py UserFactory)."""
    from lachan.accounts.tests.factories import PASSWORD, UserFactory

    counter = {"n": 0}

    def make(role, *, unit=None, place=None, password=PASSWORD, **extra):
        counter["n"] += 1
        return UserFactory(
            username=extra.pop("username", f"{role}{counter['n']}"), role=role,
            jurisdiction_unit=unit, jurisdiction_place=place, password=password, **extra,
        )

    return make


@pytest.fixture
def staff(units, make_user):
    """One user per geographic role: province admin, district officer (Mỹ Tho), commune station."""
    from types import SimpleNamespace

    from lachan.accounts.roles import Role

    return SimpleNamespace(
        province=make_user(Role.PROVINCE_ADMIN, unit=units.province, username="province"),
        epidemiologist=make_user(Role.EPIDEMIOLOGIST, unit=units.province, username="cdc"),
        district=make_user(Role.DISTRICT_OFFICER, unit=units.district, username="district"),
        commune=make_user(Role.COMMUNE_STATION, unit=units.commune, username="commune"),
        other_commune=make_user(Role.COMMUNE_STATION, unit=units.other_commune, username="othercommune"),
    )


@pytest.fixture
def token_for(db):
    """API headers for a user: token_for(user) → {"HTTP_AUTHORIZATION": "Bearer …"}."""
    from lachan.accounts.models import ApiToken

    def make(user):
        raw = ApiToken.generate()
        ApiToken.objects.create(user=user, name="test", prefix=raw[:8], key_hash=ApiToken.hash(raw))
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture
def wards(units):
    """Two communes of one name (issue 12 item 20): Phường 1 of TP. Mỹ Tho (units.district) and of TP. Gò Công
    (units.other_district), parents selected."""
    from types import SimpleNamespace

    from lachan.geo.models import AdminUnit

    found = {w.parent_id: w for w in AdminUnit.objects.filter(
        tree="2021", level=3, name="Phường 1", parent__in=[units.district, units.other_district]).select_related("parent")}
    return SimpleNamespace(my_tho=found[units.district.pk], go_cong=found[units.other_district.pk])
