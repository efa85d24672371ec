"""Map API: each layer as GeoJSON within the caller's jurisdiction, the citizens' public layers (no log-in), and the
lockdown areas (list, draw, import, change, lift)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from lachan.accounts.actors import PUBLIC
from lachan.core.dates import Day
from lachan.core.errors import DomainError
from lachan.geo.api import UNIT_LABEL
from lachan.risk import lockdown_selectors, lockdown_services
from lachan.risk.models import LockdownArea

from .map_layers import map_layer_json

router = Router(tags=["map"])
MAX_UPLOAD = 10 * 1024 * 1024


def _geojson(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type="application/geo+json")


@router.get("/layers/{layer}", summary="A map layer as GeoJSON (risk, cases, test_sites, health_stations, "
            "quarantine_facilities, lockdowns, essential_shops, declaration_points)")
def layer(request, layer: str, on: Day | None = None, admin_level: int = 3):
    return _geojson(map_layer_json(user=request.auth, layer=layer, on=on, admin_level=admin_level))


@router.get("/public/{layer}", auth=None, summary="A public layer of the citizens' map (no log-in)")
def public_layer(request, layer: str, on: Day | None = None, admin_level: int = 3):
    response = _geojson(map_layer_json(user=PUBLIC, layer=layer, on=on, admin_level=admin_level))
    response["Cache-Control"] = "public, max-age=300"
    return response


class LockdownOut(Schema):
    id: UUID
    name: str
    unit_code: str
    unit_name: str
    unit_label: str = Field(..., description=UNIT_LABEL)
    starts_on: date
    ends_on: date | None
    lifted_on: date | None
    lifted_reason: str
    residents: int | None
    residents_estimate: int | None
    area_km2: float
    reason: str
    source: str
    geometry: dict[str, Any]

    @staticmethod
    def resolve_unit_code(obj: LockdownArea) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: LockdownArea) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_unit_label(obj: LockdownArea) -> str:
        return obj.unit.label


class LockdownIn(Schema):
    name: str
    geometry: dict[str, Any]
    starts_on: Day
    ends_on: Day | None = None
    residents: int | None = None
    reason: str = ""


class LockdownPatch(Schema):
    name: str | None = None
    geometry: dict[str, Any] | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    residents: int | None = None
    reason: str | None = None


class LiftIn(Schema):
    on: Day | None = None
    reason: str


@router.get("/lockdowns", response=list[LockdownOut], summary="Lockdown areas (in force on a day, or all)")
def lockdowns(request, on: Day | None = None):
    rows = lockdown_selectors.lockdown_areas_in_scope(request.auth)
    if on is not None:
        rows = rows.filter(lockdown_selectors.in_force_q(on))
    return list(rows[:2000])


@router.post("/lockdowns", response={201: LockdownOut}, summary="A lockdown area drawn on the map")
def lockdown_create(request, payload: LockdownIn):
    area = lockdown_services.lockdown_area_create(by=request.auth, **payload.dict())
    return Status(201, area)


@router.post("/lockdowns/import", response={201: list[LockdownOut]},
             summary="Lockdown areas from a GeoJSON file (all or nothing)")
def lockdown_import(request, file: File[UploadedFile], starts_on: Form[Day | None] = None,
                    ends_on: Form[Day | None] = None, reason: Form[str] = ""):
    if file.size > MAX_UPLOAD:
        raise DomainError("lockdown_file_invalid", _("The file is larger than 10 MB."), field="file")
    areas = lockdown_services.lockdown_areas_import(data=file.read(), by=request.auth, starts_on=starts_on,
                                                   ends_on=ends_on, reason=reason)
    return Status(201, areas)


@router.get("/lockdowns/{area_id}", response=LockdownOut)
def lockdown_get(request, area_id: str):
    return lockdown_selectors.lockdown_area_get(user=request.auth, pk=area_id)


@router.patch("/lockdowns/{area_id}", response=LockdownOut, summary="Change a lockdown area's dates, residents or shape")
def lockdown_update(request, area_id: str, payload: LockdownPatch):
    area = lockdown_selectors.lockdown_area_get(user=request.auth, pk=area_id)
    return lockdown_services.lockdown_area_update(area=area, by=request.auth, **payload.dict(exclude_unset=True))


@router.post("/lockdowns/{area_id}/lift", response=LockdownOut, summary="Lift a lockdown, with the reason")
def lockdown_lift(request, area_id: str, payload: LiftIn):
    area = lockdown_selectors.lockdown_area_get(user=request.auth, pk=area_id)
    return lockdown_services.lockdown_area_lift(area=area, on=payload.on, reason=payload.reason, by=request.auth)
