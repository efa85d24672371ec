"""Error codes of the accounts domain (stable: API clients switch on them)."""

from enum import StrEnum


class AccountError(StrEnum):
    JURISDICTION_REQUIRED = "jurisdiction_required"
    JURISDICTION_KIND = "jurisdiction_kind"
    JURISDICTION_FORBIDDEN = "jurisdiction_forbidden"
    ROLE_UNKNOWN = "role_unknown"
    USERNAME_TAKEN = "username_taken"
    USERNAME_INVALID = "username_invalid"
    PASSWORD_WEAK = "password_weak"
    PHONE_INVALID = "phone_invalid"
    PHONE_TAKEN = "phone_taken"
    BIRTH_DATE_INVALID = "birth_date_invalid"
    NAME_REQUIRED = "name_required"
    CODE_WRONG = "code_wrong"
    CODE_EXPIRED = "code_expired"
    CODE_ATTEMPTS = "code_too_many_attempts"
    SEND_RATE_LIMITED = "send_rate_limited"
    LOGIN_RATE_LIMITED = "login_rate_limited"  # too many log-in attempts from one address (ratelimits)
    OTP_ALREADY_ON = "otp_already_on"
    OTP_NOT_ON = "otp_not_on"
    OTP_WRONG = "otp_wrong"
    OTP_REQUIRED = "otp_required"
    TOKEN_NOT_FOUND = "token_not_found"
    TOKEN_NAME_REQUIRED = "token_name_required"
    STAFF_ONLY = "staff_only"
    PERMISSION_DENIED = "permission_denied"
    LOGIN_FAILED = "login_failed"
    LOCKED_OUT = "locked_out"
    USER_NOT_FOUND = "user_not_found"
    LANGUAGE_UNKNOWN = "language_unknown"
