"""The platform must work in a closed government network: no page loads anything from the internet."""

import re

import pytest

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


@pytest.mark.parametrize("url", ["/accounts/login/", "/api/docs"])
def test_public_pages_load_nothing_from_outside(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    assert not EXTERNAL.findall(response.content.decode())


def test_openapi_document_is_served(client, db):
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert any(path.startswith("/api/people") for path in doc["paths"])
    assert any(path.startswith("/api/geo") for path in doc["paths"])


def test_shell_pages_load_nothing_from_outside(client, staff):
    client.force_login(staff.province)
    response = client.get("/")
    assert response.status_code == 200
    assert not EXTERNAL.findall(response.content.decode())
