"""Who may see and set risk levels and lockdown areas: the domain's permission checks
(accounts.actors.permission_check with its codes). The system actor may do anything; a person only what their
role allows; nobody else anything."""

from lachan.accounts.actors import permission_check

from .errors import LockdownErrorCode, RiskErrorCode

require_perm = permission_check(RiskErrorCode.PERMISSION)
# Lockdown areas answer with their own code (lockdown_permission), as they always have.
require_lockdown_perm = permission_check(LockdownErrorCode.PERMISSION)
