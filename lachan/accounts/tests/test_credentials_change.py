"""A changed password or a deactivated account ends the API tokens and the sessions made before."""

import pytest

from lachan.accounts.models import ApiToken, AuditEvent
from lachan.accounts.services import api_token_create


def _api(client, raw):
    return client.get("/api/people/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


@pytest.mark.parametrize("how", ["holder", "admin_form", "command"])
def test_a_new_password_revokes_the_tokens_and_other_sessions(client, staff, how):
    from django.test import Client

    user = staff.district
    _token, raw = api_token_create(user=user, name="scanner")
    other = Client()
    other.force_login(user)
    assert _api(client, raw) == 200 and other.get("/accounts/me/").status_code == 200
    new = "Another!pass2021"
    if how == "holder":
        client.force_login(user)
        response = client.post("/accounts/me/password/",
                               {"old_password": "Lachan!2021pw", "new_password1": new, "new_password2": new})
        assert response.status_code == 302
        client.logout()
    elif how == "admin_form":
        from django.contrib.auth.forms import AdminPasswordChangeForm

        form = AdminPasswordChangeForm(user, {"password1": new, "password2": new})
        assert form.is_valid(), form.errors
        form.save()
    else:
        from unittest import mock

        from django.core.management import call_command

        with mock.patch("getpass.getpass", return_value=new):
            call_command("changepassword", user.username, stdout=open("/dev/null", "w"))
    assert _api(client, raw) == 401
    assert ApiToken.objects.get(user=user).revoked_at is not None
    assert AuditEvent.objects.filter(detail__change="tokens_revoked", detail__reason="password_changed").exists()
    # The other browser's session is over.
    assert other.get("/accounts/me/").status_code == 302


def test_deactivating_anyhow_revokes_the_tokens_and_ends_the_sessions(client, staff):
    from django.test import Client

    user = staff.commune
    _token, raw = api_token_create(user=user, name="phone")
    other = Client()
    other.force_login(user)
    user.is_active = False
    user.save()  # e.g. the Django admin's form, which does not go through user_deactivate
    assert ApiToken.objects.get(user=user).revoked_at is not None
    user.is_active = True
    user.save()
    # Reactivating brings back neither the token nor the session.
    assert _api(client, raw) == 401
    assert other.get("/accounts/me/").status_code == 302


def test_logging_in_and_other_saves_keep_the_tokens(client, staff):
    user = staff.commune
    _token, raw = api_token_create(user=user, name="phone")
    assert client.post("/accounts/login/", {"username": user.username, "password": "Lachan!2021pw"}).status_code == 302
    user.first_name = "Lan"
    user.save()
    assert ApiToken.objects.get(user=user).revoked_at is None and _api(client, raw) == 200
