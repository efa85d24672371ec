"""Issue 12 item 23: registration's password messages were in English in the Vietnamese interface."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation


@pytest.mark.parametrize("password", ["1234", "abc", "password"])
def test_password_messages_are_vietnamese(password):
    with translation.override("vi"), pytest.raises(ValidationError) as raised:
        validate_password(password)
    messages = raised.value.messages
    assert messages and not any(m.startswith(("This password", "The password", "Your password")) for m in messages)
    assert any("Mật khẩu" in m for m in messages)
