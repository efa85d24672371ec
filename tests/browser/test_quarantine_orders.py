"""Quarantine orders (issue 5) in the browser: a district officer quarantines a case's F1s from its tracing report,
moves one of them to a facility room, makes an order by hand from the person search, and releases an order whose
last day has come, then prints its completion certificate (PDF, rendered to PNG to look at)."""

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import ARTIFACTS, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def traced(units, staff):
    from lachan.cases.services import case_confirm
    from lachan.core.models import Policy
    from lachan.core.policies import policy_create, policy_supersede
    from lachan.people.models import Person
    from lachan.quarantine import facilities as facility_services
    from lachan.quarantine import orders as order_services
    from lachan.quarantine.tests.orders_fixtures import EXERCISE_RULES
    from lachan.tracing.models import Contact

    today = timezone.localdate()
    # A transactional test's database is flushed after it: the seeded versions may be gone.
    add = policy_supersede if Policy.objects.filter(kind="quarantine", valid_to__isnull=True).exists() else (
        lambda **kw: policy_create(valid_to=None, **kw))
    add(kind="quarantine", version="Diễn tập Tiền Giang", valid_from=today - timedelta(days=60), rules=EXERCISE_RULES,
        source="exercise")
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Võ Thị Em", "Hồ Văn Phúc"]
    people = [Person.objects.create(full_name=name, commune=units.commune, birth_year=1970 + 5 * n,
                                    national_id=f"08209{n:07d}", phone=f"090800{n:04d}", address_line=f"{n + 1} Lê Lợi")
              for n, name in enumerate(names)]
    case = case_confirm(person=people[0], onset_date=None, sample_date=today - timedelta(days=1), origin="community",
                        by=staff.province)
    now = timezone.now()
    for n, person in enumerate(people[1:4], start=1):
        Contact.objects.create(index_case=case, person=person, tier=1, exposed_at=now - timedelta(days=n),
                               commune=units.commune)
    camp = facility_services.facility_create(name="Khu cách ly Trường Quân sự", commune=units.commune, address="Quốc lộ 1",
                                    by=staff.district)
    facility_services.room_create(facility=camp, name="A1", beds=2, by=staff.district)
    # Someone whose 14 days end today: to be released.
    due = order_services.order_create(person=people[5], kind="quarantine", setting="home", starts_on=today - timedelta(days=13),
                                exposed_on=today - timedelta(days=13), contact_tier=1, by=staff.district)
    return case, people, camp, due


def test_an_order_from_the_tracing_report_to_release(page, traced):
    case, people, camp, due = traced
    from lachan.quarantine.models import Order

    login(page, "district")
    page.goto(f"/tracing/cases/{case.pk}/")
    page.click("[data-testid=quarantine-f1]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=to-order]").inner_text().strip() == "3"
    screenshot(page, "quarantine-f1-preview")
    page.click("[data-testid=quarantine-contacts]")
    page.wait_for_load_state("networkidle")
    assert "/tracing/cases/" in page.url
    assert Order.objects.filter(case=case, kind="quarantine").count() == 3

    # The list: the three new orders and the one due today.
    page.goto("/quarantine/")
    assert page.locator("[data-testid=order-row]").count() == 4
    screenshot(page, "quarantine-orders")

    # One F1 to the facility's room.
    order = Order.objects.get(person=people[1])
    page.goto(f"/quarantine/orders/{order.pk}/")
    assert "1" in page.locator("[data-testid=order-day]").inner_text()
    page.click("[data-testid=move]")
    page.select_option("#id_setting", "facility")
    room = camp.rooms.get(name="A1")
    assert "phòng A1 (còn trống 2/2" in page.locator(f"#id_room option[value='{room.pk}']").inner_text()
    page.select_option("#id_room", value=str(room.pk))
    page.fill("#id_reason", "Nhà chật")
    page.click("[data-testid=save-change]")
    page.wait_for_load_state("networkidle")
    assert "A1" in page.locator("[data-testid=order-facts]").inner_text()
    screenshot(page, "quarantine-order-moved")

    # An order by hand: the person found by name, vaccinated (7 days).
    page.goto("/quarantine/orders/new/")
    page.fill("[data-testid=person-search] input[name=q]", "vo thi em")
    page.click("[data-testid=find-person]")
    page.locator("[data-testid=candidates] a", has_text="Võ Thị Em").click()
    page.wait_for_load_state("networkidle")
    page.select_option("#id_immunity", "vaccinated")
    page.fill("#id_exposed_on", (timezone.localdate() - timedelta(days=1)).isoformat())
    screenshot(page, "quarantine-order-form")
    page.click("[data-testid=create-order]")
    page.wait_for_load_state("networkidle")
    made = Order.objects.get(person=people[4])
    assert page.url.endswith(f"/quarantine/orders/{made.pk}/")
    assert made.ends_on == timezone.localdate() + timedelta(days=5)
    assert page.locator("[data-testid=order-tests] tbody tr").count() == 2
    screenshot(page, "quarantine-order-detail")

    # Release: the day's list, ticked, then the certificate.
    page.goto("/quarantine/?due=today")
    assert page.locator("[data-testid=order-row]").count() == 1
    page.check(f"input[name=order][value='{due.pk}']")
    page.click("[data-testid=release-selected]")
    page.wait_for_load_state("networkidle")
    assert Order.objects.get(pk=due.pk).status == "released"
    page.goto(f"/quarantine/orders/{due.pk}/")
    assert page.locator("[data-testid=certificate-pdf]").count() == 1
    screenshot(page, "quarantine-order-released")
    for testid, name in (("certificate-pdf", "quarantine-certificate"), ("order-pdf", "quarantine-order")):
        pdf = page.request.get(page.locator(f"[data-testid={testid}]").get_attribute("href"))
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{name}.pdf").write_bytes(pdf.body())
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile",
                            str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / name)], check=True)
            text = subprocess.run(["pdftotext", str(ARTIFACTS / f"{name}.pdf"), "-"], capture_output=True, text=True,
                                  check=True).stdout
            assert due.code in text and "Hồ Văn Phúc" in text


def test_facilities_on_a_phone(phone_page, traced):
    _case, _people, camp, _due = traced
    page = phone_page
    login(page, "district")
    page.goto("/quarantine/facilities/")
    assert page.locator("[data-testid=facility-row]").count() == 1
    screenshot(page, "quarantine-facilities-phone")
    page.goto(f"/quarantine/facilities/{camp.pk}/")
    assert page.locator("[data-testid=room-row]").count() == 1
    screenshot(page, "quarantine-facility-phone")


def test_an_order_dated_months_back_is_refused_on_the_form(page, traced):
    """Issue 12 item 19: the start date typed eleven months back is refused under the field, in Vietnamese."""
    _case, people, _camp, _due = traced
    from lachan.quarantine.models import Order

    login(page, "district")
    page.goto(f"/quarantine/orders/new/?person={people[4].pk}")
    page.fill("#id_starts_on", (timezone.localdate() - timedelta(days=335)).isoformat())
    page.click("[data-testid=create-order]")
    page.wait_for_load_state("networkidle")
    error = page.locator("#id_starts_on ~ .errorlist").inner_text()
    assert "30 ngày" in error and timezone.localdate().strftime("%d/%m/%Y") in error
    assert not Order.objects.filter(person=people[4]).exists()
    screenshot(page, "quarantine-order-months-back")
