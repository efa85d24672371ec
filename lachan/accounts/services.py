"""Writes of the accounts domain: jurisdictions, staff accounts, API tokens, two-factor devices,
citizen self-registration."""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from lachan.core import request_context
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.core.numbers import is_ascii_digits
from lachan.core.phones import phone_parse
from lachan.core.ratelimit import GLOBAL, Rate, RateLimited, address_key, rate_check, rate_named
from lachan.geo.models import AdminLevel, AdminUnit, Place
from lachan.notifications.services import notification_queue

from .actors import is_person, is_system
from .audit import audit_record
from .errors import AccountError
from .models import ApiToken, AuditAction, PhoneVerification, User
from .roles import ROLE_JURISDICTION, Perm, Role
from .signals import citizen_registered

_LEVEL_OF_KIND = {"province": AdminLevel.PROVINCE, "district": AdminLevel.DISTRICT, "commune": AdminLevel.COMMUNE}
_PLACE_KINDS = {"laboratory", "enterprise", "checkpoint", "venue"}

CODE_TTL = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
CODE_SENDS_PER_HOUR = 3  # to one phone
# Every code is an SMS the province pays for: limits per client address and for everyone together, so that no one
# can send codes to numbers of their choosing (SMS pumping) from one address or from many.
CODE_SENDS_PER_ADDRESS = Rate(5, 60 * 60)
CODE_SENDS_ALL = Rate(500, 60 * 60)


# --- jurisdiction ---------------------------------------------------------------------------------


def jurisdiction_validate(*, role: str, unit: AdminUnit | None, place: Place | None) -> None:
    """The kind of jurisdiction must be the one ROLE_JURISDICTION gives the role."""
    if role not in Role.values:
        raise DomainError(AccountError.ROLE_UNKNOWN, _("Unknown role “%(role)s”.") % {"role": role}, field="role")
    kind = ROLE_JURISDICTION[role]
    label = Role(role).label
    if unit is not None and place is not None:
        raise DomainError(
            AccountError.JURISDICTION_KIND,
            _("An account has one jurisdiction: choose an administrative unit or a place, not both."),
            field="jurisdiction_place",
        )
    if kind is None:
        if unit is not None or place is not None:
            raise DomainError(
                AccountError.JURISDICTION_FORBIDDEN,
                _("A %(role)s account has no jurisdiction.") % {"role": label}, field="jurisdiction_unit",
            )
        return
    if kind in _LEVEL_OF_KIND:
        level = _LEVEL_OF_KIND[kind]
        if unit is None:
            raise DomainError(
                AccountError.JURISDICTION_REQUIRED,
                _("A %(role)s must be bound to a %(level)s.") % {"role": label, "level": AdminLevel(level).label},
                field="jurisdiction_unit",
            )
        if unit.level != level:
            raise DomainError(
                AccountError.JURISDICTION_KIND,
                _("A %(role)s must be bound to a %(level)s; “%(unit)s” is a %(actual)s.")
                % {"role": label, "level": AdminLevel(level).label, "unit": unit.label,
                   "actual": AdminLevel(unit.level).label},
                field="jurisdiction_unit",
            )
        return
    from lachan.geo.models import PlaceKind

    if place is None:
        raise DomainError(
            AccountError.JURISDICTION_REQUIRED,
            _("A %(role)s must be bound to a %(kind)s.") % {"role": label, "kind": PlaceKind(kind).label},
            field="jurisdiction_place",
        )
    if place.kind != kind:
        raise DomainError(
            AccountError.JURISDICTION_KIND,
            _("A %(role)s must be bound to a %(kind)s; “%(place)s” is a %(actual)s.")
            % {"role": label, "kind": PlaceKind(kind).label, "place": place.name,
               "actual": PlaceKind(place.kind).label if place.kind in PlaceKind.values else place.kind},
            field="jurisdiction_place",
        )


@transaction.atomic(durable=True)
def user_set_jurisdiction(
    *, user: User, role: str, unit: AdminUnit | None = None, place: Place | None = None, by: User | None
) -> User:
    _require_manager(by, user)
    jurisdiction_validate(role=role, unit=unit, place=place)
    before = {"role": user.role, "unit": user.jurisdiction_unit_id, "place": str(user.jurisdiction_place_id or "")}
    user.role = role
    user.jurisdiction_unit = unit
    user.jurisdiction_place = place
    user.is_staff = role == Role.PROVINCE_ADMIN or user.is_superuser
    user.save(update_fields=["role", "jurisdiction_unit", "jurisdiction_place", "is_staff"])
    audit_record(
        actor=by, action=AuditAction.UPDATE, object_type="user", object_id=user.pk,
        detail={"before": before, "role": role, "unit": unit.pk if unit else None,
                "place": str(place.pk) if place else None},
    )
    return user


def _require_manager(by, target: User | None = None) -> None:
    # The system actor: a command, the generator. None or anyone not logged in: denied.
    if not is_system(by) and not (is_person(by) and (by.is_superuser or by.has_perm_code(Perm.USERS_MANAGE))):
        raise PermissionDenied(AccountError.PERMISSION_DENIED, _("You may not manage accounts."))
    # The deployment's superuser is managed on the command line or by another superuser, never by a manager.
    if not is_system(by) and target is not None and target.is_superuser and not by.is_superuser:
        raise PermissionDenied(AccountError.PERMISSION_DENIED, _("Only a superuser may change a superuser's account."))


# --- staff accounts -------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def staff_user_create(
    *,
    username: str,
    password: str,
    role: str,
    unit: AdminUnit | None = None,
    place: Place | None = None,
    full_name: str = "",
    email: str = "",
    by: User | None,
) -> User:
    _require_manager(by)
    username = (username or "").strip()
    if role == Role.CITIZEN:
        raise DomainError(AccountError.ROLE_UNKNOWN, _("Citizens register themselves; choose a staff role."), field="role")
    jurisdiction_validate(role=role, unit=unit, place=place)
    user = User(
        username=username, role=role, jurisdiction_unit=unit, jurisdiction_place=place,
        first_name=full_name.strip()[:150], email=email.strip(), is_staff=role == Role.PROVINCE_ADMIN,
    )
    try:
        User.username_validator(username)
        if not username:
            raise DjangoValidationError("empty")
    except DjangoValidationError:
        raise DomainError(
            AccountError.USERNAME_INVALID,
            _("A user name has letters, digits and @ . + - _ only."), field="username",
        ) from None
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(AccountError.USERNAME_TAKEN, _("This user name is already taken."), field="username")
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise DomainError(AccountError.USERNAME_TAKEN, _("This user name is already taken."), field="username") from None
    audit_record(
        actor=by, action=AuditAction.CREATE, object_type="user", object_id=user.pk,
        detail={"username": username, "role": role},
    )
    return user


def _check_password(password: str, user: User | None) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise DomainError(AccountError.PASSWORD_WEAK, " ".join(exc.messages), field="password") from None


@transaction.atomic(durable=True)
def user_deactivate(*, user: User, by: User | None) -> User:
    _require_manager(by, user)
    if by is not None and user.pk == by.pk:
        raise DomainError(AccountError.PERMISSION_DENIED, _("You cannot deactivate your own account."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    # Its tokens die with it: a deactivated account must not keep API access.
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(actor=by, action=AuditAction.SECURITY, object_type="user", object_id=user.pk,
                 detail={"change": "deactivated", "username": user.username})
    return user


@transaction.atomic(durable=True)
def user_activate(*, user: User, by: User | None) -> User:
    _require_manager(by, user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=by, action=AuditAction.SECURITY, object_type="user", object_id=user.pk,
                 detail={"change": "activated", "username": user.username})
    return user


def user_unlock(*, username: str, by: User | None) -> int:
    """Clear the failed log-ins of a user name (every address), lifting a lock-out."""
    from axes.utils import reset

    _require_manager(by)
    removed = reset(username=username)
    audit_record(actor=by, action=AuditAction.SECURITY, object_type="user", object_id="",
                 detail={"change": "unlocked", "username": username, "attempts_removed": removed})
    return removed


def user_set_language(*, user: User, language: str) -> User:
    if language not in dict(settings.LANGUAGES):
        raise DomainError(AccountError.LANGUAGE_UNKNOWN, _("Unknown language."), field="language")
    user.language = language
    user.save(update_fields=["language"])
    return user


# --- API tokens -----------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None, by: User | None = None
) -> tuple[ApiToken, str]:
    """Returns the token and the raw key; the raw key is never stored and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise DomainError(AccountError.TOKEN_NAME_REQUIRED, _("Give the token a name."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(AccountError.TOKEN_NAME_REQUIRED, _("The expiry must be in the future."), field="expires_at")
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=raw[:8], key_hash=ApiToken.hash(raw), expires_at=expires_at,
    )
    audit_record(actor=by or user, action=AuditAction.SECURITY, object_type="api_token", object_id=token.pk,
                 detail={"change": "token_created", "name": token.name, "user": user.username})
    return token, raw


@transaction.atomic(durable=True)
def api_token_revoke(*, token_id: int, user: User, by: User | None = None) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound(AccountError.TOKEN_NOT_FOUND, _("No such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=by or user, action=AuditAction.SECURITY, object_type="api_token", object_id=token.pk,
                     detail={"change": "token_revoked", "name": token.name, "user": user.username})
    return token


# --- two-factor log-in (TOTP) ---------------------------------------------------------------------


def totp_device_confirmed(user: User) -> TOTPDevice | None:
    if not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def _require_staff(user: User) -> None:
    if user.is_citizen:
        raise PermissionDenied(AccountError.STAFF_ONLY, _("Only staff accounts can do this."))


@transaction.atomic(durable=True)
def totp_device_start(*, user: User) -> TOTPDevice:
    """A new unconfirmed device (replacing an earlier unconfirmed one); it is not used until confirmed."""
    _require_staff(user)
    if totp_device_confirmed(user):
        raise DomainError(AccountError.OTP_ALREADY_ON, _("Two-factor log-in is already on."))
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_device_pending(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


@transaction.atomic(durable=True)
def totp_device_confirm(*, user: User, code: str) -> TOTPDevice:
    _require_staff(user)
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise DomainError(AccountError.OTP_NOT_ON, _("Start turning on two-factor log-in first."))
    if not totp_verify(device, code):
        raise DomainError(AccountError.OTP_WRONG, _("The code is not right. Check the time on your phone."), field="code")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action=AuditAction.SECURITY, object_type="user", object_id=user.pk,
                 detail={"change": "2fa_enabled"})
    return device


@transaction.atomic(durable=True)
def totp_device_remove(*, user: User, code: str) -> None:
    device = totp_device_confirmed(user)
    if device is None:
        raise DomainError(AccountError.OTP_NOT_ON, _("Two-factor log-in is not on."))
    if not totp_verify(device, code):
        raise DomainError(AccountError.OTP_WRONG, _("The code is not right."), field="code")
    TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=user, action=AuditAction.SECURITY, object_type="user", object_id=user.pk,
                 detail={"change": "2fa_disabled"})


def totp_verify(device: TOTPDevice, code: str) -> bool:
    code = (code or "").strip().replace(" ", "")
    if not is_ascii_digits(code):
        return False
    allowed, _data = device.verify_is_allowed()
    return bool(allowed) and device.verify_token(code)


# --- citizen self-registration --------------------------------------------------------------------


def _code_hash(verification_id: int, code: str) -> str:
    return salted_hmac("lachan.accounts.phone-code", f"{verification_id}:{code}", algorithm="sha256").hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _send_code(*, phone: str, code: str, language: str) -> None:
    # The outbox sends it after this transaction commits; the message is marked sensitive there.
    notification_queue(
        template="account.otp", channel="sms", to=phone,
        context={"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)}, person_id=None, language=language,
    )


@transaction.atomic(durable=True)
def citizen_registration_start(
    *, phone: str, full_name: str, birth_date: date | None, password: str, language: str = "vi", ip: str | None = None,
) -> PhoneVerification:
    """Check the details, then send a 6-digit code to the phone. Nothing else exists until it is verified.
    ip: the client's address (default: the request's, core.request_context) for the send limits."""
    normal = phone_parse(phone)
    errors = []
    if normal is None:
        errors.append(DomainError(AccountError.PHONE_INVALID,
                                  _("Enter a Vietnamese mobile number, e.g. 0912345678 or +84912345678."), field="phone"))
    full_name = " ".join((full_name or "").split())
    if len(full_name) < 2:
        errors.append(DomainError(AccountError.NAME_REQUIRED, _("Enter your full name."), field="full_name"))
    today = timezone.localdate()
    if birth_date is None or birth_date > today or birth_date < date(today.year - 120, 1, 1):
        errors.append(DomainError(AccountError.BIRTH_DATE_INVALID, _("Enter a real date of birth."), field="birth_date"))
    if errors:
        from lachan.core.errors import ValidationFailed

        raise ValidationFailed(errors)
    if User.objects.filter(username=normal).exists() or User.objects.filter(phone=normal, role=Role.CITIZEN).exists():
        raise DomainError(
            AccountError.PHONE_TAKEN,
            _("An account with this phone number exists already. Log in, or reset your password."), field="phone",
        )
    _check_password(password, User(username=normal, first_name=full_name))
    _check_send_rate(normal, ip)
    now = timezone.now()
    verification = PhoneVerification.objects.create(
        phone=normal, full_name=full_name[:200], birth_date=birth_date, password_hash=make_password(password),
        language=language if language in dict(settings.LANGUAGES) else "vi",
        code_hash="", created_at=now, expires_at=now + CODE_TTL,
    )
    _issue_code(verification)
    return verification


def _check_send_rate(phone: str, ip: str | None) -> None:
    since = timezone.now() - timedelta(hours=1)
    if PhoneVerification.objects.filter(phone=phone, created_at__gte=since).count() >= CODE_SENDS_PER_HOUR:
        raise DomainError(
            AccountError.SEND_RATE_LIMITED,
            _("Too many codes were sent to this phone. Try again in an hour."), field="phone",
        )
    # Counted in the caller's transaction when the cache is the database's: a refused attempt counts nothing.
    address = address_key(request_context.current().ip if ip is None else ip)
    try:
        rate_check(("accounts.code_sends.address", address, rate_named("accounts.code_sends.address",
                                                                       CODE_SENDS_PER_ADDRESS)),
                   ("accounts.code_sends.all", GLOBAL, rate_named("accounts.code_sends.all", CODE_SENDS_ALL)),
                   code=AccountError.SEND_RATE_LIMITED)
    except RateLimited as exc:
        exc.field = "phone"
        raise


def _issue_code(verification: PhoneVerification) -> None:
    code = _new_code()
    verification.code_hash = _code_hash(verification.pk, code)
    verification.save(update_fields=["code_hash"])
    _send_code(phone=verification.phone, code=code, language=verification.language)


@transaction.atomic(durable=True)
def citizen_registration_resend(*, verification_id: int, ip: str | None = None) -> PhoneVerification:
    """A new code (the old one stops working), counted against the hourly limit."""
    old = PhoneVerification.objects.select_for_update().filter(pk=verification_id, used_at__isnull=True).first()
    if old is None:
        raise NotFound(AccountError.CODE_EXPIRED, _("This registration has expired; start again."))
    _check_send_rate(old.phone, ip)
    now = timezone.now()
    old.expires_at = now  # only the newest code is valid
    old.save(update_fields=["expires_at"])
    new = PhoneVerification.objects.create(
        phone=old.phone, full_name=old.full_name, birth_date=old.birth_date, password_hash=old.password_hash,
        language=old.language, code_hash="", created_at=now, expires_at=now + CODE_TTL,
    )
    _issue_code(new)
    return new


def citizen_registration_verify(*, verification_id: int, code: str) -> User:
    """Create the citizen's account if the code is right; send `citizen_registered` after commit."""
    # The attempt counter must survive a wrong code, so it is written outside the account transaction.
    with transaction.atomic():
        verification = (
            PhoneVerification.objects.select_for_update().filter(pk=verification_id, used_at__isnull=True).first()
        )
        if verification is None:
            raise NotFound(AccountError.CODE_EXPIRED, _("This registration has expired; start again."))
        if verification.expires_at <= timezone.now():
            raise DomainError(AccountError.CODE_EXPIRED, _("The code has expired. Ask for a new one."), field="code")
        if verification.attempts >= CODE_MAX_ATTEMPTS:
            raise DomainError(AccountError.CODE_ATTEMPTS, _("Too many wrong codes. Ask for a new one."), field="code")
        code = (code or "").strip().replace(" ", "")
        if not hmac.compare_digest(verification.code_hash, _code_hash(verification.pk, code)):
            verification.attempts += 1
            verification.save(update_fields=["attempts"])
            wrong = True
        else:
            wrong = False
    if wrong:
        if verification.attempts >= CODE_MAX_ATTEMPTS:
            raise DomainError(AccountError.CODE_ATTEMPTS, _("Too many wrong codes. Ask for a new one."), field="code")
        raise DomainError(AccountError.CODE_WRONG, _("The code is not right."), field="code")
    return _citizen_create(verification)


@transaction.atomic
def _citizen_create(verification: PhoneVerification) -> User:
    verification = PhoneVerification.objects.select_for_update().get(pk=verification.pk)
    if verification.used_at is not None:
        raise NotFound(AccountError.CODE_EXPIRED, _("This registration has expired; start again."))
    if User.objects.filter(username=verification.phone).exists():
        raise DomainError(AccountError.PHONE_TAKEN, _("An account with this phone number exists already."), field="phone")
    user = User(
        username=verification.phone, phone=verification.phone, role=Role.CITIZEN,
        first_name=verification.full_name[:150], language=verification.language,
    )
    user.password = verification.password_hash
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise DomainError(AccountError.PHONE_TAKEN, _("An account with this phone number exists already."),
                          field="phone") from None
    verification.used_at = timezone.now()
    verification.password_hash = ""  # no longer needed
    verification.save(update_fields=["used_at", "password_hash"])
    audit_record(actor=user, action=AuditAction.CREATE, object_type="user", object_id=user.pk,
                 detail={"change": "citizen_registered", "username": user.username})
    full_name, birth_date = verification.full_name, verification.birth_date
    transaction.on_commit(
        lambda: citizen_registered.send(sender=User, user=user, full_name=full_name, birth_date=birth_date)
    )
    return user


def phone_verifications_prune(*, older_than_days: int = 2) -> int:
    """Pending registrations are useless once expired; keep two days for the send rate limit and support."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = PhoneVerification.objects.filter(created_at__lt=cutoff).delete()
    return deleted
