"""Test data of the accounts app (factory_boy): staff and citizen log-ins, written with `objects.create`.

    UserFactory(role=Role.COMMUNE_STATION, jurisdiction_unit=units.commune)
    UserFactory(role=Role.CITIZEN, username="0912345678", phone="0912345678")

The root conftest's `make_user(role, unit=…, place=…)` builds on it. Every user's password is PASSWORD unless
given (hashed with the tests' fast hasher, conftest.py)."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory, Password

from lachan.accounts.roles import Role

PASSWORD = "Lachan!2021pw"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = "accounts.User"

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.CITIZEN
    password = Password(PASSWORD)
