"""The API root: mounts every domain's router under /api/, one error shape for all."""

import json
from pathlib import Path

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from lachan.accounts.authentication import api_auth
from lachan.core.errors import DomainError
from lachan.core.jsontext import json_read


class JsonParser(Parser):
    """Standard JSON only (lachan.core.jsontext): Python's json reads NaN and Infinity, which no field means (a NaN
    coordinate, distance or temperature compares false with every bound). django-ninja answers a body that fails
    here with a 400."""

    def parse_body(self, request):
        return json_read(request.body)


OPERATION_IDS = Path(__file__).with_name("operation_ids.json")


def operation_key(operation) -> str:
    """What names an operation whichever module its view lives in: methods, router-relative path, function name
    (ninja's `Operation` does not know its router's prefix; tests/test_openapi_operations.py checks the three are
    unique)."""
    return f"{' '.join(sorted(operation.methods))} {operation.path} {operation.view_func.__name__}"


class PinnedIdsAPI(NinjaAPI):
    """ninja names an operation after its view's module (`lachan_labs_api_samples_list`), so moving a module
    would change the OpenAPI document that clients generate code from. The ids of today's operations are pinned
    in operation_ids.json; a new operation gets ninja's default until it is added there (the test says what to add)."""

    _pinned: dict[str, str] | None = None

    def get_openapi_operation_id(self, operation) -> str:
        if PinnedIdsAPI._pinned is None:
            PinnedIdsAPI._pinned = json.loads(OPERATION_IDS.read_text(encoding="utf-8"))
        return PinnedIdsAPI._pinned.get(operation_key(operation)) or super().get_openapi_operation_id(operation)


api = PinnedIdsAPI(
    parser=JsonParser(),
    title="Lá Chắn API",
    version="1",
    description=(
        "The JSON API of Lá Chắn. Authenticate with `Authorization: Bearer <token>` (create a token on "
        "your account page) or a browser session. Every endpoint applies the caller's jurisdiction: "
        "records outside it answer 404. Errors have the shape `{code, message, field?, errors?}`."
    ),
    auth=api_auth,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:  # core.ratelimit.RateLimited (429)
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        errors.append({"code": "invalid", "field": ".".join(loc), "message": err.get("msg", "")})
    return api.create_response(
        request, {"code": "invalid", "message": errors[0]["message"] if errors else "invalid", "errors": errors}, status=422
    )


@api.exception_handler(DjangoValidationError)
def django_validation_error(request, exc: DjangoValidationError):
    return api.create_response(request, {"code": "invalid", "message": "; ".join(exc.messages)}, status=400)


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def bad_request(request, exc):
    """A body Django cannot read (multipart without a boundary, too many fields, too large): a 400 in the shared
    shape. Without this, django-ninja answers any unhandled error with a 500 when DEBUG is on (a demo)."""
    return api.create_response(request, {"code": "bad_request", "message": str(exc) or "Bad request."}, status=400)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return api.create_response(request, {"code": "unauthorized", "message": "Authentication required."}, status=401)


def _mount() -> None:
    from lachan.accounts.api import router as accounts_router
    from lachan.cases.api import router as cases_router
    from lachan.geo.api import router as geo_router
    from lachan.labs.api import router as labs_router
    from lachan.notifications.api import router as notifications_router
    from lachan.people.api import router as people_router
    from lachan.quarantine.api import router as quarantine_router
    from lachan.risk.levels.api import router as risk_router
    from lachan.situation.api import map_router, operations_router
    from lachan.tracing.api import router as tracing_router
    from lachan.venues.api import router as venues_router
    from lachan.workflows.case_confirmation.api import router as workflows_router
    from lachan.workflows.lab_results.api import router as lab_results_workflow_router
    from lachan.workflows.policies.api import router as policies_router
    from lachan.workflows.quarantine_orders.api import router as quarantine_workflow_router
    from lachan.workflows.risk_levels.api import router as risk_workflow_router

    api.add_router("/accounts", accounts_router)
    api.add_router("/geo", geo_router)
    api.add_router("/people", people_router)
    api.add_router("/notifications", notifications_router)
    api.add_router("/cases", cases_router)
    api.add_router("/tracing", tracing_router)
    api.add_router("/workflows", workflows_router)
    api.add_router("/venues", venues_router)
    api.add_router("/labs", labs_router)
    api.add_router("/labs", lab_results_workflow_router)  # results that set off cases and tracing
    api.add_router("/quarantine", quarantine_router)
    api.add_router("/risk", risk_router)
    api.add_router("/map", map_router)  # layers from every domain; lockdown areas
    api.add_router("/quarantine", quarantine_workflow_router)  # from cases and tracing; tests due
    api.add_router("/risk", risk_workflow_router)  # computing levels now, trying rules on past data (reads cases)
    api.add_router("/policies", policies_router)  # every kind of policy: versions, drafts checked, tried, adopted
    api.add_router("/operations", operations_router)  # the operations-centre dashboard: indicators, curve, feed


_mount()
