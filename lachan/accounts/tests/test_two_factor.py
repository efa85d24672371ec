import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from lachan.accounts.models import AuditAction, AuditEvent

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(staff):
    """The district officer with a confirmed authenticator."""
    return TOTPDevice.objects.create(user=staff.district, name="authenticator", confirmed=True)


def test_enrolment_shows_qr_and_secret_and_needs_a_first_code(client, staff, totp_code):
    client.force_login(staff.district)
    page = client.get("/accounts/me/two-factor/")
    assert page.status_code == 200 and page.context["pending"] is None
    client.post("/accounts/me/two-factor/", {"action": "start"})
    page = client.get("/accounts/me/two-factor/")
    device = page.context["pending"]
    assert device is not None and not device.confirmed
    html = page.content.decode()
    assert "<svg" in html and page.context["secret"] in html
    assert "otpauth://totp/" in device.config_url
    # Not active before it is confirmed.
    assert not TOTPDevice.objects.filter(user=staff.district, confirmed=True).exists()
    wrong = client.post("/accounts/me/two-factor/", {"action": "confirm", "code": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert not TOTPDevice.objects.filter(user=staff.district, confirmed=True).exists()
    ok = client.post("/accounts/me/two-factor/", {"action": "confirm", "code": totp_code(device)})
    assert ok.status_code == 302
    assert TOTPDevice.objects.get(user=staff.district).confirmed
    assert AuditEvent.objects.filter(action=AuditAction.SECURITY, detail__change="2fa_enabled").exists()
    # The session that enrolled stays usable.
    assert client.get("/accounts/me/").status_code == 200


def test_login_with_two_factor_needs_the_code(client, enrolled, login, totp_code):
    response = login("district", next="/accounts/me/")
    assert response.status_code == 302 and response.url == "/accounts/login/code/"
    # After the password alone the session is not logged in.
    assert client.get("/accounts/me/").status_code == 302
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()
    wrong = client.post("/accounts/login/code/", {"code": "123456"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, detail__step="2fa").exists()
    ok = client.post("/accounts/login/code/", {"code": totp_code(enrolled)})
    assert ok.status_code == 302 and ok.url == "/accounts/me/"
    assert client.get("/accounts/me/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=enrolled.user).count() == 1


def test_code_step_gives_up_after_five_wrong_codes(client, enrolled, login, totp_code):
    login("district")
    for _ in range(4):
        assert client.post("/accounts/login/code/", {"code": "000000"}).status_code == 200
    fifth = client.post("/accounts/login/code/", {"code": "000000"})
    assert fifth.status_code == 302 and fifth.url == "/accounts/login/"
    # The pending log-in is gone: a right code now leads back to the password.
    assert client.post("/accounts/login/code/", {"code": totp_code(enrolled)}).url == "/accounts/login/"
    assert client.get("/accounts/me/").status_code == 302


def test_code_step_without_password_redirects(client):
    assert client.get("/accounts/login/code/").url == "/accounts/login/"


def test_an_unverified_session_is_sent_to_the_code_step(client, enrolled, totp_code):
    # A session logged in before the device was added (e.g. in another browser).
    client.force_login(enrolled.user)
    response = client.get("/accounts/me/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/code/")
    assert client.get("/").url.startswith("/accounts/login/code/")
    # The API does not accept that session either.
    assert client.get("/api/accounts/me").status_code == 401
    ok = client.post("/accounts/login/code/?next=/accounts/me/", {"code": totp_code(enrolled)})
    assert ok.url == "/accounts/me/"
    assert client.get("/accounts/me/").status_code == 200
    assert client.get("/api/accounts/me").status_code == 200


def test_api_token_auth_is_not_affected_by_two_factor(client, enrolled):
    from lachan.accounts.services import api_token_create

    _, raw = api_token_create(user=enrolled.user, name="script")
    response = client.get("/api/accounts/me", headers={"authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and response.json()["two_factor"] is True


def test_turning_off_needs_a_current_code(client, enrolled, totp_code):
    client.force_login(enrolled.user)
    client.post("/accounts/login/code/", {"code": totp_code(enrolled)})
    wrong = client.post("/accounts/me/two-factor/", {"action": "disable", "code": "111111"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert TOTPDevice.objects.filter(user=enrolled.user).exists()
    ok = client.post("/accounts/me/two-factor/", {"action": "disable", "code": totp_code(enrolled, drift=1)})
    assert ok.status_code == 302
    assert not TOTPDevice.objects.filter(user=enrolled.user).exists()
    assert AuditEvent.objects.filter(action=AuditAction.SECURITY, detail__change="2fa_disabled").exists()


def test_api_obtain_token_with_two_factor(client, enrolled, totp_code):
    url = "/api/accounts/auth/token"
    no_code = client.post(url, {"username": "district", "password": PASSWORD}, content_type="application/json")
    assert no_code.status_code == 401 and no_code.json()["code"] == "otp_required"
    bad = client.post(url, {"username": "district", "password": PASSWORD, "otp": "000000"},
                      content_type="application/json")
    assert bad.status_code == 401 and bad.json()["code"] == "otp_wrong"
    ok = client.post(url, {"username": "district", "password": PASSWORD, "otp": totp_code(enrolled)},
                     content_type="application/json")
    assert ok.status_code == 201
    raw = ok.json()["token"]
    assert client.get("/api/accounts/me", headers={"authorization": f"Bearer {raw}"}).json()["username"] == "district"
