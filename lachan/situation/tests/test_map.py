"""The map: lockdown areas drawn and imported (checked, located, residents estimated; all or nothing), each layer
within the reader's jurisdiction, the citizens' public layers, and the pages."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Perm, Role
from lachan.cases import services as case_services
from lachan.core.errors import DomainError, PermissionDenied, ValidationFailed
from lachan.core.models import Policy
from lachan.geo.models import AdminUnit, Place, PlaceKind
from lachan.people.models import Person
from lachan.risk.lockdowns import (
    lockdown_area_create,
    lockdown_area_lift,
    lockdown_areas_import,
    lockdown_areas_in_force,
    lockdown_areas_in_scope,
)
from lachan.risk.models import LockdownArea, RiskAssessment
from lachan.situation.map_layers import LAYERS, Layer, map_layer, register_layer

TODAY = timezone.localdate()


def square(unit: AdminUnit, half: float = 0.001, dx: float = 0.0) -> dict:
    lon, lat = unit.longitude + dx, unit.latitude
    return {"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half],
                                                [lon + half, lat + half], [lon - half, lat + half],
                                                [lon - half, lat - half]]]}


@pytest.fixture
def populated(units):
    AdminUnit.objects.filter(path__startswith=units.province.path + "/", level=3).update(population=10_000)
    for unit in (units.commune, units.commune2, units.other_commune):
        unit.refresh_from_db()
    return units


# ---- lockdown areas -------------------------------------------------------------------------------------------

def test_an_area_drawn_in_a_commune_is_held_by_it_with_its_residents_estimated(populated, staff):
    area = lockdown_area_create(name="Ấp 3", geometry=square(populated.commune), starts_on=TODAY,
                                reason="chùm ca bệnh", by=staff.epidemiologist)
    assert area.unit == populated.commune
    assert 0.04 < area.area_km2 < 0.06  # ≈ 0.22 km × 0.22 km
    assert area.residents is None and area.residents_estimate > 0
    assert area.geometry["type"] == "Polygon"
    assert AuditEvent.objects.filter(action="risk.lockdown_create", object_id=str(area.pk)).exists()


def test_reported_residents_are_kept_beside_the_estimate(populated, staff):
    area = lockdown_area_create(name="Khu phố 2", geometry=square(populated.commune), starts_on=TODAY,
                                residents=1234, by=staff.epidemiologist)
    assert area.residents == 1234 and area.residents_estimate is not None


def test_an_area_across_two_districts_is_held_by_the_province(populated, staff):
    a, b = populated.commune, populated.other_commune
    coords = [[a.longitude, a.latitude - 0.002], [b.longitude, b.latitude - 0.002], [b.longitude, b.latitude + 0.002],
              [a.longitude, a.latitude + 0.002], [a.longitude, a.latitude - 0.002]]
    area = lockdown_area_create(name="Dọc quốc lộ", geometry={"type": "Polygon", "coordinates": [coords]},
                                starts_on=TODAY, by=staff.epidemiologist)
    assert area.unit == populated.province


@pytest.mark.parametrize("geometry, message", [
    ({"type": "Point", "coordinates": [106.3, 10.3]}, "Polygon or MultiPolygon"),
    ({"type": "Polygon", "coordinates": [[[106.3, 10.3], [106.31, 10.3]]]}, "not a polygon"),
    ({"type": "Polygon", "coordinates": [[[106.30, 10.30], [106.31, 10.31], [106.31, 10.30], [106.30, 10.31],
                                          [106.30, 10.30]]]}, "not valid"),  # a bow tie: self-intersecting
    ({"type": "Polygon", "coordinates": [[[500, 10.3], [501, 10.3], [501, 10.4], [500, 10.3]]]}, "longitude"),
    ("not json at all", "Polygon or MultiPolygon"),
])
def test_a_geometry_that_is_not_a_valid_polygon_is_refused(populated, staff, geometry, message):
    with pytest.raises(DomainError) as err:
        lockdown_area_create(name="Sai", geometry=geometry, starts_on=TODAY, by=staff.epidemiologist)
    assert err.value.code == "lockdown_geometry_invalid" and message in str(err.value.message)
    assert not LockdownArea.objects.exists()


def test_an_area_outside_the_province_is_refused(populated, staff):
    hanoi = {"type": "Polygon", "coordinates": [[[105.80, 21.00], [105.82, 21.00], [105.82, 21.02], [105.80, 21.02],
                                                 [105.80, 21.00]]]}
    with pytest.raises(DomainError) as err:
        lockdown_area_create(name="Hà Nội", geometry=hanoi, starts_on=TODAY, by=staff.epidemiologist)
    assert err.value.code == "lockdown_outside_province"
    assert not LockdownArea.objects.exists()


def test_bad_fields_are_refused_before_anything_is_saved(populated, staff):
    geometry = square(populated.commune)
    for kwargs, code in [({"name": " "}, "lockdown_name_required"),
                         ({"ends_on": TODAY - timedelta(days=1)}, "lockdown_dates_invalid"),
                         ({"starts_on": "31/02/2021"}, "lockdown_dates_invalid"),
                         ({"residents": -3}, "lockdown_residents_invalid"),
                         ({"residents": "2.1"}, "lockdown_residents_invalid"),
                         ({"residents": 2150.5}, "lockdown_residents_invalid")]:
        args = {"name": "Ấp 1", "geometry": geometry, "starts_on": TODAY, **kwargs}
        with pytest.raises(DomainError) as err:
            lockdown_area_create(by=staff.epidemiologist, **args)
        assert err.value.code == code
    assert not LockdownArea.objects.exists()


def test_only_risk_editors_draw_areas_and_only_in_their_jurisdiction(populated, staff, make_user):
    with pytest.raises(PermissionDenied):
        lockdown_area_create(name="Ấp 1", geometry=square(populated.commune), starts_on=TODAY, by=staff.district)
    district_editor = make_user(Role.EPIDEMIOLOGIST, unit=populated.district)
    with pytest.raises(DomainError) as err:
        lockdown_area_create(name="Ấp 1", geometry=square(populated.other_commune), starts_on=TODAY,
                             by=district_editor)
    assert err.value.code == "lockdown_outside_jurisdiction"


def test_a_lifted_lockdown_is_in_force_until_the_day_before(populated, staff):
    area = lockdown_area_create(name="Ấp 1", geometry=square(populated.commune), starts_on=TODAY - timedelta(days=10),
                                by=staff.epidemiologist)
    with pytest.raises(DomainError):
        lockdown_area_lift(area=area, on=TODAY, reason="", by=staff.epidemiologist)
    lockdown_area_lift(area=area, on=TODAY - timedelta(days=2), reason="14 ngày không ca mới", by=staff.epidemiologist)
    assert lockdown_areas_in_force(user=staff.epidemiologist, on=TODAY - timedelta(days=3)).count() == 1
    assert lockdown_areas_in_force(user=staff.epidemiologist, on=TODAY - timedelta(days=2)).count() == 0
    with pytest.raises(DomainError) as err:
        lockdown_area_lift(area=area, on=TODAY, reason="again", by=staff.epidemiologist)
    assert err.value.code == "lockdown_already_lifted"


def test_a_commune_sees_the_areas_of_its_commune_and_those_above_not_its_neighbours(populated, staff):
    own = lockdown_area_create(name="Ấp 1", geometry=square(populated.commune), starts_on=TODAY, by=staff.epidemiologist)
    lockdown_area_create(name="Ấp 9", geometry=square(populated.other_commune), starts_on=TODAY, by=staff.epidemiologist)
    assert list(lockdown_areas_in_scope(staff.commune)) == [own]
    assert lockdown_areas_in_scope(staff.province).count() == 2


def _collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def _feature(geometry, **props) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def test_a_geojson_file_is_imported_whole_with_its_properties(populated, staff):
    data = _collection(_feature(square(populated.commune), ten="Ấp Bắc", tu_ngay="01/12/2026", so_dan="2.150"),
                       _feature(square(populated.commune2), name="Khu phố 4", starts_on="2026-12-02"))
    areas = lockdown_areas_import(data=data, by=staff.epidemiologist, reason="theo quyết định 12/QĐ")
    assert [(a.name, a.starts_on, a.residents, a.reason, a.source) for a in areas] == [
        ("Ấp Bắc", date(2026, 12, 1), 2150, "theo quyết định 12/QĐ", "imported"),
        ("Khu phố 4", date(2026, 12, 2), None, "theo quyết định 12/QĐ", "imported")]


def test_a_file_with_one_bad_area_imports_nothing_and_names_each_problem(populated, staff):
    outside = {"type": "Polygon", "coordinates": [[[105.8, 21.0], [105.9, 21.0], [105.9, 21.1], [105.8, 21.0]]]}
    data = _collection(_feature(square(populated.commune), name="Tốt", starts_on="2026-12-01"),
                       _feature(outside, name="Hà Nội", starts_on="2026-12-01"),
                       _feature(square(populated.commune2), name="Không ngày"))
    with pytest.raises(ValidationFailed) as err:
        lockdown_areas_import(data=data, by=staff.epidemiologist)
    messages = [str(e.message) for e in err.value.errors]
    assert len(messages) == 2
    assert messages[0].startswith("Area 2:") and "not inside" in messages[0]
    assert messages[1].startswith("Area 3:") and "first day" in messages[1]
    assert not LockdownArea.objects.exists()


@pytest.mark.parametrize("data", [b"{not json", b'{"type": "Topology"}', b'{"type": "FeatureCollection", "features": []}',
                                  "ä".encode("latin-1")])
def test_a_file_that_is_not_geojson_is_refused(populated, staff, data):
    with pytest.raises(DomainError) as err:
        lockdown_areas_import(data=data, by=staff.epidemiologist)
    assert err.value.code == "lockdown_file_invalid"


# ---- layers ---------------------------------------------------------------------------------------------------

@pytest.fixture
def mapped(populated, staff):
    epi = staff.epidemiologist
    now = timezone.now()
    for commune, n in ((populated.commune, 3), (populated.other_commune, 1)):
        for i in range(n):
            person = Person.objects.create(full_name=f"Người {commune.code} {i}", commune=commune)
            case_services.case_confirm(person=person, by=epi, onset_date=None, sample_date=TODAY - timedelta(days=2),
                                       origin="community" if i else "in_quarantine", confirmed_at=now - timedelta(minutes=i))
    for commune, kind in ((populated.commune, PlaceKind.TEST_SITE), (populated.other_commune, PlaceKind.TEST_SITE),
                          (populated.commune, PlaceKind.ESSENTIAL_SHOP)):
        Place.objects.create(kind=kind, name=f"{kind} {commune.name}", commune=commune,
                             latitude=commune.latitude, longitude=commune.longitude)
    policy = Policy.objects.filter(kind="risk").order_by("-valid_from").first()
    RiskAssessment.objects.create(unit=populated.commune, on=TODAY - timedelta(days=1), level=3, computed_level=3,
                                  policy=policy, inputs={"cases": 3, "rate": 30.0, "population": 10_000},
                                  computed_at=now)
    lockdown_area_create(name="Ấp 1", geometry=square(populated.commune), starts_on=TODAY, by=epi)
    lockdown_area_create(name="Ấp cũ", geometry=square(populated.commune2), starts_on=TODAY - timedelta(days=30),
                         ends_on=TODAY - timedelta(days=10), by=epi)
    return populated


def test_the_risk_layer_has_every_commune_of_the_jurisdiction_with_its_level(mapped, staff):
    layer = map_layer(user=staff.district, layer="risk")
    communes = AdminUnit.objects.filter(path__startswith=mapped.district.path + "/", level=3).count()
    assert len(layer["features"]) == communes
    assert layer["on"] == (TODAY - timedelta(days=1)).isoformat()
    found = {f["properties"]["code"]: f["properties"] for f in layer["features"]}
    assert found[mapped.commune.code]["level"] == 3 and found[mapped.commune.code]["rate"] == 30.0
    assert found[mapped.commune2.code]["level"] is None
    assert layer["features"][0]["geometry"]["type"] == "Point"  # no boundary imported


def test_the_cases_layer_counts_by_commune_of_residence_within_the_jurisdiction(mapped, staff):
    features = map_layer(user=staff.province, layer="cases")["features"]
    counts = {f["properties"]["code"]: (f["properties"]["cases"], f["properties"]["community"]) for f in features}
    assert counts == {mapped.commune.code: (3, 2), mapped.other_commune.code: (1, 0)}
    assert "full_name" not in json.dumps(features)
    district = map_layer(user=staff.district, layer="cases")["features"]
    assert [f["properties"]["code"] for f in district] == [mapped.commune.code]


def test_place_and_lockdown_layers_follow_the_jurisdiction_and_the_day(mapped, staff):
    assert len(map_layer(user=staff.province, layer="test_sites")["features"]) == 2
    assert len(map_layer(user=staff.commune, layer="test_sites")["features"]) == 1
    assert len(map_layer(user=staff.province, layer="essential_shops")["features"]) == 1
    assert [f["properties"]["name"] for f in map_layer(user=staff.province, layer="lockdowns")["features"]] == ["Ấp 1"]
    earlier = map_layer(user=staff.province, layer="lockdowns", on=TODAY - timedelta(days=20))
    assert [f["properties"]["name"] for f in earlier["features"]] == ["Ấp cũ"]


def test_layers_need_their_permission_and_bad_parameters_are_refused(mapped, staff, make_user):
    lab = make_user(Role.LAB_STAFF, place=Place.objects.filter(kind=PlaceKind.TEST_SITE).first())
    with pytest.raises(PermissionDenied):
        map_layer(user=lab, layer="risk")
    with pytest.raises(DomainError) as err:
        map_layer(user=staff.province, layer="weather")
    assert err.value.code == "map_layer_unknown"
    with pytest.raises(DomainError):
        map_layer(user=staff.province, layer="risk", admin_level=7)
    with pytest.raises(DomainError):
        map_layer(user=staff.province, layer="risk", on=TODAY + timedelta(days=1))


def test_the_public_map_shows_levels_and_public_layers_only(mapped, client):
    risk = client.get("/api/map/public/risk").json()
    props = next(f["properties"] for f in risk["features"] if f["properties"]["code"] == mapped.commune.code)
    assert props["level"] == 3 and "cases" not in props and "rate" not in props
    assert client.get("/api/map/public/cases").status_code == 403
    assert client.get("/api/map/public/quarantine_facilities").status_code == 403
    lockdowns = client.get("/api/map/public/lockdowns").json()["features"]
    assert [f["properties"]["name"] for f in lockdowns] == ["Ấp 1"]
    assert "id" not in lockdowns[0]["properties"] and "reason" not in lockdowns[0]["properties"]
    page = client.get("/ban-do/")
    assert page.status_code == 200 and b"/api/map/public/risk" in page.content and b"/api/map/public/cases" not in page.content


@pytest.fixture
def shelters():
    """A layer added as a new capability would add it: one register_layer call (removed again after the test)."""
    seen = []

    def build(query):
        seen.append(query)
        return {"type": "FeatureCollection", "features": [], "unit": query.scope.unit_path, "public": query.public}

    layer = register_layer(Layer("shelters", "Shelters", Perm.QUARANTINE_VIEW, True, "points", build=build))
    yield seen
    assert LAYERS.pop("shelters") is layer


def test_a_registered_layer_is_listed_served_and_scoped_like_the_others(mapped, staff, client, token_for, make_user,
                                                                         shelters):
    from lachan.situation.map_layers import layers_for

    lab = make_user(Role.LAB_STAFF, place=Place.objects.filter(kind=PlaceKind.TEST_SITE).first())
    assert "shelters" in [layer.key for layer in layers_for(staff.commune)]
    assert "shelters" not in [layer.key for layer in layers_for(lab)]  # no quarantine.view
    found = client.get("/api/map/layers/shelters", **token_for(staff.commune))
    assert found.status_code == 200 and found.json()["unit"] == mapped.commune.path
    assert shelters[-1].user == staff.commune and shelters[-1].public is False
    assert client.get("/api/map/layers/shelters", **token_for(lab)).status_code == 403
    public = client.get("/api/map/public/shelters").json()
    assert public["public"] is True and public["unit"] == mapped.province.path  # the province, for the citizens
    with pytest.raises(ValueError):
        register_layer(Layer("shelters", "Again", Perm.RISK_VIEW, False, "points", build=lambda q: {}))
    client.force_login(staff.commune)
    assert "/api/map/layers/shelters" in client.get("/map/").content.decode()


# ---- API and pages ---------------------------------------------------------------------------------------------

def test_the_layers_api_answers_geojson_in_the_callers_jurisdiction(mapped, staff, client, token_for):
    response = client.get("/api/map/layers/cases", **token_for(staff.commune))
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    assert [f["properties"]["code"] for f in response.json()["features"]] == [mapped.commune.code]
    assert client.get("/api/map/layers/risk").status_code == 401
    assert client.get("/api/map/layers/nope", **token_for(staff.province)).status_code == 400
    assert client.get("/api/map/layers/risk?on=yesterday", **token_for(staff.province)).status_code == 422


def test_the_lockdown_api_draws_imports_and_lifts(populated, staff, client, token_for):
    headers = token_for(staff.epidemiologist)
    body = {"name": "Ấp 5", "geometry": square(populated.commune), "starts_on": TODAY.isoformat(), "residents": 800}
    created = client.post("/api/map/lockdowns", body, content_type="application/json", **headers)
    assert created.status_code == 201 and created.json()["unit_code"] == populated.commune.code
    assert (created.json()["unit_name"], created.json()["unit_label"]) == (populated.commune.name,
                                                                          populated.commune.label)
    bad = client.post("/api/map/lockdowns", {**body, "geometry": {"type": "Polygon", "coordinates": []}},
                      content_type="application/json", **headers)
    assert bad.status_code == 400 and bad.json()["field"] == "geometry"
    file = _collection(_feature(square(populated.commune2), name="Khu 6", starts_on=TODAY.isoformat()))
    from django.core.files.uploadedfile import SimpleUploadedFile

    imported = client.post("/api/map/lockdowns/import",
                           {"file": SimpleUploadedFile("areas.geojson", file, "application/geo+json")}, **headers)
    assert imported.status_code == 201 and imported.json()[0]["name"] == "Khu 6"
    area_id = created.json()["id"]
    no_reason = client.post(f"/api/map/lockdowns/{area_id}/lift", {"reason": " "}, content_type="application/json",
                            **headers)
    assert no_reason.status_code in (400, 422)
    listed = client.get(f"/api/map/lockdowns?on={TODAY.isoformat()}", **token_for(staff.commune)).json()
    assert [a["name"] for a in listed] == ["Ấp 5"]
    assert client.get("/api/map/lockdowns/not-a-uuid", **headers).status_code == 404


def test_the_map_pages_render_for_staff_and_the_public(mapped, staff, client):
    assert client.get("/map/").status_code == 302  # log in first
    client.force_login(staff.district)
    page = client.get("/map/").content.decode()
    assert "/api/map/layers/risk" in page and "/api/map/layers/cases" in page
    assert "leaflet/leaflet.js" in page and "//unpkg" not in page and "//cdn" not in page
    assert client.get("/map/lockdowns/").status_code == 200
    assert client.get("/map/lockdowns/new/").status_code == 403  # a district officer only reads levels
    client.force_login(staff.epidemiologist)
    assert client.get("/map/lockdowns/new/").status_code == 200
    xlsx = client.get("/map/lockdowns/?status=all&export=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")


def test_a_drawn_area_is_saved_from_the_page_and_a_bad_one_is_explained(populated, staff, client):
    client.force_login(staff.epidemiologist)
    form = {"name": "Ấp 7", "starts_on": TODAY.isoformat(), "residents": "", "reason": "", "geometry": ""}
    response = client.post("/map/lockdowns/new/", form)
    assert response.status_code == 400 and "Draw the area" in response.content.decode()
    outside = {"type": "Polygon", "coordinates": [[[105.8, 21.0], [105.9, 21.0], [105.9, 21.1], [105.8, 21.0]]]}
    response = client.post("/map/lockdowns/new/", {**form, "geometry": json.dumps(outside)})
    assert response.status_code == 400 and "not inside" in response.content.decode()
    response = client.post("/map/lockdowns/new/", {**form, "geometry": json.dumps(square(populated.commune))})
    area = LockdownArea.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/map/lockdowns/{area.pk}/")
    lifted = client.post(f"/map/lockdowns/{area.pk}/", {"action": "lift", "on": TODAY.isoformat(), "reason": "x"})
    assert lifted.status_code == 400  # not after its first day



# ---- with imported boundaries -----------------------------------------------------------------------------------

@pytest.fixture
def bounded(populated):
    """Every commune of the province with a square boundary of ±0.001° round its centre (imported boundaries)."""
    for commune in AdminUnit.objects.filter(path__startswith=populated.province.path + "/", level=3):
        commune.boundary = square(commune, half=0.001)
        commune.save(update_fields=["boundary"])
    populated.commune.refresh_from_db()
    return populated


def test_with_boundaries_an_area_is_located_and_counted_by_the_part_inside_each_commune(bounded, staff):
    commune = bounded.commune
    half_inside = square(commune, half=0.0005, dx=0.001)  # half of it lies east of the commune's boundary
    area = lockdown_area_create(name="Ấp ven", geometry=half_inside, starts_on=TODAY, by=staff.epidemiologist)
    assert area.unit == commune
    # 10,000 people over the commune's square; the area covers half of a quarter of it: ≈ 1,250 people.
    assert 1_150 <= area.residents_estimate <= 1_350
    gap = {"type": "Polygon", "coordinates": [[[commune.longitude + 0.0015, commune.latitude + 0.0015],
                                               [commune.longitude + 0.0019, commune.latitude + 0.0015],
                                               [commune.longitude + 0.0019, commune.latitude + 0.0019],
                                               [commune.longitude + 0.0015, commune.latitude + 0.0019],
                                               [commune.longitude + 0.0015, commune.latitude + 0.0015]]]}
    with pytest.raises(DomainError) as err:  # between the communes' boundaries: not in the province as imported
        lockdown_area_create(name="Ngoài", geometry=gap, starts_on=TODAY, by=staff.epidemiologist)
    assert err.value.code == "lockdown_outside_province"


def test_with_boundaries_the_risk_layer_draws_polygons(bounded, staff):
    features = map_layer(user=staff.commune, layer="risk")["features"]
    assert [f["geometry"]["type"] for f in features] == ["Polygon"]
    # Districts have no boundary of their own: their communes' make it (squares apart: a MultiPolygon).
    districts = map_layer(user=staff.province, layer="risk", admin_level=2)["features"]
    assert districts and all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in districts)
