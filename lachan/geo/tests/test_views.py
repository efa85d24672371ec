import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lachan.accounts.roles import Role


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff.province)
    return client


def test_units_page_lists_the_province_tree(admin_client, units):
    page = admin_client.get("/units/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Thành phố Mỹ Tho" in html and units.commune.name in html
    table = admin_client.get("/units/", {"parent": "816"}).content.decode().split('data-testid="units-table"')[1]
    assert units.other_district.name in table and units.other_commune.code in table
    assert "Thành phố Mỹ Tho" not in table and f">{units.commune.code}<" not in table


def test_population_edit_needs_the_permission_and_validates(client, admin_client, staff, units):
    url = f"/units/{units.commune.code}/population/"
    assert admin_client.post(url, {"population": "12.345", "year": "2021"}).status_code == 302
    units.commune.refresh_from_db()
    assert units.commune.population == 12345 and units.commune.population_year == 2021
    admin_client.post(url, {"population": "nhiều"})
    units.commune.refresh_from_db()
    assert units.commune.population == 12345  # refused, unchanged
    client.force_login(staff.commune)
    assert client.post(url, {"population": "1"}).status_code == 403


def test_population_import_page_reports_rows_and_applies_nothing_on_error(admin_client, units):
    bad = SimpleUploadedFile("p.csv", f"code,population\n{units.commune.code},100\n99999,5\n".encode())
    page = admin_client.post("/units/population/import/", {"file": bad})
    assert page.status_code == 200 and "row 3" in page.content.decode()
    units.commune.refresh_from_db()
    assert units.commune.population is None
    good = SimpleUploadedFile("p.csv", f"code,population\n{units.commune.code},100\n".encode())
    assert admin_client.post("/units/population/import/", {"file": good, "year": "2021"}).status_code == 302
    units.commune.refresh_from_db()
    assert units.commune.population == 100


def test_export_and_citizens(admin_client, client, make_user):
    response = admin_client.get("/units/export/")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(make_user(Role.CITIZEN, username="0912345678"))
    assert client.get("/units/").status_code == 404


def test_population_edit_does_not_redirect_outside_the_site(admin_client, units):
    url = f"/units/{units.commune.code}/population/"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = admin_client.post(url, {"population": "10", "next": target})
        assert response.status_code == 302 and response["Location"] == "/units/"
    assert admin_client.post(url, {"population": "10", "next": "/units/?parent=1"})["Location"] == "/units/?parent=1"
