"""The log-in page and the dashboard shell, as a person sees them."""

import pytest

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_page_renders_in_vietnamese_and_switches_to_english(page):
    page.goto("/")
    assert "/accounts/login/" in page.url
    screenshot(page, "login-vi")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.click("button[name=language][value=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Log in"


def test_wrong_password_is_refused_with_a_message(page, staff):
    login(page, "commune", "wrong-password")
    assert "/accounts/login/" in page.url
    assert page.locator(".errorlist, .errornote, .messages").count() >= 1


def test_dashboard_shell_lists_every_capability(page, staff):
    login(page, "province")
    nav = page.locator("nav.sidenav a")
    titles = nav.all_inner_texts()
    assert len(titles) >= 13
    screenshot(page, "dashboard-province")


def test_shell_works_on_a_phone(phone_page, staff):
    login(phone_page, "commune")
    assert phone_page.locator("nav.sidenav").is_hidden()
    phone_page.click(".nav-toggle")
    assert phone_page.locator("nav.sidenav").is_visible()
    screenshot(phone_page, "dashboard-phone")


def test_error_pages_in_the_platforms_style(page, phone_page, settings, staff):
    """Issue 12 item 23: not Django's bare "403 Forbidden" nor its debug 404 listing every URL, even with DEBUG."""
    from lachan.accounts.roles import Role

    settings.DEBUG = True
    page.goto("/khong-co-trang-nay/")
    assert page.locator("[data-testid=error-page] h1").inner_text() == "Không tìm thấy trang"
    assert "urlpatterns" not in page.content() and page.locator("[data-testid=error-login]").count() == 1
    screenshot(page, "error-404")
    from lachan.accounts.models import User

    owner = User(username="chuquan", role=Role.VENUE_OWNER)
    owner.set_password("Lachan!2021pw")
    owner.save()
    login(phone_page, "chuquan")
    response = phone_page.goto("/quarantine/")
    assert response.status == 403
    assert phone_page.locator("[data-testid=error-page] h1").inner_text() == "Bạn không có quyền mở trang này"
    phone_page.click("[data-testid=error-home]")
    phone_page.wait_for_load_state("networkidle")
    assert not phone_page.locator("[data-testid=error-page]").count()
    phone_page.goto("/quarantine/")
    screenshot(phone_page, "error-403-phone")
