"""Results online and the lab dashboard (issue 4): a citizen looks their result up on a phone — a wrong date of
birth first, then the right one — and downloads the slip; its QR's verification page; the province's lab
dashboard and the pool size advice."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def released(units, staff, make_user):
    from django.core.cache import cache

    from lachan.accounts.roles import Role
    from lachan.geo.models import Place, PlaceKind
    from lachan.labs import results
    from lachan.labs.models import Campaign, Laboratory, Result
    from lachan.labs.tests.results_fixtures import make_sample
    from lachan.people.models import Person

    cache.clear()
    # a transactional test starts from an emptied database: the result messages' templates seeded again
    from importlib import import_module

    from django.apps import apps

    import_module("lachan.labs.migrations.0003_seed_policy_and_templates").seed(apps, None)
    place = Place.objects.create(kind=PlaceKind.LABORATORY, name="CDC Tiền Giang", commune=units.commune)
    lab = Laboratory.objects.create(place=place)
    lab_user = make_user(Role.LAB_STAFF, place=place, username="labtech")
    campaign = Campaign.objects.create(name="Sàng lọc Mỹ Tho", kind="screening", unit=units.district,
                                       starts_on=timezone.localdate() - timedelta(days=10), laboratory=lab, pool_size=5)
    people = [Person.objects.create(full_name=name, commune=units.commune if n % 3 else units.commune2,
                                    birth_date=date(1940 + n, 1 + n % 12, 1 + n % 28), phone=f"09123{n:05d}",
                                    national_id=f"0820{n:08d}")
              for n, name in enumerate(["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung",
                                        "Võ Thị Em", "Hồ Văn Phúc", "Đặng Thị Giang", "Bùi Văn Hải"] * 8)]
    now = timezone.now()
    pools = []
    for n in range(0, 60, 5):  # twelve pools over the last ten days, released a day after collection
        collected = now - timedelta(days=n // 6, hours=30)
        sample = make_sample(f"82-211{n:03d}-000{n:03d}", people[n:n + 5], lab=lab, campaign=campaign,
                             status="received", collected_at=collected)
        results.result_enter(sample=sample, result=Result.POSITIVE if n in (10, 35) else Result.NEGATIVE,
                             by=lab_user, tested_at=collected + timedelta(hours=20),
                             now=min(now, collected + timedelta(hours=22)))
        pools.append(sample)
    for k, member in enumerate(list(pools[2].swabs.order_by("position"))[:3]):  # the positive pool's re-tests
        retest = make_sample(f"82-211122-00050{k}", [member.person], lab=lab, campaign=campaign, status="received",
                             collected_at=now - timedelta(hours=10))
        results.result_enter(sample=retest, result=Result.POSITIVE if k < 2 else Result.NEGATIVE, by=lab_user)
    waiting = make_sample("82-211122-999001", people[60:62], lab=lab, campaign=campaign, status="received",
                          collected_at=now - timedelta(hours=30))
    make_sample("82-211122-999002", people[62:64], lab=lab, campaign=campaign, status="collected",
                collected_at=now - timedelta(hours=5))
    return {"pools": pools, "people": people, "waiting": waiting}


def test_citizen_looks_up_a_result_on_a_phone(phone_page, released):
    page = phone_page
    person = released["people"][1]
    page.goto("/ket-qua/")
    assert page.locator("[data-testid=lookup-form]").is_visible()
    page.fill("#id_code", "82-211000-000000")
    page.fill("#id_birth_date", "02/02/1942")  # wrong by a year
    page.click("[data-testid=lookup-submit]")
    page.wait_for_load_state("networkidle")
    message = page.locator("[data-testid=lookup-message]")
    assert message.is_visible() and "82-211000-000000" in page.input_value("#id_code")
    wrong = message.inner_text()
    screenshot(page, "labs-lookup-wrong-birth-date-phone")
    # an unknown code answers the same
    page.fill("#id_code", "82-211999-000999")
    page.click("[data-testid=lookup-submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=lookup-message]").inner_text() == wrong
    # the right date of birth, typed as people do; the code too: no dashes, lower case (issue 12 item 7)
    page.fill("#id_code", "82211000 000000")
    page.fill("#id_birth_date", person.birth_date.strftime("%d/%m/%Y"))
    page.click("[data-testid=lookup-submit]")
    page.wait_for_load_state("networkidle")
    card = page.locator("[data-testid=result-card]")
    assert card.get_attribute("data-outcome") == "negative"
    assert page.locator("[data-testid=result-name]").inner_text().startswith("T*** T** B***")
    assert "Trần Thị Bình" not in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the result page scrolls sideways on a phone"
    screenshot(page, "labs-lookup-result-phone")
    with page.expect_download() as download:
        page.click("[data-testid=slip-link]")
    path = download.value.path()
    data = open(path, "rb").read()
    assert data.startswith(b"%PDF-") and download.value.suggested_filename == "ket-qua-82-211000-000000.pdf"
    # what the slip's QR code opens
    from lachan.labs.lookup import slip

    token = slip.slip_of(released["pools"][0].swabs.get(person=person).pk).token
    page.goto(f"/ket-qua/xac-minh/{token}")
    assert page.locator("[data-testid=verify-valid]").is_visible()
    screenshot(page, "labs-slip-verify-valid-phone")
    page.goto(f"/ket-qua/xac-minh/{token[:-3]}abc")
    assert page.locator("[data-testid=verify-invalid]").is_visible()
    screenshot(page, "labs-slip-verify-forged-phone")


def test_pool_member_told_to_be_retested(phone_page, released):
    page = phone_page
    person = released["pools"][2].swabs.order_by("position").first().person
    page.goto("/ket-qua/")
    page.fill("#id_code", released["pools"][2].code)
    page.fill("#id_birth_date", person.birth_date.isoformat())
    page.click("[data-testid=lookup-submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=result-card]").get_attribute("data-outcome") == "retest"
    screenshot(page, "labs-lookup-pool-positive-phone")


def test_lab_dashboard_and_advice(page, released):
    from tests.browser.conftest import login

    login(page, "province")
    page.goto("/labs/")
    page.click("[data-testid=dashboard-link]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=waiting-received]").inner_text() == "1"
    assert page.locator("[data-testid=waiting-collected]").inner_text() == "1"
    assert page.locator("[data-testid=turnaround-row]").count() == 1
    assert page.locator("[data-testid=commune-row]").count() == 2
    assert page.locator("[data-testid=positivity-chart] svg rect.bar").count() >= 1
    screenshot(page, "labs-dashboard")
    page.goto("/labs/advice/")
    assert page.locator("[data-testid=advice-row]").count() > 100  # every commune of the province
    screenshot(page, "labs-advice")
