"""/api/accounts/: who am I, my API tokens, and obtaining a token with a user name and password."""

from datetime import datetime, timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from lachan.core.errors import DomainError, PermissionDenied
from lachan.core.middleware import client_ip
from lachan.core.phones import phone_looks_like, phone_parse
from lachan.core.schemas import error_schema
from lachan.geo.api import UNIT_LABEL

from . import services
from .audit import audit_record
from .errors import AccountError
from .models import AuditAction
from .ratelimits import login_rate_check
from .roles import ROLE_PERMISSIONS
from .selectors import DENIAL_THRESHOLD, DENIAL_WINDOW_HOURS, api_tokens_of, denials_repeated

router = Router(tags=["accounts"])
AccountErrorOut = error_schema(AccountError)  # the codes its operations answer, listed in the document

LOGIN_TOKEN_DAYS = 30


class JurisdictionOut(Schema):
    kind: str  # "unit", "place" or "none"
    id: str | None = None
    name: str = ""
    label: str = Field("", description=UNIT_LABEL)
    level: int | None = None
    place_kind: str = ""
    code: str = ""


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    role: str
    role_label: str
    language: str
    phone: str
    two_factor: bool
    permissions: list[str]
    jurisdiction: JurisdictionOut


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    valid: bool


class TokenCreateIn(Schema):
    name: str
    expires_in_days: int | None = None


class TokenCreatedOut(TokenOut):
    token: str


class TokenObtainIn(Schema):
    username: str
    password: str
    otp: str | None = None
    name: str = "API log-in"


def _token_out(token, raw: str | None = None) -> dict:
    data = {
        "id": token.pk, "name": token.name, "prefix": token.prefix, "created_at": token.created_at,
        "last_used_at": token.last_used_at, "expires_at": token.expires_at, "revoked_at": token.revoked_at,
        "valid": token.is_valid,
    }
    if raw is not None:
        data["token"] = raw
    return data


def _require_staff(user) -> None:
    if user.is_citizen:
        raise PermissionDenied(AccountError.STAFF_ONLY, _("Only staff accounts can manage API tokens."))


@router.get("/me", response=MeOut, summary="The calling user, role and jurisdiction")
def me(request):
    user = request.user
    if user.jurisdiction_unit_id:
        unit = user.jurisdiction_unit
        jurisdiction = {"kind": "unit", "id": str(unit.pk), "name": unit.name, "label": unit.label,
                        "level": unit.level, "code": unit.code}
    elif user.jurisdiction_place_id:
        place = user.jurisdiction_place
        jurisdiction = {"kind": "place", "id": str(place.pk), "name": place.name, "label": place.name,
                        "place_kind": place.kind}
    else:
        jurisdiction = {"kind": "none"}
    return {
        "id": user.pk, "username": user.username, "full_name": user.get_full_name(), "role": user.role,
        "role_label": str(user.get_role_display()), "language": user.language, "phone": user.phone,
        "two_factor": services.totp_device_confirmed(user) is not None,
        "permissions": sorted(ROLE_PERMISSIONS.get(user.role, ())), "jurisdiction": jurisdiction,
    }


@router.get("/tokens", response={200: list[TokenOut], 403: AccountErrorOut}, summary="My API tokens")
def tokens_list(request):
    _require_staff(request.user)
    return [_token_out(t) for t in api_tokens_of(request.user)]


@router.post("/tokens", response={201: TokenCreatedOut, 400: AccountErrorOut, 403: AccountErrorOut},
             summary="Create a token (the raw token is in this answer only)")
def tokens_create(request, payload: TokenCreateIn):
    _require_staff(request.user)
    days = payload.expires_in_days
    if days is not None and not 1 <= days <= 730:
        raise DomainError(AccountError.TOKEN_NAME_REQUIRED, _("A token is valid for 1 to 730 days."),
                          field="expires_in_days")
    token, raw = services.api_token_create(
        user=request.user, name=payload.name, expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    return Status(201, _token_out(token, raw))


@router.delete("/tokens/{token_id}", response={204: None, 403: AccountErrorOut, 404: AccountErrorOut}, summary="Revoke a token")
def tokens_revoke(request, token_id: int):
    _require_staff(request.user)
    services.api_token_revoke(token_id=token_id, user=request.user)
    return Status(204, None)


class DenialsOut(Schema):
    username: str
    role: str
    ip: str
    denials: int
    first_at: datetime
    last_at: datetime


@router.get("/audit/denials", response={200: list[DenialsOut], 403: AccountErrorOut},
            summary="Accounts and addresses refused personal data at least `at_least` times in the last `hours`")
def audit_denials(request, hours: int = Query(DENIAL_WINDOW_HOURS, ge=1, le=720),
                  at_least: int = Query(DENIAL_THRESHOLD, ge=1, le=100000)):
    rows = denials_repeated(user=request.user, hours=hours, at_least=at_least)
    audit_record(actor=request.user, action=AuditAction.SEARCH, object_type="audit_event",
                 detail={"denials": True, "hours": hours, "at_least": at_least})
    return [{"username": r["actor_username"], "role": r["actor_role"], "ip": r["ip"], "denials": r["denials"],
             "first_at": r["first_at"], "last_at": r["last_at"]} for r in rows]


@router.post("/auth/token", auth=None, response={201: TokenCreatedOut, 400: AccountErrorOut, 401: AccountErrorOut, 429: AccountErrorOut},
             summary="Obtain a token with user name and password (+ the two-factor code if it is on)")
def token_obtain(request, payload: TokenObtainIn):
    login_rate_check(client_ip(request))  # RateLimited: 429 with Retry-After
    username = payload.username.strip()
    if phone_looks_like(username):
        username = phone_parse(username) or username
    # Through django.contrib.auth.authenticate with the request, so axes counts failures and locks out.
    user = authenticate(request=request, username=username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        raise DomainError(AccountError.LOCKED_OUT, _("Too many failed log-ins: this account is locked for 30 minutes."))
    if user is None:
        exc = DomainError(AccountError.LOGIN_FAILED, _("Wrong user name or password."))
        exc.status = 401
        raise exc
    device = services.totp_device_confirmed(user)
    if device is not None:
        if not payload.otp:
            exc = DomainError(AccountError.OTP_REQUIRED, _("Two-factor log-in is on: send the code as “otp”."),
                              field="otp")
            exc.status = 401
            raise exc
        if not services.totp_verify(device, payload.otp):
            audit_record(actor=None, action=AuditAction.LOGIN_FAILED, object_type="user", object_id=user.pk,
                         detail={"username": user.username, "step": "2fa"})
            exc = DomainError(AccountError.OTP_WRONG, _("The two-factor code is not right."), field="otp")
            exc.status = 401
            raise exc
    token, raw = services.api_token_create(
        user=user, name=payload.name or "API log-in", expires_at=timezone.now() + timedelta(days=LOGIN_TOKEN_DAYS),
    )
    # The same signal as a browser log-in: audit trail, last_login, and axes clears the failures.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return Status(201, _token_out(token, raw))
