"""Clusters (issue 3): an epidemiologist reads the cluster list and a cluster with its cases and curve, on
a desk and on a phone; an interview contact is entered on a case's interview page."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)
T0 = timezone.make_aware(datetime(2021, 8, 14, 10, 0))


@pytest.fixture
def outbreak(units, staff):
    """A supermarket cluster with eight cases over ten days (two recovered), a school cluster, and a
    closed household cluster."""
    from types import SimpleNamespace

    from lachan.cases import services
    from lachan.people.models import Person

    epi = staff.epidemiologist
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Võ Văn Em", "Hồ Thị Giang",
             "Đặng Văn Hải", "Bùi Thị Lan", "Ngô Văn Minh", "Dương Thị Ngọc"]
    cases = []
    for n, (name, day) in enumerate(zip(names, [0, 1, 1, 3, 4, 4, 4, 7, 2, 9], strict=True)):
        commune = [units.commune, units.commune2, units.other_commune][n % 3]
        at = T0 + timedelta(days=day, hours=n)
        cases.append(services.case_confirm(person=Person.objects.create(full_name=name, commune=commune),
                                           onset_date=None, sample_date=at.date(), origin="community",
                                           confirmed_at=at, by=epi))
    for case in cases[:2]:
        services.case_set_status(case=case, status="recovered", since=case.confirmed_at + timedelta(days=10), by=epi)
    market = services.cluster_create(name="Chợ Mỹ Tho — quầy rau", kind="supermarket", commune=units.commune,
                                     source_description="Tiểu thương quầy rau khu B", opened_on=date(2021, 8, 14),
                                     by=epi)
    services.cluster_add_cases(cluster=market, codes=[c.code for c in cases[:8]], by=epi)
    school = services.cluster_create(name="Trường THCS Lê Lợi", kind="school", commune=units.commune2,
                                     opened_on=date(2021, 8, 16), by=epi)
    services.cluster_add_cases(cluster=school, codes=[cases[8].code], by=epi)
    home = services.cluster_create(name="Gia đình ông Ngọc", kind="household", commune=units.other_commune,
                                   opened_on=date(2021, 8, 23), by=epi)
    services.cluster_add_cases(cluster=home, codes=[cases[9].code], by=epi)
    services.cluster_close(cluster=home, closed_on=date(2021, 9, 20), reason="28 ngày không có ca mới", by=epi)
    return SimpleNamespace(market=market, school=school, home=home, cases=cases)


def test_cluster_list_and_detail(page, phone_page, outbreak, staff):
    login(page, "cdc")
    page.goto("/cases/")
    page.click("a[href='/cases/clusters/']")
    rows = page.locator("[data-testid=cluster-row]")
    assert rows.count() == 3
    assert "Gia đình ông Ngọc" in rows.nth(2).inner_text()  # the closed one last
    market = rows.filter(has_text="Chợ Mỹ Tho")
    assert "8" in market.inner_text() and "21/08/2021" in market.inner_text()
    screenshot(page, "clusters-list")
    page.click("summary:has-text('New cluster'), summary:has-text('Ổ dịch mới')")
    screenshot(page, "clusters-list-create")

    market.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=case-row]").count() == 8
    assert page.locator("[data-testid=epicurve] svg rect").count() == 5  # five days with cases
    assert "8" in page.locator("[data-testid=cluster-counts]").inner_text()
    screenshot(page, "cluster-detail")

    # Add a case by code: a bad code is refused and the good one is not saved.
    page.fill("textarea[name=codes]", f"{outbreak.cases[8].code}, F0-82-999999")
    page.click("[data-testid=add-cases] button[type=submit]")
    assert "F0-82-999999" in page.locator("[data-testid=add-cases]").inner_text()
    screenshot(page, "cluster-detail-add-error")

    # The chain link shows only this cluster's cases.
    page.goto(f"/cases/clusters/{outbreak.market.pk}/")
    page.click(f"a[href='/tracing/chain/?cluster={outbreak.market.pk}']")
    assert page.locator("[data-testid=chain-cluster]").count() == 1
    assert outbreak.cases[8].code not in page.locator("[data-testid=chain-list]").inner_text()

    login(phone_page, "cdc")
    phone_page.goto("/cases/clusters/")
    screenshot(phone_page, "clusters-list-phone")
    phone_page.goto(f"/cases/clusters/{outbreak.market.pk}/")
    screenshot(phone_page, "cluster-detail-phone")
    # Nothing wider than the phone's screen but the tables' own scrolling.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390


def test_interview_contact(page, phone_page, units, staff):
    from lachan.cases.services import case_confirm
    from lachan.people.models import Person

    an = Person.objects.create(full_name="Nguyễn Văn An", commune=units.commune)
    Person.objects.create(full_name="Trần Thị Bình", commune=units.commune, birth_year=1992)
    Person.objects.create(full_name="Trần Văn Bình", commune=units.commune2, birth_year=1960)
    case = case_confirm(person=an, onset_date=date(2021, 8, 12), sample_date=date(2021, 8, 13), origin="community",
                        confirmed_at=T0, by=staff.epidemiologist)
    login(page, "cdc")
    page.goto(f"/cases/{case.pk}/")
    page.click(f"a[href='/tracing/cases/{case.pk}/interview/']")
    page.fill("input[name=q]", "tran thi binh")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.select_option("select[name=person]", label="Trần Thị Bình · " + units.commune.label + " · 1992")
    page.fill("input[name=relationship]", "đồng nghiệp")
    page.fill("input[name=last_contact_at]", "2021-08-13T18:30")
    page.fill("input[name=minutes]", "45")
    page.check("input[name=masked]")
    page.fill("textarea[name=notes]", "Ăn trưa cùng bàn")
    screenshot(page, "interview-filled")
    page.click("[data-testid=interview-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    named = page.locator("[data-testid=interviews]")
    assert "Trần Thị Bình" in named.inner_text() and "13/08/2021 18:30" in named.inner_text()
    screenshot(page, "interview-added")
    # A time outside the infectious window is refused with a message, the typed values kept.
    page.fill("input[name=q]", "tran van binh")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.fill("input[name=relationship]", "hàng xóm")
    page.fill("input[name=last_contact_at]", "2021-07-01T08:00")
    page.click("[data-testid=interview-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[role=alert]").count() == 1
    assert page.input_value("input[name=relationship]") == "hàng xóm"
    assert page.input_value("input[name=last_contact_at]") == "2021-07-01T08:00"
    screenshot(page, "interview-error")

    login(phone_page, "cdc")
    phone_page.goto(f"/tracing/cases/{case.pk}/interview/?q=tran")
    screenshot(phone_page, "interview-phone")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
