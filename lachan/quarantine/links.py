"""The signed link of an order's phone page: `/quarantine/p/<token>/`, sent by SMS (order_notify).

The person opens it with no log-in, sees their order and answers the daily check-in; the citizen app may use
the same token with the API (/api/quarantine/link/<token>/...). The token is `<order id>.<signature>`: the
order's uuid in URL-safe base64 (22 characters) and an HMAC of it (Django signing: SECRET_KEY and its
fallbacks, salt "lachan.quarantine.link") cut to 22 characters (132 bits), so it cannot be guessed or made
to point at another order. It does not expire: it is only good for an order in force (the pages and the API
refuse reports for an ended order), and a leaked link reveals one order, not a person's other records."""

from __future__ import annotations

import base64
import binascii
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from lachan.core.errors import DomainError

from .errors import QuarantineErrorCode
from .models import Order

SALT = "lachan.quarantine.link"
SIGNATURE_LENGTH = 22
MAX_TOKEN = 80


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signature(body: str, key) -> str:
    return signing.base64_hmac(SALT + "signer", body, key, algorithm="sha256")[:SIGNATURE_LENGTH]


def _keys() -> list:
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def link_token(order: Order | UUID) -> str:
    order_id = order.pk if isinstance(order, Order) else order
    body = _b64(order_id.bytes)
    return f"{body}.{_signature(body, settings.SECRET_KEY)}"


def link_path(order: Order | UUID) -> str:
    return reverse("quarantine:phone", args=[link_token(order)])


def _invalid() -> DomainError:
    return DomainError(QuarantineErrorCode.LINK_INVALID,
                       _("This link is not valid: it was not sent by Lá Chắn, or it is incomplete."), field="token")


def link_order_id(token: str) -> UUID:
    """The order id of a genuine token; DomainError LINK_INVALID (never a crash) for anything else."""
    token = str(token or "").strip().strip("/")
    if "/p/" in token:  # a whole pasted address
        token = token.rsplit("/p/", 1)[1].strip("/")
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        raise _invalid()
    body, sep, signature = token.rpartition(".")
    if not sep or not body or not any(constant_time_compare(signature, _signature(body, key)) for key in _keys()):
        raise _invalid()
    try:
        return UUID(bytes=base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, binascii.Error):  # signed but not one of ours
        raise _invalid() from None


def link_order(token: str, *, for_update: bool = False) -> Order:
    """The order behind a link (any status: an ended order's page says it has ended)."""
    order_id = link_order_id(token)
    queryset = Order.objects.select_related("person", "policy", "commune")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    order = queryset.filter(pk=order_id).first()
    if order is None:
        raise _invalid()
    return order
