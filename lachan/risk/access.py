"""Who may see and set risk levels: the domain's permission check (accounts.actors.permission_check with its
code). The system actor may do anything; a person only what their role allows; nobody else anything."""

from lachan.accounts.actors import permission_check

from .errors import RiskErrorCode

require_perm = permission_check(RiskErrorCode.PERMISSION)
