"""Log-in attempts from one address are limited across accounts (issue 12 item 6): the page says so, in Vietnamese,
on a phone too."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_page_says_to_wait_after_too_many_attempts(phone_page, staff, settings):
    settings.LACHAN_RATE_LIMITS = {"accounts.login.address": (2, 600)}
    page = phone_page
    for username in ("district", "commune", "province"):
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "not the password")
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
    text = page.inner_text("main")
    assert "Thử quá nhiều lần" in text and "phút" in text
    screenshot(page, "login-rate-limited")
    page.fill("#id_password", "Lachan!2021pw")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" in page.url  # still refused from this address until the window ends
