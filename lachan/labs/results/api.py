"""Results API, the laboratory's side: result files (summary, row errors, the error report), file layouts,
the re-tests due (scoped: a commune station sees its people) and registering a re-test. Entering,
releasing, correcting and importing results set off cases and tracing, so those endpoints are in
lachan.workflows.lab_results.api; both routers are mounted under /api/labs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from lachan.core.dates import Instant
from lachan.core.exports import csv_response
from lachan.core.pagination import page_of
from lachan.core.schemas import error_responses
from lachan.geo.api import UNIT_LABEL
from lachan.geo.models import AdminLevel, AdminUnit

from ..errors import LabErrorCode
from ..models import ColumnMapping, ResultImport, Swab
from . import files, imports
from . import selectors as results_selectors
from . import services as results

router = Router(tags=["labs: results"])
MAX_ERRORS_SHOWN = 1000  # in an answer; the CSV report has them all


ERRORS = error_responses(LabErrorCode, 400, 403, 404, 409)  # 409: the same file imported again


class RowErrorOut(Schema):
    row: int
    column: str
    sample_code: str
    message: str


class ImportOut(Schema):
    id: UUID
    laboratory_id: UUID
    laboratory: str
    filename: str
    status: str = Field(..., description="applied, or failed (nothing imported: see errors)")
    released: bool = Field(..., description="false: imported as tested, to be released")
    rows: int
    applied: int
    positives: int
    summary: dict[str, Any] = Field(..., description="swabs per outcome, unchanged rows, people notified, cases "
                                                     "confirmed and positives linked to an existing case")
    error_count: int
    errors: list[RowErrorOut]
    mapping_id: UUID | None
    created_at: datetime
    created_by: str | None
    duration_ms: int

    @staticmethod
    def resolve_laboratory(obj: ResultImport) -> str:
        return str(obj.laboratory)

    @staticmethod
    def resolve_created_by(obj: ResultImport) -> str | None:
        return obj.created_by.get_username() if obj.created_by_id else None

    @staticmethod
    def resolve_errors(obj: ResultImport) -> list[dict]:
        return errors_out(obj.errors if "errors" not in obj.get_deferred_fields() else [])


def errors_out(rows: list[list]) -> list[dict]:
    return [{"row": r, "column": c, "sample_code": code, "message": m} for r, c, code, m in rows[:MAX_ERRORS_SHOWN]]


class ImportPage(Schema):
    items: list[ImportOut]
    page: int
    has_next: bool


@router.get("/imports", response={200: ImportPage, **ERRORS}, summary="Result files imported or refused, newest first")
def list_imports(request, status: str = "", laboratory: UUID | None = None, page: int = 1):
    result = page_of(results_selectors.import_list(user=request.user, status=status, laboratory=laboratory), page=page)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.get("/imports/{uuid:import_id}", response={200: ImportOut, **ERRORS},
            summary="One result file: its summary, or its row errors when it was refused")
def get_import(request, import_id: UUID):
    return results_selectors.import_get(user=request.user, import_id=import_id)


@router.get("/imports/{uuid:import_id}/errors.csv", response={200: None, **ERRORS},
            summary="A refused file's row-by-row error report (CSV)")
def import_errors_csv(request, import_id: UUID):
    return errors_csv_response(results_selectors.import_get(user=request.user, import_id=import_id))


def errors_csv_response(record: ResultImport) -> HttpResponse:
    stem = (record.filename.rsplit(".", 1)[0] or "ket-qua")[:80].replace('"', "")
    return csv_response(f"{stem}-errors.csv", imports.errors_csv(record.errors))


class MappingOut(Schema):
    id: UUID
    laboratory_id: UUID
    name: str
    columns: dict[str, str]
    result_words: dict[str, str]
    date_format: str
    header_row: int


@router.get("/mappings", response={200: list[MappingOut], **ERRORS}, summary="Result file layouts of your laboratories")
def list_mappings(request):
    return list(results_selectors.mapping_list(user=request.user))


class MappingIn(Schema):
    laboratory: UUID | None = Field(None, description="lab staff: their own")
    name: str
    columns: dict[str, str] = Field(..., description="code, result, ct, tested_at → the heading in the file")
    result_words: dict[str, str] = Field({}, description="a word of the result column → positive, negative, "
                                                         "inconclusive or invalid")
    date_format: str = Field("", description="empty (common formats, day first) or one of: "
                                             + ", ".join(files.DATE_FORMATS))
    header_row: int = 1


@router.post("/mappings", response={201: MappingOut, **ERRORS}, summary="Add a result file layout")
def create_mapping(request, payload: MappingIn):
    laboratory = imports.import_laboratory(laboratory_id=payload.laboratory, by=request.user)
    data = payload.dict(exclude={"laboratory"})
    return Status(201, files.mapping_save(laboratory=laboratory, by=request.user, **data))


@router.put("/mappings/{uuid:mapping_id}", response={200: MappingOut, **ERRORS}, summary="Change a file layout")
def update_mapping(request, mapping_id: UUID, payload: MappingIn):
    mapping: ColumnMapping = results_selectors.mapping_get(user=request.user, mapping_id=mapping_id)
    data = payload.dict(exclude={"laboratory"})
    return files.mapping_save(laboratory=mapping.laboratory, mapping=mapping, by=request.user, **data)


class RetestOut(Schema):
    swab_id: UUID = Field(..., alias="pk")
    person_id: UUID
    full_name: str = Field(..., alias="person.full_name")
    phone: str = Field(..., alias="person.phone")
    commune_code: str = Field(..., alias="person.commune.code")
    commune_name: str = Field(..., alias="person.commune.name")
    commune_label: str = Field(..., alias="person.commune.label", description=UNIT_LABEL)
    sample_code: str = Field(..., alias="sample.code")
    pooled: bool
    outcome: str = Field(..., description="retest (positive pool), inconclusive or rejected")
    collected_at: datetime = Field(..., alias="sample.collected_at")
    released_at: datetime | None

    @staticmethod
    def resolve_released_at(obj: Swab) -> datetime | None:
        return obj.sample.released_at or obj.sample.rejected_at


class RetestPage(Schema):
    items: list[RetestOut]
    page: int
    has_next: bool


def commune_of(code: str) -> AdminUnit | None:
    from django.conf import settings

    return AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, level=AdminLevel.COMMUNE, code=code).first()


@router.get("/retests", response={200: RetestPage, **ERRORS},
            summary="People to swab again (positive pool, unclear or rejected sample), in your jurisdiction")
def list_retests(request, commune: str = "", query: str = "", page: int = 1):
    """`commune`: the official code of a commune; `query`: a name or a sample code."""
    unit = commune_of(commune) if commune else None
    if commune and unit is None:
        return {"items": [], "page": 1, "has_next": False}
    result = page_of(results_selectors.retests_due(user=request.user, commune=unit, query=query), page=page, size=100)
    results_selectors.retests_audited(user=request.user, swabs=result.items)
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


class RetestIn(Schema):
    code: str = Field(..., max_length=60, description="the new tube's code")
    collected_at: Instant | None = None


class RetestSampleOut(Schema):
    sample_id: UUID
    code: str
    retest_of: str


@router.post("/retests/{uuid:swab_id}/sample", response={201: RetestSampleOut, **ERRORS},
             summary="Register the individual re-test sample of a person due one")
def register_retest(request, swab_id: UUID, payload: RetestIn):
    swab = results_selectors.retest_swab_get(user=request.user, swab_id=swab_id)
    sample = results.retest_register(swab=swab, code=payload.code, collected_at=payload.collected_at, by=request.user)
    return Status(201, {"sample_id": sample.pk, "code": sample.code, "retest_of": swab.sample.code})
