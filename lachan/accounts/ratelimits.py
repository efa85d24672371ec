"""Log-in attempts per client address (core.ratelimit), beside axes' lock-out of one user name from one address:
axes stops guessing one account's password, this stops trying a few passwords on many accounts (spraying). No
province-wide limit here: it would let anyone lock every official out."""

from lachan.core.ratelimit import Rate, address_key, rate_check, rate_named

from .errors import AccountError

LOGIN_PER_ADDRESS = Rate(30, 10 * 60)  # passwords and two-factor codes, all accounts together


def login_rate_check(ip: str) -> None:
    """Count a log-in attempt (a password or a code posted) from this address; RateLimited when over."""
    rate_check(("accounts.login.address", address_key(ip), rate_named("accounts.login.address", LOGIN_PER_ADDRESS)),
               code=AccountError.LOGIN_RATE_LIMITED)
