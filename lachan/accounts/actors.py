"""Who acts when no person is logged in, said explicitly: never `None`.

A selector or a permission check given `None` (a forgotten argument, an anonymous request) gives nothing:
an empty list, a 404, PermissionDenied. Background work — a task, a scheduled job, a management command,
the demo and bench generators — passes a `SystemActor` naming its job: it may do everything in the whole
province, and the audit trail records it as `system:<job>`. The citizens' map reads the public layers as
`PUBLIC`, which no personal data selector accepts.

Neither is a `User`: `is_authenticated` is False, so code that keeps "who did it" in a user foreign key
(`by if by.is_authenticated else None`) keeps none for them, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from lachan.core.errors import PermissionDenied

SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class SystemActor:
    """Background work of the platform, named by its job ("labs.results_tell", "demo_setup")."""

    job: str
    pk = None
    id = None
    role = SYSTEM_ROLE
    is_authenticated = False  # not a logged-in person: never stored as a user
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    is_citizen = False
    jurisdiction_unit_id = None
    jurisdiction_place_id = None

    def __post_init__(self) -> None:
        if not self.job or not str(self.job).strip():
            raise ValueError("A system actor names its job.")

    def has_perm_code(self, perm: str) -> bool:
        return True

    def get_username(self) -> str:
        return f"system:{self.job}"[:150]

    def get_full_name(self) -> str:
        return self.get_username()

    def __str__(self) -> str:
        return self.get_username()


class _NoAccount:
    """What the code that reads `request.user` sees of a reader who holds no account: no role, no permission."""

    pk = None
    id = None
    role = ""
    is_authenticated = False
    is_anonymous = True
    is_active = False
    is_superuser = False
    is_staff = False
    is_citizen = False
    jurisdiction_unit_id = None
    jurisdiction_place_id = None

    def has_perm_code(self, perm: str) -> bool:
        return False

    def get_username(self) -> str:
        return ""


@dataclass(frozen=True)
class PublicReader(_NoAccount):
    """Anyone, without logging in: the public layers of the citizens' map (figures, levels, lockdown areas),
    never a person."""


PUBLIC = PublicReader()


def system_actor(job: str) -> SystemActor:
    """The actor of a background job; `job` says which (kept in the audit trail)."""
    return SystemActor(job=job)


def is_system(user) -> bool:
    return isinstance(user, SystemActor)


def is_public(user) -> bool:
    return isinstance(user, PublicReader)


def is_person(user) -> bool:
    """A logged-in, active account (not the system, not the public, not None)."""
    return (user is not None and not is_system(user) and bool(getattr(user, "is_authenticated", False))
            and bool(getattr(user, "is_active", False)))


def may(user, perm: str) -> bool:
    """Whether `user` holds `perm`: the system always; a logged-in active person by their role; anyone else
    (None, anonymous, inactive, the public) never."""
    if is_system(user):
        return True
    return is_person(user) and user.has_perm_code(perm)


def permission_check(code, message=None) -> Callable[[object, str], None]:
    """A domain's `require_perm(user, perm)`, which raises PermissionDenied with the domain's code when `may` says
    no. Bound once per domain: `require_perm = permission_check(LabErrorCode.PERMISSION)`. `message`: a lazy
    text, else "You do not have permission to do this." in the user's language."""

    def require(user, perm: str) -> None:
        if not may(user, perm):
            raise PermissionDenied(code, message if message is not None else _("You do not have permission to do this."))

    return require


def as_user(by):
    """The account to keep in a "who did it" foreign key (created_by, changed_by…): a logged-in person;
    None for the system (named in the audit trail instead) and for nobody."""
    if by is None or is_system(by) or not getattr(by, "is_authenticated", False):
        return None
    return by


@dataclass(frozen=True)
class SignedLink(_NoAccount):
    """Whoever holds a signed link to one record (a quarantine order's daily check-in link, sent by SMS): may act
    on that record only, as the person it belongs to would."""

    object_id: str

    def opens(self, record) -> bool:
        return str(getattr(record, "pk", record)) == str(self.object_id)


def signed_link(record) -> SignedLink:
    """The holder of a verified signed link to `record`."""
    return SignedLink(object_id=str(getattr(record, "pk", record)))
