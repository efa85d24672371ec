"""Server errors from bad input (issue 12, item 11), each reproduced: none of them may answer 5xx."""

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", [
    {"page": "99999999999999999999"}, {"page": "100000"},
    {"page": "99999999999999999999", "person_id": "00000000-0000-0000-0000-000000000001"}, {"page": "-1"}, {"page": "²"},
    {"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}, {"date_from": "9999-12-31", "date_to": "0001-01-01"},
])
def test_outbox_api_and_audit_page_take_any_page_and_date(client, staff, query):
    client.force_login(staff.province)
    api = client.get("/api/notifications/messages", query)
    assert api.status_code < 500, api.content
    page = client.get("/accounts/audit/", query)
    assert page.status_code < 500


@pytest.mark.parametrize("path", ["/labs/results/", "/map/lockdowns/import/", "/api/labs/results/import",
                                  "/api/map/lockdowns/import", "/units/population/import/"])
def test_multipart_without_a_boundary(client, staff, path, settings):
    """With DEBUG on (a demo) django-ninja answered a body Django cannot read with a 500 and a traceback."""
    settings.DEBUG = True
    client.force_login(staff.province)
    response = client.generic("POST", path, b"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--x--",
                              content_type="multipart/form-data")
    assert response.status_code < 500


@pytest.mark.parametrize("path", ["/cases/?commune=²", "/quarantine/?commune=²", "/labs/dashboard/?days=²",
                                  "/quarantine/alerts/?commune=²", "/labs/?round=²"])
def test_superscript_digits_in_integer_fields(client, staff, path):
    client.force_login(staff.province)
    assert client.get(path).status_code < 500


def test_a_csv_cell_over_131072_characters(client, staff):
    """csv's own field limit stopped the reader with an uncaught csv.Error: the shared reader names the row."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff.province)
    data = ("code,population\n82001," + "9" * 200_000 + "\n").encode()
    response = client.post("/units/population/import/", {"file": SimpleUploadedFile("p.csv", data)})
    assert response.status_code < 500
    assert "Row 2: a cell holds more than" in response.content.decode()


DEEP = b'{"type": "FeatureCollection", "features": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
SQUARE = [[[106.35, 10.35], [106.36, 10.35], [106.36, 10.36], [106.35, 10.36], [106.35, 10.35]]]
NAN_SQUARE = b'{"type": "Polygon", "coordinates": [[[NaN, 10.35], [106.36, 10.35], [106.36, 10.36], [106.35, 10.35]]]}'
PROPERTIES_TEXT = json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": "abc", "geometry": {"type": "Polygon", "coordinates": SQUARE}}]}).encode()


@pytest.mark.parametrize("data", [DEEP, NAN_SQUARE, PROPERTIES_TEXT], ids=["deep", "nan", "properties"])
def test_geojson_nested_deep_with_nan_or_text_properties(client, staff, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff.province)
    page = client.post("/map/lockdowns/import/", {"file": SimpleUploadedFile("a.geojson", data), "starts_on": "2021-08-01"})
    assert page.status_code < 500
    api = client.post("/api/map/lockdowns/import", {"file": SimpleUploadedFile("a.geojson", data),
                                                    "starts_on": "2021-08-01"})
    assert api.status_code == 400, api.content
    body = client.post("/api/map/lockdowns", b'{"name": "x", "starts_on": "2021-08-01", "geometry": '
                       + (data if data is not PROPERTIES_TEXT else b"{}") + b"}", content_type="application/json")
    assert body.status_code in (400, 422), body.content


@pytest.mark.parametrize("data", [DEEP, PROPERTIES_TEXT, json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": "x"}, "geometry": "abc"}, 7]}).encode()])
def test_boundary_import_refuses_bad_geojson_with_a_clear_error(units, data):
    from lachan.core.errors import DomainError
    from lachan.geo.services import admin_unit_boundaries_import

    with pytest.raises(DomainError):
        admin_unit_boundaries_import(tree="2021", data=data)


# ---- JSON read by hand (found by fuzzing the pages and the bodies): one strict reader, lachan.core.jsontext ----

NESTED = "[" * 100_000 + "]" * 100_000
NAN_RING = '{"type": "Polygon", "coordinates": [[[NaN, 10.35], [106.36, 10.35], [106.36, 10.36], [NaN, 10.35]]]}'


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e400", "[" + "9" * 5000 + "]", NESTED,
                                  '{"a": ', b"\xff\xfe{}"])
def test_json_read_refuses_what_is_not_standard_json_with_a_clear_error(text):
    from lachan.core.jsontext import JsonError, json_read

    with pytest.raises(JsonError) as refused:
        json_read(text)
    assert refused.value.message and refused.value.kind in ("syntax", "encoding", "number", "depth")


def test_json_read_reads_json():
    from lachan.core.jsontext import json_read

    assert json_read(b'\xef\xbb\xbf{"a": [1, 2.5, "\xc3\xa2"]}') == {"a": [1, 2.5, "â"]}


@pytest.mark.parametrize("path", ["/api/risk/policies", "/api/risk/compute", "/api/risk/policies/trial"])
def test_risk_bodies_nested_too_deep(client, staff, path):
    """The risk API reads its bodies itself (json_body): RecursionError was a 500."""
    client.force_login(staff.province)
    response = client.post(path, NESTED, content_type="application/json")
    assert response.status_code == 400, response.content[:300]


def test_risk_rules_as_text_nested_too_deep(client, staff):
    client.force_login(staff.province)
    body = json.dumps({"version": "x", "valid_from": "2021-08-01", "rules": "[" * 15_000})
    response = client.post("/api/risk/policies", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]


def test_an_api_body_with_a_control_character_nested_too_deep(client, staff):
    """The input-cleaning middleware parsed such a body first, and let RecursionError through."""
    client.force_login(staff.province)
    response = client.post("/api/cases/clusters", "[" * 100_000 + '"\x01"' + "]" * 100_000, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("geometry", [NESTED, NAN_RING, '{"type": "Polygon", "coordinates": [[[1e400, 10.35]]]}'],
                         ids=["deep", "nan", "infinite"])
def test_a_drawn_lockdown_geometry_nested_deep_or_not_a_number(client, staff, geometry):
    from lachan.risk.models import LockdownArea

    client.force_login(staff.province)
    response = client.post("/map/lockdowns/new/", {"name": "Ấp 1", "starts_on": "2021-08-01", "geometry": geometry})
    assert response.status_code == 400
    assert not LockdownArea.objects.exists()


def test_a_geometry_whose_ring_geos_cannot_close_is_a_shape_error():
    """A NaN never equals itself: GEOS refused the ring with its own exception, which no caller caught."""
    from lachan.geo.shapes import ShapeError, geometry_parse

    nan = float("nan")
    with pytest.raises(ShapeError):
        geometry_parse({"type": "Polygon", "coordinates": [[[nan, 10.35], [106.36, 10.35], [106.36, 10.36],
                                                            [nan, 10.35]]]})


@pytest.mark.parametrize("example", ['{"header_row": Infinity}', '{"header_row": 1e400}', NESTED])
@pytest.mark.parametrize("step", ["save", "refresh"])
def test_the_layout_editor_takes_any_example(client, make_user, units, example, step):
    """The layout editor keeps the example file's headings in a hidden field as JSON: int(Infinity) was a 500."""
    from lachan.accounts.roles import Role
    from lachan.labs.tests.sampling_fixtures import make_lab

    laboratory = make_lab(units.commune)
    client.force_login(make_user(Role.LAB_STAFF, place=laboratory.place))
    response = client.post("/labs/results/layouts/new/", {"step": step, "example": example, "name": "CDC"})
    assert response.status_code < 500


def test_the_page_of_an_order_made_by_a_background_job(client, staff, units):
    """Its history's "by" is nobody: `e.by.get_full_name|default:e.by.username` raised VariableDoesNotExist (500).
    Who did it is shown by one filter (core users|who) on every page with such a column."""
    from datetime import timedelta

    from django.utils import timezone

    from lachan.accounts.actors import system_actor
    from lachan.cases.services import case_confirm
    from lachan.people.models import Person
    from lachan.quarantine.models import OrderKind, Setting
    from lachan.quarantine.orders import order_create

    job = system_actor("quarantine.auto_isolate")
    person = Person.objects.create(full_name="Nguyễn Văn An", commune=units.commune)
    today = timezone.localdate()
    case = case_confirm(person=person, onset_date=today - timedelta(days=2), sample_date=today - timedelta(days=1),
                        origin="community", by=job)
    order = order_create(person=person, kind=OrderKind.ISOLATION, setting=Setting.HOME, case=case, starts_on=today,
                         by=job)
    client.force_login(staff.commune)
    response = client.get(f"/quarantine/orders/{order.pk}/")
    assert response.status_code == 200
    assert "—" in response.content.decode()


def test_who_names_a_user_or_nobody(staff):
    from lachan.accounts.actors import system_actor
    from lachan.core.templatetags.users import who

    staff.district.first_name = "Trần Thị Bình"
    assert who(staff.district) == "Trần Thị Bình"
    assert who(staff.commune) == "commune"
    assert who(None) == "—"
    assert who(system_actor("demo")) == "system:demo"
