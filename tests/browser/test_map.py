"""The map (issue 6): the epidemiologist's map shows the communes' levels, cases by commune and a lockdown area,
draws a new lockdown area with the polygon tool and saves it; the citizens' map shows the public layers only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mapped(units, staff):
    from lachan.accounts.actors import system_actor
    from lachan.cases import services as case_services
    from lachan.core.models import Policy
    from lachan.geo.models import AdminUnit, Place, PlaceKind
    from lachan.people.models import Person
    from lachan.risk.lockdowns import lockdown_area_create
    from lachan.risk.models import RiskAssessment

    today = timezone.localdate()
    communes = list(AdminUnit.objects.filter(path__startswith=units.province.path + "/", level=3).order_by("path"))
    policy = Policy.objects.filter(kind="risk").order_by("-valid_from").first() or Policy.objects.create(
        kind="risk", version="browser test", valid_from=today - timedelta(days=365), rules={})  # flushed by a test
    rows = [RiskAssessment(unit=c, on=today - timedelta(days=1), level=1 + (i % 7 == 0) + (i % 13 == 0) + (i % 29 == 0),
                           computed_level=1, policy=policy, inputs={"cases": i % 5}, computed_at=timezone.now())
            for i, c in enumerate(communes)]
    RiskAssessment.objects.bulk_create(rows)
    for i in range(4):
        person = Person.objects.create(full_name=f"Người {i}", commune=units.commune)
        case_services.case_confirm(person=person, by=system_actor("tests"), onset_date=None, sample_date=today - timedelta(days=2),
                                   origin="community", confirmed_at=timezone.now() - timedelta(minutes=i))
    Place.objects.create(kind=PlaceKind.TEST_SITE, name="Điểm xét nghiệm Phường 1", commune=units.commune,
                         latitude=units.commune.latitude + 0.004, longitude=units.commune.longitude)
    Place.objects.create(kind=PlaceKind.ESSENTIAL_SHOP, name="Bách hóa Xanh", commune=units.commune,
                         latitude=units.commune.latitude - 0.004, longitude=units.commune.longitude)
    c = units.commune
    ring = [[c.longitude - 0.002, c.latitude - 0.002], [c.longitude + 0.002, c.latitude - 0.002],
            [c.longitude + 0.002, c.latitude + 0.002], [c.longitude - 0.002, c.latitude + 0.002]]
    lockdown_area_create(name="Ấp Bắc", geometry={"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                         starts_on=today - timedelta(days=2), residents=900, by=system_actor("tests"))
    return units


def _loaded(page, selector="[data-testid=map]"):
    page.wait_for_selector(f"{selector}[data-loaded='1']")
    import json

    return json.loads(page.get_attribute(selector, "data-counts"))


def test_the_map_shows_levels_cases_and_lockdowns_and_draws_a_new_area(page, mapped):
    from lachan.risk.models import LockdownArea

    login(page, "cdc")
    page.goto("/map/")
    counts = _loaded(page)
    assert counts["risk"] == 164 and counts["cases"] == 1 and counts["lockdowns"] == 1 and counts["test_sites"] == 1
    assert page.locator(".map-legend").is_visible()
    assert page.locator(".leaflet-interactive, canvas").count() > 0
    screenshot(page, "map-province")

    page.goto("/map/lockdowns/new/")
    _loaded(page, "#draw-map")
    page.click(".leaflet-draw-draw-polygon")
    box = page.locator("#draw-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-40, -30), (40, -30), (40, 30), (-40, 30)):
        page.mouse.click(cx + dx, cy + dy)
        page.wait_for_timeout(150)
    page.mouse.click(cx - 40, cy - 30)  # back on the first corner: the polygon closes
    page.wait_for_function("document.querySelector('#id_geometry').value.includes('Polygon')")
    page.fill("#id_name", "Khu phố 3")
    page.fill("#id_residents", "1200")
    screenshot(page, "map-lockdown-drawn")
    page.click("[data-testid=lockdown-form] button[type=submit]")
    page.wait_for_selector("[data-testid=lockdown-facts]")
    area = LockdownArea.objects.get(name="Khu phố 3")
    assert area.residents == 1200 and area.source == "drawn"
    assert "1.200" in page.inner_text("[data-testid=lockdown-facts]") or "1,200" in page.inner_text("[data-testid=lockdown-facts]")
    screenshot(page, "map-lockdown-detail")


def test_the_citizens_map_shows_public_layers_without_logging_in(page, mapped):
    page.goto("/ban-do/")
    counts = _loaded(page)
    assert set(counts) == {"risk", "test_sites", "health_stations", "lockdowns", "essential_shops", "declaration_points"}
    assert counts["risk"] == 164 and counts["lockdowns"] == 1 and counts["essential_shops"] == 1
    raised = page.locator("[data-testid=raised-row]")  # the same levels as a list, for those who can't use the map
    assert raised.count() == 40 and "4" in raised.first.inner_text()
    assert page.locator(".map-legend").is_visible() and page.locator(".sidenav").count() == 0
    # A citizen finds their commune by name (names repeat across towns: the town is part of the name).
    commune = mapped.commune
    page.fill("[data-testid=map-search]", f"{commune.name} ({mapped.district.name})")
    page.press("[data-testid=map-search]", "Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert commune.name in popup.inner_text() and mapped.district.name in popup.inner_text()
    page.wait_for_timeout(500)  # the zoom's animation
    screenshot(page, "map-public")


def test_the_citizens_map_on_a_phone(phone_page, mapped):
    page = phone_page
    page.goto("/ban-do/")
    _loaded(page)
    assert page.locator(".leaflet-control-layers-expanded").count() == 0  # the layer list folded away
    assert page.locator(".map-legend details").get_attribute("open") is None
    screenshot(page, "map-public-phone")


LEVEL_FILL_JS = """code => {
  const state = document.querySelector('[data-testid=map]').lachanMap;
  let fill = null;
  state.layers.risk.eachLayer(group => group.eachLayer(layer => {
    if (layer.feature && layer.feature.properties.code === code) { fill = layer.options.fillColor; }
  }));
  return fill;
}"""


def test_the_citizens_map_colours_each_unit_by_its_level_and_finds_a_typed_name(page, mapped):
    """Issue 12 item 24: a ward raised to level 3 today (its district recomputed alone) looked green on the citizens'
    map, which read every unit's level on the first unit's day; a name typed without diacritics was not found."""
    from lachan.geo.models import AdminUnit
    from lachan.risk.models import RiskAssessment

    today = timezone.localdate()
    wards = list(AdminUnit.objects.filter(level=3, name="Phường 1").select_related("parent").order_by("path"))
    raised, green = wards[-1], wards[0]
    policy = RiskAssessment.objects.first().policy
    RiskAssessment.objects.filter(unit=raised).update(level=1)
    RiskAssessment.objects.create(unit=raised, on=today, level=3, computed_level=3, policy=policy, inputs={},
                                  computed_at=timezone.now())
    page.goto("/ban-do/")
    _loaded(page)
    assert page.evaluate(LEVEL_FILL_JS, raised.code) == "#ef6c00"  # orange: level 3, as the legend says
    level_1 = RiskAssessment.objects.filter(level=1, on=today - timedelta(days=1)).exclude(unit=raised).first().unit
    assert page.evaluate(LEVEL_FILL_JS, level_1.code) == "#2e7d32"
    assert raised.name in page.locator("[data-testid=raised-row]").all_inner_texts()[0] or any(
        raised.parent.name in row for row in page.locator("[data-testid=raised-row]").all_inner_texts())
    # Typed without diacritics: "phuong 1" is in three towns (listed with their town), the town's name settles it.
    search = page.locator("[data-testid=map-search]")
    search.fill("phuong 1")
    search.press("Enter")
    assert search.get_attribute("data-matches") == "3"
    options = page.locator(".map-search datalist option")
    assert sorted(options.evaluate_all("os => os.map(o => o.value)")) == sorted(
        f"Phường 1 ({w.parent.name})" for w in wards)
    town = green.parent.short_name.lower()
    search.fill(f"phuong 1 {town}")
    search.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Phường 1" in popup.inner_text() and green.parent.name in popup.inner_text()
    screenshot(page, "map-public-typed-search")


def test_the_demo_communes_are_drawn_as_approximate_areas(page, mapped):
    """Issue 12 item 24: without a boundary file the communes were dots; the demo draws approximate areas."""
    from lachan.geo.services import admin_unit_boundaries_approximate

    assert admin_unit_boundaries_approximate(unit=mapped.province) > 100
    page.goto("/ban-do/")
    _loaded(page)
    drawn = page.evaluate("""code => {
      const state = document.querySelector('[data-testid=map]').lachanMap;
      let found = null;
      state.layers.risk.eachLayer(group => group.eachLayer(layer => {
        if (layer.feature && layer.feature.properties.code === code) {
          found = {polygon: !!layer.getBounds, dash: layer.options.dashArray, approximate: layer.feature.properties.approximate};
        }
      }));
      return found;
    }""", mapped.commune.code)
    assert drawn == {"polygon": True, "dash": "4 3", "approximate": True}
    screenshot(page, "map-public-approximate-areas")


def test_the_drawing_tools_speak_vietnamese(page, mapped):
    """Issue 12 item 23: Leaflet.draw's buttons and hints were in English in the Vietnamese interface."""
    login(page, "cdc")
    page.goto("/map/lockdowns/new/")
    _loaded(page, "#draw-map")
    assert page.get_attribute(".leaflet-draw-draw-polygon", "title") == "Vẽ đa giác"
    page.click(".leaflet-draw-draw-polygon")
    assert "Bấm để bắt đầu vẽ vùng." in page.inner_text(".leaflet-draw-tooltip")
    assert page.inner_text(".leaflet-draw-actions").split() == ["Xong", "Xóa", "điểm", "cuối", "Hủy"]
    screenshot(page, "map-draw-tools-vi")
