"""The operations-centre dashboard in a browser, with a province's data seeded: at 1280×860 with the side
navigation, and in big-screen mode at 1920×1080 (dark, no scrolling). Each waits for a live refresh that brings a
new alert and a new case without a reload; the page says when the server cannot be reached."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.situation.tests.test_operations import case, person
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def province(units, staff, settings):
    """Seven weeks of an outbreak in Mỹ Tho: cases rising then falling (a fifth detected in quarantine), orders in
    force with alerts, a day of laboratory results, entered coverage and yesterday's levels."""
    from lachan.core.models import Policy
    from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind
    from lachan.labs.models import Laboratory, Result
    from lachan.labs.tests.lookup_fixtures import tube
    from lachan.quarantine.models import Alert
    from lachan.quarantine.tests.monitoring_fixtures import make_order
    from lachan.risk.models import RiskAssessment, RiskInput

    settings.LACHAN_DASHBOARD_POLL_SECONDS = 3
    rng = random.Random(6)
    now = timezone.now()
    communes = list(AdminUnit.objects.filter(parent=units.district, level=AdminLevel.COMMUNE).order_by("code"))
    for days_ago in range(48, -1, -1):
        peak = max(0.0, 9 - abs(days_ago - 18) * 0.45)
        for _ in range(rng.randint(0, round(peak))):
            when = now - timedelta(days=days_ago, minutes=rng.randint(5, 600))
            case(rng.choice(communes), when, "in_quarantine" if rng.random() < 0.2 else "community")
    orders = [make_order(rng.choice(communes), contact_tier=1 if n % 3 else 2) for n in range(14)]
    orders += [make_order(units.commune, kind="isolation") for _ in range(4)]
    for n, (kind, minutes) in enumerate([("violation", 3), ("symptoms", 12), ("missed_report", 40), ("silent", 65),
                                         ("violation", 130)]):
        Alert.objects.create(kind=kind, order=orders[n], commune=orders[n].commune,
                             raised_at=now - timedelta(minutes=minutes))
    lab = Laboratory.objects.create(place=Place.objects.create(kind=PlaceKind.LABORATORY, name="CDC Tiền Giang",
                                                               commune=units.commune))
    people = [person(rng.choice(communes)) for _ in range(40)]
    released = now - timedelta(minutes=20)
    for n in range(0, 30, 5):
        tube(people[n:n + 5], lab=lab, status="released", collected_at=released - timedelta(hours=5),
             released_at=released, result=Result.POSITIVE if n == 10 else Result.NEGATIVE)
    for p in people[30:]:
        tube([p], lab=lab, status="released", collected_at=released - timedelta(hours=5), released_at=released,
             result=Result.POSITIVE if p is people[31] else Result.NEGATIVE)
    as_of = timezone.localdate() - timedelta(days=3)
    for kind, value in (("vax_adults_1dose", 78.4), ("vax_adults_full", 52.1), ("vax_elderly_full", 64.0)):
        RiskInput.objects.create(unit=units.province, kind=kind, value=value, as_of=as_of)
    policy = Policy.objects.create(kind="risk", version="test-browser", valid_from=timezone.localdate() - timedelta(
        days=3000), valid_to=timezone.localdate() - timedelta(days=2999), rules={})
    for n, commune in enumerate(AdminUnit.objects.filter(path__startswith=units.province.path + "/",
                                                         level=AdminLevel.COMMUNE)):
        level = 4 if commune in communes[:2] else (3 if commune in communes else 1 + (n % 7 == 0))
        RiskAssessment.objects.create(unit=commune, on=timezone.localdate() - timedelta(days=1), level=level,
                                      policy=policy, computed_at=now)
    return {"units": units, "orders": orders}


def _news(province):
    """What happens while the dashboard is open: a person leaves their home, a new case is confirmed."""
    from lachan.quarantine.models import Alert

    order = province["orders"][7]
    alert = Alert.objects.create(kind="violation", order=order, commune=order.commune, raised_at=timezone.now())
    new_case = case(province["units"].commune, timezone.now())
    return alert, new_case


def _wait_for_refresh(page, alert, new_case):
    page.locator(f"[data-testid=feed-item][data-id='alert-{alert.pk}']").wait_for(timeout=20000)
    page.locator(f"[data-testid=feed-item][data-id='case-{new_case.pk}']").wait_for(timeout=20000)
    page.wait_for_function("document.getElementById('dash-status').dataset.refreshes >= 1")


def test_dashboard_refreshes_live(page, province):
    login(page, "province")
    page.goto("/")
    assert page.locator("[data-testid=dashboard-map]").is_visible()
    page.wait_for_selector("#ops-map[data-loaded='1']")  # the map of the jurisdiction, its layers loaded
    assert set(page.evaluate("JSON.parse(document.getElementById('ops-map').dataset.counts)")) >= {"risk", "cases"}
    assert page.locator("nav.sidenav").is_visible()
    before = int(page.locator("[data-testid=cases-today]").inner_text().replace(".", ""))
    assert page.locator("[data-testid=dashboard-curve] svg g[data-day]").count() > 20
    assert page.locator("[data-testid=feed-item]").count() >= 5
    assert page.locator("html").get_attribute("lang") == "vi"
    screenshot(page, "dashboard")
    alert, new_case = _news(province)
    _wait_for_refresh(page, alert, new_case)
    page.wait_for_function(f"document.querySelector('[data-testid=cases-today]').textContent.trim() == '{before + 1}'")
    assert page.locator("[data-testid=dash-error]").is_hidden()
    first = page.locator("[data-testid=feed-item]").first
    assert first.get_attribute("data-id") in (f"alert-{alert.pk}", f"case-{new_case.pk}")
    screenshot(page, "dashboard-refreshed")
    # The server cannot be reached: the page says so and keeps the figures it has.
    page.route("**/api/operations/**", lambda route: route.abort())
    page.evaluate("window.lachanDashboard.refresh()")
    page.locator("[data-testid=dash-error]").wait_for(state="visible")
    assert page.locator("[data-testid=dash-status]").get_attribute("data-state") == "error"
    screenshot(page, "dashboard-offline")
    page.unroute("**/api/operations/**")
    page.locator("[data-testid=dash-error]").wait_for(state="hidden", timeout=20000)


def test_big_screen_fits_1920_by_1080(browser, live_server, province):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        login(page, "province")
        page.goto("/ioc/")
        assert page.locator("nav.sidenav").count() == 0
        assert page.locator("body").get_attribute("class") == "tv"
        page.wait_for_selector("#ops-map[data-loaded='1']")
        alert, new_case = _news(province)
        _wait_for_refresh(page, alert, new_case)
        sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert sizes[0] <= 1920 and sizes[1] <= 1080, sizes
        # Every indicator is on the screen, not cut off.
        for box in page.locator("[data-testid^=ind-]").all():
            bounds = box.bounding_box()
            assert bounds["y"] + bounds["height"] <= 1080 and bounds["x"] + bounds["width"] <= 1920
        screenshot(page, "dashboard-tv")
    finally:
        context.close()
