"""Who may act on cases: the domain's permission check (accounts.actors.permission_check with its code)."""

from lachan.accounts.actors import permission_check

from .errors import CaseErrorCode

require_perm = permission_check(CaseErrorCode.PERMISSION)
