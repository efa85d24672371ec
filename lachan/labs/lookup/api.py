"""The citizens' result look-up through the API: POST /api/labs/results/lookup, no authentication, rate
limited (429 with Retry-After). The same rules as the /ket-qua/ page (lachan.labs.lookup.services)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from lachan.core.middleware import client_ip
from lachan.core.schemas import error_responses

from ..errors import LabErrorCode
from . import services as lookup
from . import slip

router = Router(tags=["labs"])


class LookupIn(Schema):
    code: str = Field(..., max_length=60, description="The sample (tube) code, as on the SMS or the label")
    birth_date: str = Field(..., max_length=20, description="Date of birth: dd/mm/yyyy or yyyy-mm-dd")
    last4: str = Field("", max_length=10, description="Last 4 digits of the phone or CCCD, when asked for")


class LookupResultOut(Schema):
    code: str
    test_type: str
    pooled: bool
    status: str = Field(description="released, pending (not available yet) or rejected (to be sampled again)")
    outcome: str | None = Field(description="Released: negative, positive, retest (positive pool), inconclusive")
    collected_at: datetime
    released_at: datetime | None
    laboratory: str
    name: str = Field(description="The person's name, masked")
    birth_year: int | None
    retest_code: str = Field(description="A positive pool member's individual re-test tube, when taken")
    slip_url: str | None = Field(description="The PDF result slip, valid for 30 minutes")


class LookupOut(Schema):
    results: list[LookupResultOut]


@router.post("/results/lookup", auth=None,
             response={200: LookupOut, **error_responses(LabErrorCode, 400, 404, 429)},
             summary="A citizen's result by sample code and date of birth (no log-in; rate limited)")
def results_lookup(request: HttpRequest, payload: LookupIn, response: HttpResponse):
    """404 for an unknown code, a wrong date of birth or wrong last digits alike; 400 with code
    `labs_lookup_last4_needed` when the last 4 digits of the phone or CCCD are needed too; 429 with a
    Retry-After header after too many attempts."""
    response["Cache-Control"] = "no-store, private"
    try:
        found = lookup.result_lookup(code=payload.code, birth_date=payload.birth_date, last4=payload.last4,
                                     ip=client_ip(request))
    except lookup.LookupRateLimited as exc:
        response["Retry-After"] = str(exc.retry_after)
        return Status(429, exc.as_dict())
    results = []
    for item in found:
        released = item.status == "released"
        slip_url = (request.build_absolute_uri(reverse("results:slip", args=[slip.download_token(item.swab_id)]))
                    if released and item.outcome in slip.SLIP_OUTCOMES else None)
        results.append({
            "code": item.code, "test_type": item.test_type, "pooled": item.pooled, "status": item.status,
            "outcome": item.outcome if released else None, "collected_at": item.collected_at,
            "released_at": item.released_at if released else None, "laboratory": item.laboratory,
            "name": item.masked_name, "birth_year": item.birth_year, "retest_code": item.retest_code,
            "slip_url": slip_url})
    return Status(200, {"results": results})
