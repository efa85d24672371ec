"""Every role logs in and sees only its own jurisdiction (issue 2, "Done when")."""

import pytest
from django.urls import reverse

from lachan.accounts.roles import Role
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def province(units, make_user):
    """Three people in three communes (two districts), an enterprise employing one of them."""
    from types import SimpleNamespace

    from lachan.enterprises.models import Enterprise, Worker
    from lachan.geo.models import Place
    from lachan.people.models import Person

    def person(name, commune, **extra):
        extra.setdefault("sex", "M")
        return Person.objects.create(full_name=name, commune=commune, **extra)

    an = person("Nguyễn Văn An", units.commune, phone="0912345678")
    binh = person("Trần Thị Bình", units.commune2, sex="F")
    chau = person("Lê Minh Châu", units.other_commune)
    citizen_person = person("Phạm Thị Dung", units.other_commune, sex="F", phone="0987000111")
    factory = Place.objects.create(kind="enterprise", name="Công ty May Tiền Giang", commune=units.commune2)
    Worker.objects.create(enterprise=Enterprise.objects.create(place=factory), person=binh)
    lab = Place.objects.create(kind="laboratory", name="CDC Tiền Giang", commune=units.commune)
    checkpoint = Place.objects.create(kind="checkpoint", name="Chốt QL1 Tân Hương", commune=units.commune)
    venue = Place.objects.create(kind="venue", name="Chợ Mỹ Tho", commune=units.commune)
    accounts = {
        "province": make_user(Role.PROVINCE_ADMIN, unit=units.province, username="province"),
        "ioc": make_user(Role.IOC_OPERATOR, unit=units.province, username="ioc"),
        "district": make_user(Role.DISTRICT_OFFICER, unit=units.district, username="district"),
        "commune": make_user(Role.COMMUNE_STATION, unit=units.commune, username="commune"),
        "enterprise": make_user(Role.ENTERPRISE_OFFICER, place=factory, username="factory"),
        "lab": make_user(Role.LAB_STAFF, place=lab, username="lab"),
        "checkpoint": make_user(Role.CHECKPOINT_OFFICER, place=checkpoint, username="checkpoint"),
        "venue": make_user(Role.VENUE_OWNER, place=venue, username="venue"),
        "citizen": make_user(Role.CITIZEN, username="0987000111", phone="0987000111"),
    }
    citizen_person.account = accounts["citizen"]
    citizen_person.save()
    return SimpleNamespace(an=an, binh=binh, chau=chau, dung=citizen_person, **accounts)


def listed_names(page) -> list[str]:
    page.goto("/people/")
    table = page.locator("[data-testid=people-table] tbody tr td:first-child")
    return sorted(table.all_inner_texts()) if table.count() else []


ALL = ["Lê Minh Châu", "Nguyễn Văn An", "Phạm Thị Dung", "Trần Thị Bình"]


@pytest.mark.parametrize("username, expected", [
    ("province", ALL),
    ("ioc", ALL),
    ("district", ["Nguyễn Văn An", "Trần Thị Bình"]),  # Thành phố Mỹ Tho only
    ("commune", ["Nguyễn Văn An"]),
    ("factory", ["Trần Thị Bình"]),  # the enterprise's own workers
    ("lab", []),
    ("checkpoint", []),
])
def test_each_staff_role_sees_only_its_jurisdiction(page, province, username, expected):
    login(page, username)
    assert listed_names(page) == expected
    screenshot(page, f"people-as-{username}")


def test_a_person_outside_the_jurisdiction_is_not_found(page, province):
    login(page, "commune")
    response = page.goto(f"/people/{province.chau.pk}/")
    assert response.status == 404
    response = page.goto(f"/people/{province.an.pk}/")
    assert response.status == 200
    assert "Nguyễn Văn An" in page.locator("h1").inner_text()
    screenshot(page, "person-detail")


def test_search_without_diacritics_in_the_browser(page, province):
    login(page, "province")
    page.goto("/people/")
    page.fill("input[name=q]", "tran thi binh")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=people-table] tbody tr").all_inner_texts()[0].startswith("Trần Thị Bình")


def test_venue_owner_has_no_access_to_people(page, province):
    login(page, "venue")
    assert page.locator("nav.sidenav a[href='/capabilities/people/']").count() == 0
    response = page.goto("/people/")
    assert response.status in (403, 404)


def test_citizen_sees_only_their_own_record(phone_page, province):
    login(phone_page, "0987 000 111")
    assert phone_page.url.endswith(reverse("people:mine"))
    assert "Phạm Thị Dung" in phone_page.content()
    assert "Nguyễn Văn An" not in phone_page.content()
    screenshot(phone_page, "citizen-mine")
    # Staff pages send a citizen back to their own record, never to someone else's.
    for url in ("/people/", f"/people/{province.an.pk}/"):
        phone_page.goto(url)
        assert phone_page.url.endswith(reverse("people:mine"))
        assert "Nguyễn Văn An" not in phone_page.content()
