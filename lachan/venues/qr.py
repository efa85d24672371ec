"""Signed QR codes: `/c/<code>.<signature>`. The signature is an HMAC (Django signing, SECRET_KEY,
salt "lachan.venue-qr") over the venue code, cut to 16 characters (96 bits) so the QR stays small;
a printed poster cannot be altered to point at another venue."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from lachan.core.errors import DomainError, NotFound

from .errors import VenueErrorCode
from .models import Venue, new_venue_code

SALT = "lachan.venue-qr"
SIGNATURE_LENGTH = 16
MAX_TOKEN = 64


def _signature(code: str, key) -> str:
    return signing.base64_hmac(SALT + "signer", code, key, algorithm="sha256")[:SIGNATURE_LENGTH]


def venue_code_ensure(venue: Venue) -> str:
    """The venue's code, giving it one if it was bulk-loaded without."""
    if not venue.code:
        venue.code = new_venue_code()
        Venue.objects.filter(pk=venue.pk, code__isnull=True).update(code=venue.code)
        venue.refresh_from_db(fields=["code"])
    return venue.code


def qr_token(venue: Venue) -> str:
    code = venue_code_ensure(venue)
    return f"{code}.{_signature(code, settings.SECRET_KEY)}"


def qr_path(venue: Venue) -> str:
    return f"/c/{qr_token(venue)}"


def qr_verify(token: str) -> Venue:
    """The venue of a scanned token; a DomainError (never a crash) for malformed, forged or unknown."""
    token = (token or "").strip()
    if "/c/" in token:  # a whole scanned URL
        token = token.rsplit("/c/", 1)[1]
    token = token.strip("/")
    code, sep, signature = token.rpartition(".")
    if not sep or not code or not signature or len(token) > MAX_TOKEN or not token.isascii():
        raise DomainError(VenueErrorCode.QR_MALFORMED, _("This is not a Lá Chắn venue code."), field="qr")
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(constant_time_compare(signature, _signature(code, key)) for key in keys):
        raise DomainError(VenueErrorCode.QR_FORGED, _("This venue code is not genuine. Do not check in with it."), field="qr")
    venue = Venue.objects.select_related("place", "place__commune").filter(code=code).first()
    if venue is None:
        raise NotFound(VenueErrorCode.QR_UNKNOWN, _("This venue is no longer registered."), field="qr")
    if not venue.place.is_active:
        raise DomainError(VenueErrorCode.INACTIVE, _("This venue is closed."), field="qr")
    return venue
