"""Who may trace: the permission check of tracing's reads and writes. It answers with the cases' code
(`cases_permission_denied`), as tracing always has: switching to TracingErrorCode.PERMISSION would change the API."""

from lachan.accounts.actors import permission_check
from lachan.cases.errors import CaseErrorCode

require_perm = permission_check(CaseErrorCode.PERMISSION)
