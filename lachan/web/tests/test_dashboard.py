"""The home page of a staff user is the operations-centre dashboard of their jurisdiction; its big-screen mode; the
curve fragment; roles without anything to watch keep their capability cards; citizens go to their own page."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from lachan.accounts.roles import Role
from lachan.geo.models import Place, PlaceKind
from lachan.situation.tests.test_operations import seeded_now  # noqa: F401

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.usefixtures("seeded_now")
def test_a_commune_station_sees_its_commune(client, units, staff):
    from lachan.quarantine.models import Order

    here, far = Order.objects.get(commune=units.commune), Order.objects.get(commune=units.other_commune)
    client.force_login(staff.commune)
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="dashboard-map"' in body and 'id="dashboard-map"' in body
    page = text(response)
    assert "5 today of which 2 detected in quarantine" in page
    assert re.search(r'data-testid="alerts-open">1<', body)
    assert here.code in page and far.code not in page  # the feed: own commune only
    assert here.person.full_name not in page  # codes, never names
    assert 'class="dash-curve-svg"' in body and "nav" in body and 'class="sidenav"' in body
    assert "/static/web/dashboard.js" in body
    assert 'data-summary-url="/api/operations/summary"' in body


@pytest.mark.usefixtures("seeded_now")
def test_the_province_sees_everything(client, staff):
    client.force_login(staff.province)
    body = client.get("/").content.decode()
    assert re.search(r'data-testid="cases-today">6<', body)
    assert re.search(r'data-testid="alerts-open">2<', body)
    assert 'data-testid="ind-vaccination"' in body and 'data-testid="vax-none"' in body
    assert 'data-testid="ind-risk"' in body and 'data-testid="ind-tests"' in body


@pytest.mark.usefixtures("seeded_now")
@pytest.mark.parametrize("url", ["/?tv=1", "/ioc/"])
def test_big_screen_mode(client, staff, url):
    client.force_login(staff.province)
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert '<body class="tv">' in body and 'class="sidenav"' not in body
    assert 'data-testid="dashboard-map"' in body and 'id="tv-clock"' in body


@pytest.mark.usefixtures("seeded_now")
def test_curve_fragment(client, staff):
    client.force_login(staff.commune)
    response = client.get(reverse("web:dashboard_curve"))
    assert response.status_code == 200 and response.content.decode().startswith("<svg")


def test_a_laboratory_sees_its_tests_and_no_case(client, units, make_user):
    from lachan.labs.models import Laboratory

    lab = Laboratory.objects.create(place=Place.objects.create(kind=PlaceKind.LABORATORY, name="Lab",
                                                               commune=units.commune))
    client.force_login(make_user(Role.LAB_STAFF, place=lab.place))
    body = client.get("/").content.decode()
    assert 'data-testid="ind-tests"' in body
    for absent in ("ind-cases", "ind-quarantine", "ind-alerts", "ind-risk", "dashboard-curve"):
        assert f'data-testid="{absent}"' not in body
    assert client.get(reverse("web:dashboard_curve")).status_code == 404


def test_an_enterprise_keeps_its_capability_cards(client, units, make_user):
    place = Place.objects.create(kind=PlaceKind.ENTERPRISE, name="Công ty May", commune=units.commune)
    client.force_login(make_user(Role.ENTERPRISE_OFFICER, place=place))
    body = client.get("/").content.decode()
    assert 'class="cards"' in body and 'data-testid="dashboard"' not in body
    assert client.get("/ioc/").url == "/"


def test_a_citizen_is_sent_to_their_own_page(client, make_user):
    citizen = make_user(Role.CITIZEN, username="0912000222")
    client.force_login(citizen)
    assert client.get("/").url == reverse("people:mine")
    assert client.get("/ioc/").url == reverse("people:mine")
    assert client.get(reverse("web:dashboard_curve")).status_code == 404


def test_anonymous_is_asked_to_log_in(client, db):
    for url in ("/", "/ioc/", "/ioc/curve/"):
        assert client.get(url).url.startswith("/accounts/login/")


def test_curve_svg_drawing():
    from datetime import date

    from lachan.web.charts import stacked_curve_svg

    assert stacked_curve_svg(None) == "" and stacked_curve_svg({"days": []}) == ""
    days = [{"day": date(2021, 7, 1) + timedelta(days=n), "community": n % 4, "in_quarantine": n % 2,
             "total": n % 4 + n % 2, "average": 1.5} for n in range(60)]
    svg = stacked_curve_svg({"days": days}, width=1100, height=230)
    assert svg.startswith('<svg') and 'viewBox="0 0 1100 230"' in svg
    assert svg.count('class="bar-community"') == 45 and svg.count('class="bar-in-quarantine"') == 30
    assert svg.count("<polyline") == 1 and "29/08" in svg  # the last day labelled
    assert "01/07/2021: 0 cases (0 community, 0 in quarantine); 7-day average 1.5" not in svg  # empty days: no bar
    assert "02/07/2021: 2 cases (1 community, 1 in quarantine); 7-day average 1.5" in svg


def test_the_alert_tile_counts_add_up(client, units, staff):
    """Issue 12 item 21: "100 not yet handled" beside categories summing to 0 (tests due were counted, not shown)."""
    from django.utils import timezone

    from lachan.quarantine.models import Alert, AlertKind
    from lachan.quarantine.tests.monitoring_fixtures import make_order

    order = make_order(units.commune)
    for n, kind in enumerate(["test_due"] * 3 + ["violation", "silent"]):
        Alert.objects.create(kind=kind, order=order, commune=units.commune, raised_at=timezone.now(),
                             about_on=timezone.localdate() - timedelta(days=n) if kind == "test_due" else None)
    client.force_login(staff.commune)
    body = client.get(reverse("web:home")).content.decode()
    total = int(re.search(r'data-testid="alerts-open">(\d+)<', body).group(1))
    shown = {kind: int(n) for kind, n in re.findall(r'data-field="alerts\.by_kind\.(\w+)">(\d+)<', body)}
    assert set(shown) == set(AlertKind.values)
    assert total == sum(shown.values()) == 5 and shown["test_due"] == 3
