"""Periodic jobs of the accounts app (found by core.scheduler.autodiscover). Job names are stored: never rename."""

from lachan.core.scheduler import periodic

from .services import phone_verifications_prune


@periodic("accounts.prune_phone_verifications", every="daily", at="02:30")
def prune_phone_verifications() -> int:
    return phone_verifications_prune()
