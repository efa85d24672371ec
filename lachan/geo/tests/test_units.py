import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lachan.core.errors import DomainError, ValidationFailed
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.geo.official_units import official_units, province_codes
from lachan.geo.services import admin_unit_boundaries_import, admin_unit_populations_import, admin_units_load


def test_both_official_trees_are_complete():
    assert len(province_codes("2025")) == 34
    assert len(province_codes("2021")) == 63
    current = list(official_units("2025"))
    assert sum(u.level == AdminLevel.COMMUNE for u in current) == 3321
    assert not any(u.level == AdminLevel.DISTRICT for u in current)  # two levels since 07/2025


def test_tien_giang_2021_tree_is_loaded_with_codes_and_coordinates(units):
    assert units.province.name == "Tỉnh Tiền Giang"
    assert units.province.path == "2021/82"
    assert units.district.name == "Thành phố Mỹ Tho" and units.district.level == AdminLevel.DISTRICT
    assert AdminUnit.objects.filter(tree="2021", parent__parent=units.province).count() > 150
    assert AdminUnit.objects.filter(tree="2021", level=AdminLevel.DISTRICT, parent=units.province).count() == 11
    assert units.commune.path.startswith("2021/82/815/")
    assert units.commune.latitude and 9 < units.commune.latitude < 11


def test_loading_twice_changes_nothing_and_keeps_populations(units):
    units.commune.population = 12345
    units.commune.save()
    assert admin_units_load(tree="2021", province_code="82") == 0
    units.commune.refresh_from_db()
    assert units.commune.population == 12345


def test_unknown_province_or_tree_is_refused(db):
    with pytest.raises(DomainError) as err:
        admin_units_load(tree="2021", province_code="99")
    assert err.value.code == "geo_unknown_province"
    with pytest.raises(DomainError):
        admin_units_load(tree="1999", province_code="82")


def test_population_import_applies_all_rows_or_none(units):
    good = f"code,population\n{units.commune.code},8000\n{units.commune2.code},\"9.500\"\n".encode()
    report = admin_unit_populations_import(tree="2021", data=good, year=2021, source="census")
    assert report.applied == 2
    units.commune2.refresh_from_db()
    assert units.commune2.population == 9500 and units.commune2.population_year == 2021

    bad = f"code,population\n{units.commune.code},1\n99999,5\n{units.commune2.code},many\n".encode()
    with pytest.raises(ValidationFailed) as err:
        admin_unit_populations_import(tree="2021", data=bad)
    assert [e.field for e in err.value.errors] == ["row 3", "row 4"]
    units.commune.refresh_from_db()
    assert units.commune.population == 8000  # the good row was not applied either


def test_population_import_rejects_wrong_columns_and_unreadable_files(units):
    with pytest.raises(DomainError):
        admin_unit_populations_import(tree="2021", data=b"ma,dan_so\n1,2\n")
    with pytest.raises(DomainError, match="encoding"):
        admin_unit_populations_import(tree="2021", data="code,population\n".encode("gb18030") + "人口普查".encode("gb18030"))
    with pytest.raises(DomainError, match="empty"):
        admin_unit_populations_import(tree="2021", data=b"")


def test_population_import_reads_what_excel_saves(units):
    """Windows-1258 and UTF-16 (tab-separated) CSV, and workbooks: as the other imports read them (issue 13)."""
    from openpyxl import Workbook

    sheet = f"code\tpopulation\tghi chú\n{units.commune.code}\t7000\tĐiều tra\n".encode("utf-16")
    assert admin_unit_populations_import(tree="2021", data=sheet).applied == 1
    windows = f"code;population;nguo\u0300n\n{units.commune.code};7100;Tô\u0309ng cu\u0323c\n".encode("cp1258")
    assert admin_unit_populations_import(tree="2021", data=windows).applied == 1
    book = Workbook()
    book.active.append(["code", "population"])
    book.active.append([units.commune2.code, 9500.0])
    out = io.BytesIO()
    book.save(out)
    assert admin_unit_populations_import(tree="2021", data=out.getvalue()).applied == 1
    units.commune.refresh_from_db()
    units.commune2.refresh_from_db()
    assert (units.commune.population, units.commune2.population) == (7100, 9500)


def _square(lon, lat, d=0.01):
    return [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]


def test_boundaries_import_and_bad_geojson(units, tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": units.commune.code},
         "geometry": {"type": "Polygon", "coordinates": _square(106.36, 10.35)}},
    ]}
    assert admin_unit_boundaries_import(tree="2021", data=json.dumps(doc).encode()) == 1
    units.commune.refresh_from_db()
    assert units.commune.boundary["type"] == "Polygon"

    doc["features"].append({"type": "Feature", "properties": {"code": units.commune2.code},
                            "geometry": {"type": "Polygon", "coordinates": [[[106, 10], [107, 10]]]}})
    with pytest.raises(ValidationFailed):
        admin_unit_boundaries_import(tree="2021", data=json.dumps(doc).encode())
    units.commune2.refresh_from_db()
    assert units.commune2.boundary is None
    with pytest.raises(DomainError):
        admin_unit_boundaries_import(tree="2021", data=b"{not json")
    with pytest.raises(DomainError):
        admin_unit_boundaries_import(tree="2021", data=b'{"type": "Feature"}')

    path = tmp_path / "b.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ma": "00000"}, "geometry": {"type": "Polygon", "coordinates": _square(1, 1)}}]}))
    with pytest.raises(CommandError):
        call_command("geo_import_boundaries", str(path), "--code-property", "ma")


def test_units_api_is_typed_and_needs_authentication(units, client, staff):
    assert client.get("/api/geo/units?parent=82").status_code == 401
    client.force_login(staff.commune)
    data = client.get("/api/geo/units?parent=82").json()
    assert len(data) == 11 and {d["level"] for d in data} == {2}
    one = client.get(f"/api/geo/units/{units.commune.code}").json()
    assert one["parent_code"] == "815"
    missing = client.get("/api/geo/units/00000")
    assert missing.status_code == 404 and missing.json()["code"] == "geo_unknown_unit"
