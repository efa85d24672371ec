"""Passwords are stored with Argon2id (OWASP's parameters); a PBKDF2 hash written before still logs in and is
re-hashed at that log-in (docs/adr/0005-password-hashing.md)."""

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher, make_password

import lachan.settings as deployment
from lachan.accounts.models import User

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment_hashers(settings):
    settings.PASSWORD_HASHERS = deployment.PASSWORD_HASHERS  # the tests' fast MD5 replaced by the deployment's


def test_a_new_password_is_argon2id_at_owasp_parameters(deployment_hashers):
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert identify_hasher(encoded).verify(PASSWORD, encoded)


def test_a_pbkdf2_password_logs_in_and_is_rehashed_with_argon2id(client, staff, login, deployment_hashers):
    old = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt(), iterations=1000)  # cheap to test
    User.objects.filter(pk=staff.district.pk).update(password=old)
    assert login("district").status_code == 302
    stored = User.objects.get(pk=staff.district.pk).password
    assert stored.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    client.logout()
    assert login("district").status_code == 302  # the new hash checks
    client.logout()
    assert login("district", "not-the-password").status_code == 200
