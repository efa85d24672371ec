"""Results API, what sets off cases and tracing: enter one result, release it, correct it, import a lab's
file, release an imported file. Mounted under /api/labs beside lachan.labs.results.api."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from lachan.cases.errors import CaseErrorCode
from lachan.core.dates import Instant
from lachan.core.errors import CommonErrorCode, DomainError
from lachan.core.schemas import error_responses
from lachan.labs.errors import LabErrorCode
from lachan.labs.models import Sample
from lachan.labs.results import files, imports
from lachan.labs.results.api import ImportOut, errors_out
from lachan.labs.results.selectors import import_get, mapping_get, result_sample_get
from lachan.notifications.errors import NotificationError
from lachan.tracing.errors import TracingErrorCode

from .services import (
    ResultOutcome,
    lab_import_release,
    lab_result_correct,
    lab_result_enter,
    lab_result_release,
    lab_results_import,
)

router = Router(tags=["labs: results"])
# a positive result confirms the case, traces it and tells its contacts: their codes too; 409: the same file again
ERRORS = error_responses(LabErrorCode, CaseErrorCode, TracingErrorCode, NotificationError, 400, 403, 404, 409)
RESULT_HELP = "positive, negative, inconclusive or invalid"


class ResultIn(Schema):
    code: str = Field(..., max_length=60, description="the sample's or the pool's code")
    result: str = Field(..., description=RESULT_HELP)
    ct_value: float | None = Field(None, description="RT-PCR only, within the labs policy's range")
    tested_at: Instant | None = Field(None, description="default: now; not in the future, not before collection")
    release: bool = Field(True, description="false: recorded as tested, released later")


class CorrectionIn(Schema):
    result: str = Field(..., description=RESULT_HELP)
    ct_value: float | None = None
    reason: str = Field(..., max_length=300)


class ResultOut(Schema):
    sample_id: UUID
    code: str
    pooled: bool
    test_type: str
    status: str
    result: str
    ct_value: float | None
    tested_at: datetime | None
    released_at: datetime | None
    outcomes: dict[str, int] = Field(..., description="the people in the sample per outcome")
    notified: int
    cases_confirmed: list[str] = Field(..., description="codes of the cases this result confirmed")
    linked_to_existing_case: int


def _out(outcome: ResultOutcome) -> dict:
    sample = outcome.sample
    released = outcome.released
    return {"sample_id": sample.pk, "code": sample.code, "pooled": sample.pooled, "test_type": sample.test_type,
            "status": sample.status, "result": sample.result, "ct_value": sample.ct_value,
            "tested_at": sample.tested_at, "released_at": sample.released_at,
            "outcomes": released.outcomes if released else {}, "notified": released.notified if released else 0,
            "cases_confirmed": [c.code for c in outcome.follow_up.confirmed],
            "linked_to_existing_case": outcome.follow_up.linked}


def _sample(request, code: str) -> Sample:
    return result_sample_get(user=request.user, code=code)


@router.post("/results", response={201: ResultOut, **ERRORS}, summary="Enter one sample's result (and release it)")
def enter_result(request, payload: ResultIn):
    outcome = lab_result_enter(sample=_sample(request, payload.code), result=payload.result,
                               ct_value=payload.ct_value, tested_at=payload.tested_at, release=payload.release,
                               by=request.user)
    return Status(201, _out(outcome))


@router.post("/results/{code}/release", response={200: ResultOut, **ERRORS}, summary="Release a result entered as tested")
def release_result(request, code: str):
    return _out(lab_result_release(sample=_sample(request, code), by=request.user))


@router.post("/results/{code}/correction", response={200: ResultOut, **ERRORS},
             summary="Correct a released result (with the reason; kept and audited)")
def correct_result(request, code: str, payload: CorrectionIn):
    return _out(lab_result_correct(sample=_sample(request, code), result=payload.result, ct_value=payload.ct_value,
                                   reason=payload.reason, by=request.user))


class ImportRefusedOut(Schema):
    code: LabErrorCode | CommonErrorCode
    message: str
    field: str | None = None
    import_id: UUID
    error_count: int
    errors: list[dict]


@router.post("/results/import", response={201: ImportOut, 422: ImportRefusedOut, **ERRORS},
             summary="Import a laboratory's result file (CSV or .xlsx): all rows or none")
def import_results(request, file: File[UploadedFile], mapping: Form[UUID | None] = None,
                   laboratory: Form[UUID | None] = None, release: Form[bool] = True):
    """Every row is checked. If one is wrong nothing is imported: the answer (422) lists the row errors
    (the first 1000; all in GET /imports/{id}/errors.csv). The same file imported again answers 409."""
    lab = imports.import_laboratory(laboratory_id=laboratory, by=request.user)
    layout = mapping_get(user=request.user, mapping_id=mapping) if mapping else None
    if file.size is not None and file.size > files.MAX_BYTES:
        raise DomainError(LabErrorCode.IMPORT_FILE, _("The file is larger than %(mb)d MB.")
                          % {"mb": files.MAX_BYTES // 2**20}, field="file")
    outcome = lab_results_import(laboratory=lab, data=file.read(), filename=file.name or "", mapping=layout,
                                 release=release, by=request.user)
    record = outcome.record
    if not outcome.ok:
        return Status(422, {
            "code": LabErrorCode.IMPORT_ROWS, "field": "file", "import_id": record.pk, "error_count": record.error_count,
            "message": _("Nothing was imported: %(n)d errors.") % {"n": record.error_count},
            "errors": errors_out(record.errors)})
    return Status(201, record)


@router.post("/imports/{uuid:import_id}/release", response={200: ImportOut, **ERRORS},
             summary="Release the results of a file imported as tested")
def release_import(request, import_id: UUID):
    record = import_get(user=request.user, import_id=import_id)
    lab_import_release(result_import=record, by=request.user)
    return import_get(user=request.user, import_id=import_id)
