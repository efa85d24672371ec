"""The citizens' result look-up (/ket-qua/, POST /api/labs/results/lookup) and the signed result slip
(PLAN13 B.2)."""

from .services import (
    LookupFailed,
    LookupMoreNeeded,
    LookupRateLimited,
    PersonResult,
    code_key,
    lookup_failed,
    mask_name,
    parse_birth_date,
    rate_limit_check,
    result_lookup,
    results_of_citizen,
)
from .slip import (
    Slip,
    SlipCheck,
    download_swab_id,
    download_token,
    mask_national_id,
    slip_for_staff,
    slip_of,
    slip_pdf,
    slip_token,
    slip_verify,
    token_parse,
)

__all__ = [
    "LookupRateLimited", "LookupFailed", "lookup_failed", "code_key", "rate_limit_check", "parse_birth_date",
    "LookupMoreNeeded", "PersonResult", "mask_name", "result_lookup", "results_of_citizen", "slip_token",
    "token_parse", "SlipCheck", "slip_verify", "download_token", "download_swab_id", "Slip",
    "mask_national_id", "slip_of", "slip_for_staff", "slip_pdf",
]
