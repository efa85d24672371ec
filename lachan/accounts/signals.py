"""Signals of the accounts domain, for the layers above to connect to."""

from django.dispatch import Signal

# Sent (after commit) when a citizen has verified their phone and their account exists.
# Receivers get: user (accounts.User, role citizen, username = phone), full_name (str),
# birth_date (datetime.date). The people domain links the account to the matching Person.
citizen_registered = Signal()
