"""Address checks per channel. A local phone check: notifications must not import lachan.people."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from lachan.core.errors import DomainError

from .errors import NotificationError

_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
# Vietnamese mobiles since 2018: 10 digits, prefixes 03, 05, 07, 08, 09.
_VN_MOBILE = re.compile(r"0[35789]\d{8}")


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
        phone = _PHONE_SEPARATORS.sub("", address)
        if phone.startswith("+84"):
            phone = "0" + phone[3:]
        elif phone.startswith("84") and len(phone) == 11:
            phone = "0" + phone[2:]
        if not _VN_MOBILE.fullmatch(phone):
            raise DomainError(
                NotificationError.BAD_ADDRESS,
                _("“%(address)s” is not a Vietnamese mobile number (10 digits starting with 03, 05, 07, 08 or 09).")
                % {"address": address},
                field="to",
            )
        return phone
    return address
