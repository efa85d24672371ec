"""Signed QR codes: `/c/<code>.<signature>`. The signature is an HMAC (Django signing, SECRET_KEY,
salt "lachan.venue-qr") over the venue code, cut to 16 characters (96 bits) so the QR stays small;
a printed poster cannot be altered to point at another venue."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from lachan.core.caching import TTLCache
from lachan.core.errors import DomainError, NotFound

from .errors import VenueErrorCode
from .models import Venue, new_venue_code
from .sql import venues_by_code

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
    found = qr_verify_many([token])[token]
    if isinstance(found, DomainError):
        raise found
    return found


def _code_of(token: str, keys: list) -> str:
    token = (token or "").strip()
    if "/c/" in token:  # a whole scanned URL
        token = token.rsplit("/c/", 1)[1]
    token = token.strip("/")
    code, sep, signature = token.rpartition(".")
    if not sep or not code or not signature or len(token) > MAX_TOKEN or not token.isascii():
        raise DomainError(VenueErrorCode.QR_MALFORMED, _("This is not a Lá Chắn venue code."), field="qr")
    if not any(constant_time_compare(signature, _signature(code, key)) for key in keys):
        raise DomainError(VenueErrorCode.QR_FORGED, _("This venue code is not genuine. Do not check in with it."), field="qr")
    return code


# A venue scanned at the door is scanned again a few seconds later: each web process keeps the venues it has
# read for a few seconds (a change made in another process, e.g. a venue closed, is seen within that time).
VENUE_CACHE_SECONDS = 10
_venue_cache = TTLCache(VENUE_CACHE_SECONDS, maxsize=50_000)


def _venues_cached(codes: set[str]) -> dict[str, Venue]:
    found, missing = {}, set()
    for code in codes:
        venue = _venue_cache.peek(code)
        if venue is None:
            missing.add(code)
        else:
            found[code] = venue
    for code, venue in venues_by_code(missing).items():
        _venue_cache.put(code, venue)
        found[code] = venue
    return found


def venue_cache_clear(**_kwargs) -> None:
    """Connected to saves of venues and places: this process sees its own changes at once."""
    _venue_cache.clear()


def qr_verify_many(tokens: list[str]) -> dict[str, Venue | DomainError]:
    """Each distinct token's venue (place and commune loaded) or its error, with one query for all."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    codes: dict[str, str | DomainError] = {}
    for token in dict.fromkeys(tokens):
        try:
            codes[token] = _code_of(token, keys)
        except DomainError as exc:
            codes[token] = exc
    venues = _venues_cached({c for c in codes.values() if isinstance(c, str)})
    result: dict[str, Venue | DomainError] = {}
    for token, code in codes.items():
        venue = venues.get(code) if isinstance(code, str) else None
        if isinstance(code, DomainError):
            result[token] = code
        elif venue is None:
            result[token] = NotFound(VenueErrorCode.QR_UNKNOWN, _("This venue is no longer registered."), field="qr")
        elif not venue.place.is_active:
            result[token] = DomainError(VenueErrorCode.INACTIVE, _("This venue is closed."), field="qr")
        else:
            result[token] = venue
    return result
