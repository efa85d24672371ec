import pytest
from axes.models import AccessAttempt

from lachan.accounts.models import AuditAction, AuditEvent, User
from lachan.accounts.roles import Role

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_staff_logs_in_with_user_name_and_is_audited(client, staff, login):
    response = login("district")
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/accounts/me/").status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert event.actor_id == staff.district.pk and event.actor_username == "district"
    assert event.ip == "127.0.0.1" and event.channel == "web"


@pytest.mark.parametrize("typed", ["0912345678", "+84912345678", "+84 912 345 678", "0912.345.678", "84912345678",
                                   "0084912345678", "0912/345/678"])
def test_citizen_logs_in_with_phone_in_any_usual_form(client, make_user, login, typed):
    make_user(Role.CITIZEN, username="0912345678", phone="0912345678")
    response = login(typed)
    assert response.status_code == 302
    assert client.get("/accounts/me/").context["user"].username == "0912345678"


def test_wrong_password_is_audited_with_user_name_never_the_password(client, staff, login):
    response = login("district", "not-the-password")
    assert response.status_code == 200
    assert "form" in response.context and response.context["form"].errors
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.detail["username"] == "district"
    assert event.actor is None
    assert "not-the-password" not in str(event.detail) and "not-the-password" not in str(event.__dict__)


def test_logout_is_audited(client, staff, login):
    login("commune")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=staff.commune).count() == 1
    assert client.get("/accounts/me/").status_code == 302


def test_five_failures_lock_the_account_for_this_address(client, staff, login):
    for _ in range(4):
        assert login("district", "wrong-password").status_code == 200
    fifth = login("district", "wrong-password")
    assert fifth.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in fifth.templates]
    # Now even the right password is refused, and the session is not logged in.
    locked = login("district", PASSWORD)
    assert locked.status_code == 429
    assert client.get("/accounts/me/").status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, detail__locked_out=True).exists()
    # Another user from the same address is not locked (lock-out is per user name + address).
    assert login("commune").status_code == 302


def test_lockout_counts_phone_forms_as_one_user_name(client, make_user, login):
    make_user(Role.CITIZEN, username="0912345678", phone="0912345678")
    forms = ["0912345678", "+84912345678", "0912 345 678", "84912345678", "+84 912345678"]
    responses = [login(f, "wrong-password") for f in forms]
    assert responses[-1].status_code == 429
    assert login("0912345678").status_code == 429


def test_successful_login_resets_the_failures(client, staff, login):
    for _ in range(4):
        login("district", "wrong-password")
    assert login("district").status_code == 302
    assert not AccessAttempt.objects.filter(username="district").exists()
    client.post("/accounts/logout/")
    for _ in range(4):
        assert login("district", "wrong-password").status_code == 200
    assert login("district").status_code == 302


def test_unlock_by_administrator(client, staff, login):
    for _ in range(5):
        login("district", "wrong-password")
    assert login("district").status_code == 429
    client.force_login(staff.province)
    response = client.post("/accounts/users/unlock/", {"username": "district"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.SECURITY, detail__change="unlocked").exists()
    client.logout()
    assert login("district").status_code == 302


def test_inactive_user_cannot_log_in(client, staff, login):
    User.objects.filter(pk=staff.district.pk).update(is_active=False)
    assert login("district").status_code == 200
    assert client.get("/accounts/me/").status_code == 302


def test_language_preference_switches_the_ui(client, staff):
    client.force_login(staff.district)
    response = client.post("/accounts/me/language/", {"language": "en"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    staff.district.refresh_from_db()
    assert staff.district.language == "en"
    assert client.get("/accounts/me/").context["LANGUAGE_CODE"] == "en"
    assert client.post("/accounts/me/language/", {"language": "xx"}).status_code == 302
    staff.district.refresh_from_db()
    assert staff.district.language == "en"


def test_login_sets_the_users_language(client, make_user, login, units):
    make_user(Role.COMMUNE_STATION, unit=units.commune, username="eng", language="en")
    response = login("eng")
    assert response.cookies["django_language"].value == "en"


def test_password_change(client, staff):
    client.force_login(staff.commune)
    bad = client.post("/accounts/me/password/", {"old_password": "wrong", "new_password1": "x", "new_password2": "x"})
    assert bad.status_code == 200 and bad.context["form"].errors
    ok = client.post("/accounts/me/password/", {
        "old_password": PASSWORD, "new_password1": "Another!Pass2022", "new_password2": "Another!Pass2022"})
    assert ok.status_code == 302
    staff.commune.refresh_from_db()
    assert staff.commune.check_password("Another!Pass2022")
    assert AuditEvent.objects.filter(action=AuditAction.SECURITY, detail__change="password_changed").exists()
    assert client.get("/accounts/me/").status_code == 200  # still logged in


def test_citizen_me_page_has_no_tokens_or_two_factor(client, make_user):
    citizen = make_user(Role.CITIZEN, username="0912345678", phone="0912345678")
    client.force_login(citizen)
    response = client.get("/accounts/me/")
    assert response.status_code == 200
    assert "tokens" not in response.context
    assert client.get("/accounts/me/two-factor/").status_code == 403
    assert client.post("/accounts/me/tokens/", {"name": "x"}).status_code == 403


def test_log_in_attempts_limited_per_address_across_accounts(client, staff, settings, make_user):
    """Axes locks one user name at one address; spraying one password over many accounts is limited per address."""
    settings.LACHAN_RATE_LIMITS = {"accounts.login.address": (4, 600)}
    for username in ("province", "cdc", "district", "commune"):
        response = client.post("/accounts/login/", {"username": username, "password": "Summer2021!"},
                               REMOTE_ADDR="198.51.100.4")
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"username": "district", "password": PASSWORD}, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode() and "_auth_user_id" not in client.session
    # the API's token log-in counts with the page
    answer = client.post("/api/accounts/auth/token", {"username": "district", "password": PASSWORD},
                         content_type="application/json", REMOTE_ADDR="198.51.100.4")
    assert answer.status_code == 429 and answer.json()["code"] == "login_rate_limited" and answer["Retry-After"]
    # someone else, elsewhere, logs in
    assert client.post("/accounts/login/", {"username": "district", "password": PASSWORD},
                       REMOTE_ADDR="203.0.113.8").status_code == 302
