"""Writes of lockdown areas (khu vực phong tỏa): drawn on the map or imported as GeoJSON, with their dates and the
number of residents inside; lifted early with a reason. Every area is checked before anything is saved: a valid
polygon, inside the province (its imported boundary, else the hull of its communes' centres) and inside the
user's jurisdiction. The unit that holds it (commune, district or province) decides who sees it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user, is_system
from lachan.accounts.audit import audit_record
from lachan.accounts.jurisdiction import scope_for, unit_in_scope
from lachan.accounts.roles import Perm
from lachan.core.dates import day_parse
from lachan.core.errors import DomainError, NotFound, ValidationFailed
from lachan.core.updates import model_update
from lachan.geo.models import AdminUnit
from lachan.geo.shapes import (
    ShapeError,
    UnitFootprint,
    area_km2,
    feature_properties,
    geojson_load,
    geometry_json,
    geometry_parse,
    unit_footprint,
)

from ..access import require_lockdown_perm
from ..errors import LockdownErrorCode as Code
from ..models import LockdownArea

MAX_AREA_KM2 = 5_000  # larger than any province: a drawing mistake (or a projected file read as degrees)
MAX_FEATURES = 500
MAX_RESIDENTS = 20_000_000


def province_unit() -> AdminUnit:
    unit = AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, code=settings.LACHAN_PROVINCE_CODE).first()
    if unit is None:
        raise DomainError(Code.OUTSIDE_PROVINCE, _("The province's administrative units are not loaded."))
    return unit


@dataclass
class CheckedArea:
    geometry: dict[str, Any]
    unit: AdminUnit
    area_km2: float
    residents_estimate: int | None


def _holding_unit(province: AdminUnit, communes: list[AdminUnit]) -> AdminUnit:
    """The smallest unit holding every commune touched (paths are "tree/province/district/commune")."""
    if not communes:
        return province
    common = communes[0].path.split("/")
    for commune in communes[1:]:
        path = commune.path.split("/")
        n = 0
        while n < min(len(common), len(path)) and common[n] == path[n]:
            n += 1
        common = common[:n]
    if len(common) <= 2:
        return province
    return AdminUnit.objects.get(tree=province.tree, path="/".join(common))


def lockdown_geometry_check(*, geometry: Any, by, footprint: UnitFootprint | None = None) -> CheckedArea:
    """The area checked and located: a ShapeError or an area outside the province or the user's jurisdiction
    raises a DomainError with field "geometry"."""
    try:
        geom = geometry_parse(geometry)
    except ShapeError as exc:
        raise DomainError(Code.GEOMETRY_INVALID, _("The area is not a valid polygon: %(problem)s.")
                          % {"problem": exc}, field="geometry") from None
    km2 = area_km2(geom)
    if km2 > MAX_AREA_KM2:
        raise DomainError(Code.GEOMETRY_INVALID, _("The area covers %(km2)s km²: larger than a province. Check the "
                                                   "drawing (or that the file is in longitude/latitude degrees).")
                          % {"km2": f"{km2:,.0f}"}, field="geometry")
    province = province_unit()
    footprint = footprint or unit_footprint(province)
    if not footprint.covers(geom):
        raise DomainError(Code.OUTSIDE_PROVINCE, _("The area is not inside %(province)s.") % {"province": province.name},
                          field="geometry")
    touched = footprint.communes_touched(geom)
    unit = _holding_unit(province, [c for c, _km2 in touched])
    if not is_system(by) and not unit_in_scope(scope_for(by), unit):
        raise DomainError(Code.OUTSIDE_JURISDICTION, _("The area reaches beyond your jurisdiction (it lies in %(unit)s).")
                          % {"unit": unit.label}, field="geometry")
    return CheckedArea(geometry=geometry_json(geom), unit=unit, area_km2=round(km2, 4),
                       residents_estimate=footprint.residents_estimate(geom))


def _text(value, *, field: str, required: bool = False, limit: int) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise DomainError(Code.NAME_REQUIRED, _("Name the area (e.g. the hamlet or street)."), field=field)
    return text[:limit]


def _day(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    day = day_parse(value)
    if day is not None:
        return day
    raise DomainError(Code.DATES_INVALID, _("%(value)s is not a date (DD/MM/YYYY).") % {"value": value}, field=field)


def _dates(starts_on, ends_on) -> tuple[date, date | None]:
    start = _day(starts_on, "starts_on")
    if start is None:
        raise DomainError(Code.DATES_INVALID, _("Give the first day of the lockdown."), field="starts_on")
    end = _day(ends_on, "ends_on")
    if end is not None and end < start:
        raise DomainError(Code.DATES_INVALID, _("The last day is before the first day."), field="ends_on")
    return start, end


def _residents(value) -> int | None:
    """A whole number: 2150, "2150", "2.150" or "2,150" (thousands grouped); not 2150.5 nor "2.1"."""
    if value in (None, ""):
        return None
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\d+|\d{1,3}(?:[.,]\d{3})+", value.strip()):
        number = int(re.sub(r"[.,]", "", value.strip()))
    if number is None or not 0 <= number <= MAX_RESIDENTS:
        raise DomainError(Code.RESIDENTS_INVALID, _("The number of residents must be a whole number from 0."),
                          field="residents")
    return number


def _cleaned(*, name, geometry, starts_on, ends_on, residents, reason, by, footprint=None) -> dict[str, Any]:
    """Every field checked, the geometry last (the dearest check)."""
    name = _text(name, field="name", required=True, limit=200)
    start, end = _dates(starts_on, ends_on)
    count = _residents(residents)
    checked = lockdown_geometry_check(geometry=geometry, by=by, footprint=footprint)
    return {"name": name, "starts_on": start, "ends_on": end, "residents": count,
            "reason": _text(reason, field="reason", limit=500), "geometry": checked.geometry, "unit": checked.unit,
            "area_km2": checked.area_km2, "residents_estimate": checked.residents_estimate}


def _audit(area: LockdownArea, action: str, by, **detail) -> None:
    audit_record(actor=by, action=action, object_type="risk.lockdown", object_id=area.pk,
                 detail={"name": area.name, "unit": area.unit.code, "starts_on": area.starts_on.isoformat(),
                         "ends_on": area.ends_on.isoformat() if area.ends_on else None, **detail})


@transaction.atomic(durable=True)
def lockdown_area_create(*, name: str, geometry: Any, starts_on, ends_on=None, residents=None, reason: str = "",
                         by, source: str = "drawn") -> LockdownArea:
    """A lockdown area drawn on the map (or one feature of a file)."""
    require_lockdown_perm(by, Perm.RISK_EDIT)
    fields = _cleaned(name=name, geometry=geometry, starts_on=starts_on, ends_on=ends_on, residents=residents,
                      reason=reason, by=by)
    area = LockdownArea.objects.create(**fields, source=source, created_by=as_user(by), changed_by=as_user(by))
    _audit(area, "risk.lockdown_create", by, residents=area.residents, area_km2=area.area_km2)
    return area


@transaction.atomic(durable=True)
def lockdown_area_update(*, area: LockdownArea, by, name=None, geometry=None, starts_on=None, ends_on=None,
                         residents=None, reason=None, clear_end: bool = False) -> LockdownArea:
    """Change what was given (dates, residents, the drawing). A lifted area is history: it cannot change."""
    require_lockdown_perm(by, Perm.RISK_EDIT)
    area = _locked(area, by)
    if area.lifted_on is not None:
        raise DomainError(Code.ALREADY_LIFTED, _("This lockdown was lifted: it can no longer change."))
    fields = _cleaned(
        name=area.name if name is None else name, geometry=area.geometry if geometry is None else geometry,
        starts_on=area.starts_on if starts_on is None else starts_on,
        ends_on=None if clear_end else (area.ends_on if ends_on is None else ends_on),
        residents=area.residents if residents is None else residents,
        reason=area.reason if reason is None else reason, by=by)
    model_update(area, fields, changed_by=as_user(by))  # nothing written when nothing changed; audited all the same
    _audit(area, "risk.lockdown_update", by, residents=area.residents)
    return area


@transaction.atomic(durable=True)
def lockdown_area_lift(*, area: LockdownArea, on, reason: str, by) -> LockdownArea:
    """Lift a lockdown from a day (it is in force until the day before), with the reason."""
    require_lockdown_perm(by, Perm.RISK_EDIT)
    area = _locked(area, by)
    if area.lifted_on is not None:
        raise DomainError(Code.ALREADY_LIFTED, _("This lockdown was already lifted on %(day)s.")
                          % {"day": area.lifted_on.strftime("%d/%m/%Y")})
    day = _day(on, "lifted_on") or timezone.localdate()
    if day <= area.starts_on:
        raise DomainError(Code.DATES_INVALID, _("A lockdown is lifted after its first day (delete a mistaken one "
                                                "instead)."), field="lifted_on")
    if day > timezone.localdate():
        raise DomainError(Code.DATES_INVALID, _("The day is in the future."), field="lifted_on")
    text = _text(reason, field="reason", limit=500)
    if not text:
        raise DomainError(Code.NAME_REQUIRED, _("Give the reason for lifting the lockdown."), field="reason")
    area.lifted_on, area.lifted_reason, area.changed_by = day, text, by
    area.save(update_fields=["lifted_on", "lifted_reason", "changed_by", "changed_at"])
    _audit(area, "risk.lockdown_lift", by, lifted_on=day.isoformat(), reason=text)
    return area


@transaction.atomic(durable=True)
def lockdown_area_delete(*, area: LockdownArea, reason: str, by) -> None:
    """Remove an area entered by mistake (the audit trail keeps what it was)."""
    require_lockdown_perm(by, Perm.RISK_EDIT)
    area = _locked(area, by)
    text = _text(reason, field="reason", limit=500)
    if not text:
        raise DomainError(Code.NAME_REQUIRED, _("Give the reason for deleting the area."), field="reason")
    _audit(area, "risk.lockdown_delete", by, reason=text, geometry=area.geometry)
    area.delete()


def _locked(area, by) -> LockdownArea:
    row = LockdownArea.objects.select_for_update().select_related("unit").filter(pk=getattr(area, "pk", area)).first()
    if row is None or (not is_system(by) and not unit_in_scope(scope_for(by), row.unit)):
        raise NotFound(Code.NOT_FOUND, _("No such lockdown area in your jurisdiction."))
    return row


# ---- import ------------------------------------------------------------------------------------------------------

PROPERTY_NAMES = {
    "name": ("name", "ten", "tên", "ten_khu", "khu_vuc"),
    "starts_on": ("starts_on", "start", "from", "tu_ngay", "từ ngày", "ngay_bat_dau"),
    "ends_on": ("ends_on", "end", "until", "den_ngay", "đến ngày", "ngay_ket_thuc"),
    "residents": ("residents", "population", "so_dan", "số dân", "dan_so"),
    "reason": ("reason", "ly_do", "lý do", "note", "ghi_chu"),
}


def _property(props: dict[str, Any], field: str, default=None):
    lowered = {str(k).strip().lower(): v for k, v in props.items()}
    for key in PROPERTY_NAMES[field]:
        if key in lowered and lowered[key] not in (None, ""):
            return lowered[key]
    return default


def lockdown_areas_import(*, data: bytes, by, starts_on=None, ends_on=None, reason: str = "") -> list[LockdownArea]:
    """A GeoJSON file: a FeatureCollection (one area per feature), a Feature or a bare geometry. Each feature may
    carry its name, dates, residents and reason as properties (English or Vietnamese names, see PROPERTY_NAMES);
    the form's dates and reason stand in where a feature has none. Every feature is checked; one bad feature and
    nothing is saved, with every problem listed by feature."""
    require_lockdown_perm(by, Perm.RISK_EDIT)
    try:
        doc = geojson_load(data)
    except ShapeError as exc:
        raise DomainError(Code.FILE_INVALID, _("The file is not valid GeoJSON: %(problem)s") % {"problem": exc},
                          field="file") from None
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list):
        features = doc["features"]
    elif isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    elif isinstance(doc, dict) and doc.get("type") in ("Polygon", "MultiPolygon"):
        features = [{"type": "Feature", "geometry": doc, "properties": {}}]
    else:
        raise DomainError(Code.FILE_INVALID, _("The file must be a GeoJSON FeatureCollection, Feature or Polygon."),
                          field="file")
    if not features:
        raise DomainError(Code.FILE_INVALID, _("The file holds no area."), field="file")
    if len(features) > MAX_FEATURES:
        raise DomainError(Code.FILE_INVALID, _("At most %(n)s areas per file.") % {"n": MAX_FEATURES}, field="file")
    if doc.get("crs") and "4326" not in json.dumps(doc["crs"]) and "CRS84" not in json.dumps(doc["crs"]):
        raise DomainError(Code.FILE_INVALID, _("The file's coordinates must be longitude/latitude (WGS 84, EPSG:4326)."),
                          field="file")
    footprint = unit_footprint(province_unit())  # once for the whole file
    rows, errors = [], []
    for number, feature in enumerate(features, start=1):
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise DomainError(Code.GEOMETRY_INVALID, _("not a GeoJSON Feature"), field="geometry")
            try:
                props = feature_properties(feature)
            except ShapeError as exc:
                raise DomainError(Code.FILE_INVALID, str(exc), field="properties") from None
            rows.append(_cleaned(
                name=_property(props, "name", _("Area %(n)s") % {"n": number}), geometry=feature.get("geometry"),
                starts_on=_property(props, "starts_on", starts_on), ends_on=_property(props, "ends_on", ends_on),
                residents=_property(props, "residents"), reason=_property(props, "reason", reason), by=by,
                footprint=footprint))
        except DomainError as exc:
            errors.append(DomainError(exc.code, _("Area %(n)s: %(problem)s") % {"n": number, "problem": exc.message},
                                      field=exc.field, row=number))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        areas = [LockdownArea.objects.create(**fields, source="imported", created_by=as_user(by), changed_by=as_user(by))
                 for fields in rows]
        for area in areas:
            _audit(area, "risk.lockdown_create", by, residents=area.residents, area_km2=area.area_km2, imported=True)
    return areas
