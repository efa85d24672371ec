"""The platform's own error pages (issue 12 item 23): what happened and where to go, never Django's bare
"403 Forbidden" or its debug 404 listing every URL pattern; JSON in the API's error schema under /api/."""

import re

import pytest
from django.test import Client, RequestFactory

from lachan.accounts.roles import Role

pytestmark = pytest.mark.django_db
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")


def assert_platform_page(response, status, title):
    assert response.status_code == status
    html = response.content.decode()
    assert 'data-testid="error-page"' in html and title in html
    assert "web/app.css" in html  # the platform's layout
    for debug in ("URLconf", "urlpatterns", "Django tried", "Forbidden", "CSRF verification failed"):
        assert debug not in html
    assert not INLINE_SCRIPT.search(html) and " onclick=" not in html  # the Content-Security-Policy allows none
    return html


@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_address_gets_the_platforms_404_even_with_debug(client, settings, debug):
    settings.DEBUG = debug
    html = assert_platform_page(client.get("/no-such-page/"), 404, "Page not found")
    assert 'href="/accounts/login/"' in html  # somewhere to go
    assert "admin/" not in html and "ket-qua/phieu" not in html


def test_a_record_not_found_in_a_view_gets_the_same_page(client, settings, staff):
    settings.DEBUG = True
    client.force_login(staff.commune)
    html = assert_platform_page(client.get("/quarantine/orders/00000000-0000-0000-0000-000000000000/"), 404,
                                "Page not found")
    assert 'data-testid="error-home"' in html


def test_the_api_keeps_its_error_schema(client, settings):
    from lachan.web import errors

    for debug in (True, False):
        settings.DEBUG = debug
        response = client.get("/api/no-such-operation")
        assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
        assert response.json() == {"code": "not_found", "message": "Page not found"}
    response = errors.server_error(RequestFactory().get("/api/cases"))
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")


def test_a_role_without_the_permission_gets_the_platforms_403(client, units, make_user):
    client.force_login(make_user(Role.VENUE_OWNER))
    html = assert_platform_page(client.get("/quarantine/"), 403, "You may not open this page")
    assert "ask your administrator" in html


def test_a_refused_csrf_check_says_what_to_do(units, make_user):
    client = Client(enforce_csrf_checks=True)
    html = assert_platform_page(client.post("/accounts/login/", {"username": "x", "password": "y"}), 403,
                                "This form has expired")
    assert "reload the page" in html


def test_a_bad_request_and_a_server_error(client, settings):
    from lachan.web import errors

    settings.ALLOWED_HOSTS = ["testserver"]
    assert_platform_page(client.get("/", HTTP_HOST="evil.example"), 400, "The request could not be read")
    response = errors.server_error(RequestFactory().get("/cases/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and "web/app.css" in html and not INLINE_SCRIPT.search(html)
