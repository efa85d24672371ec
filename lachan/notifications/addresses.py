"""Address checks per channel; phone numbers are read by core.phones, as everywhere."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from lachan.core.errors import DomainError
from lachan.core.phones import phone_parse

from .errors import NotificationError


def normalize_address(channel: str, address: str) -> str:
    """The address in its stored form, or DomainError(bad_address) with a message for the user."""
    address = (address or "").strip()
    if channel == "email":
        try:
            validate_email(address)
        except ValidationError:
            raise DomainError(
                NotificationError.BAD_ADDRESS, _("“%(address)s” is not a valid e-mail address.") % {"address": address},
                field="to",
            ) from None
        local, _at, domain = address.rpartition("@")
        return f"{local}@{domain.lower()}"
    if channel == "sms":
        phone = phone_parse(address)
        if phone is None:
            raise DomainError(
                NotificationError.BAD_ADDRESS,
                _("“%(address)s” is not a Vietnamese mobile number (10 digits starting with 03, 05, 07, 08 or 09).")
                % {"address": address},
                field="to",
            )
        return phone
    return address
