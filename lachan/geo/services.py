"""Writes to administrative units: loading the official tree, populations, boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.numbers import int_or_none
from lachan.core.tables import TableError, table_read

from .errors import GeoErrorCode
from .models import AdminLevel, AdminTree, AdminUnit
from .official_units import official_units
from .shapes import ShapeError, feature_properties, geojson_load, vertices_count


@transaction.atomic
def admin_units_load(*, tree: str, province_code: str | None) -> int:
    """Create or update the official units of a tree (one province, or the whole country).
    Idempotent: populations and boundaries already entered are kept."""
    if tree not in AdminTree.values:
        raise DomainError(GeoErrorCode.UNKNOWN_TREE, _("Unknown administrative tree: %(tree)s") % {"tree": tree})
    existing = {u.code: u for u in AdminUnit.objects.filter(tree=tree)}
    created = 0
    by_code: dict[str, AdminUnit] = dict(existing)
    found = 0
    for unit in official_units(tree, province_code):
        found += 1
        parent = by_code.get(unit.parent_code) if unit.parent_code else None
        path = f"{tree}/{unit.code}" if parent is None else f"{parent.path}/{unit.code}"
        values = dict(
            level=unit.level, name=unit.name, short_name=unit.short_name, kind=unit.kind, parent=parent,
            path=path, latitude=unit.latitude, longitude=unit.longitude, area_km2=unit.area_km2,
        )
        obj = existing.get(unit.code)
        if obj is None:
            obj = AdminUnit.objects.create(tree=tree, code=unit.code, **values)
            created += 1
        else:
            changed = [k for k, v in values.items() if getattr(obj, k) != v]
            if changed:
                for k in changed:
                    setattr(obj, k, values[k])
                obj.save(update_fields=changed)
        by_code[unit.code] = obj
    if not found:
        raise DomainError(GeoErrorCode.UNKNOWN_PROVINCE, _("Unknown province code: %(code)s") % {"code": province_code})
    return created


@transaction.atomic(durable=True)
def admin_unit_set_population(*, unit: AdminUnit, population: int | None, year: int | None = None, source: str = "") -> AdminUnit:
    if population is not None and not (0 <= population <= 50_000_000):
        raise DomainError(GeoErrorCode.BAD_ROW, _("Population must be a whole number between 0 and 50,000,000."), field="population")
    if year is not None and not (1900 <= year <= 2100):
        raise DomainError(GeoErrorCode.BAD_ROW, _("Enter a year between 1900 and 2100."), field="year")
    unit.population, unit.population_year, unit.population_source = population, year, source[:200]
    unit.save(update_fields=["population", "population_year", "population_source"])
    return unit


@dataclass
class ImportReport:
    applied: int = 0
    errors: list[dict] = field(default_factory=list)


POPULATION_MAX_BYTES = 10 * 2**20
POPULATION_MAX_ROWS = 20_000  # the whole country has about 10,600 communes


def _cell_text(value) -> str:
    """An Excel cell as the text a CSV would hold (12345.0 is 12345: the population's "." is a thousands mark)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def admin_unit_populations_import(*, tree: str, data: bytes, year: int | None = None, source: str = "") -> ImportReport:
    """A table (CSV in any encoding and delimiter core.tables reads, or .xlsx) with columns code,population. The
    whole file is applied or nothing."""
    report = ImportReport()
    try:
        rows = table_read(data, "population.csv", max_bytes=POPULATION_MAX_BYTES, max_rows=POPULATION_MAX_ROWS).rows
    except TableError as exc:
        raise DomainError(GeoErrorCode.BAD_FILE, exc.message) from None
    table = [[_cell_text(cell) for cell in row] for row in rows]
    fieldnames = [f.strip() for f in table[0]] if table else []
    if not {"code", "population"} <= set(fieldnames):
        raise DomainError(GeoErrorCode.BAD_FILE, _("The file needs the columns: code, population."))
    units = {u.code: u for u in AdminUnit.objects.filter(tree=tree)}
    updates: list[AdminUnit] = []
    for line, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line (csv.DictReader skipped them too)
        row = dict(zip(fieldnames, cells, strict=False))
        code = (row.get("code") or "").strip()
        raw = (row.get("population") or "").strip().replace(".", "").replace(",", "")
        unit = units.get(code)
        if unit is None:
            report.errors.append({"row": line, "code": code, "message": _("Unknown unit code.")})
            continue
        if int_or_none(raw, max_digits=12) is None:
            report.errors.append({"row": line, "code": code, "message": _("Population must be a whole number.")})
            continue
        unit.population = int(raw)
        unit.population_year = year
        unit.population_source = source
        updates.append(unit)
    if report.errors:
        raise ValidationFailed([DomainError(GeoErrorCode.BAD_ROW, e["message"], field=f"row {e['row']}") for e in report.errors])
    with transaction.atomic():
        AdminUnit.objects.bulk_update(updates, ["population", "population_year", "population_source"], batch_size=500)
    report.applied = len(updates)
    return report


def admin_unit_boundaries_import(*, tree: str, data: bytes, code_property: str = "code") -> int:
    """A GeoJSON FeatureCollection whose features carry the unit's official code in a property.
    Every feature must name a known unit and have a polygon; otherwise nothing is saved."""
    try:
        doc = geojson_load(data)
    except ShapeError as exc:
        raise DomainError(GeoErrorCode.BAD_FILE, _("The file is not valid GeoJSON: %(err)s") % {"err": exc}) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise DomainError(GeoErrorCode.BAD_FILE, _("The file must be a GeoJSON FeatureCollection."))
    units = {u.code: u for u in AdminUnit.objects.filter(tree=tree)}
    errors: list[DomainError] = []
    updates: list[AdminUnit] = []
    limit = settings.LACHAN_BOUNDARY_MAX_VERTICES
    for index, feature in enumerate(doc["features"], start=1):
        try:
            props = feature_properties(feature)
        except ShapeError:
            errors.append(DomainError(GeoErrorCode.BAD_ROW, _("Feature %(n)s: the properties are not a JSON object.")
                                      % {"n": index}))
            continue
        code = str(props.get(code_property, "")).strip()
        geometry = (feature.get("geometry") if isinstance(feature, dict) else None) or {}
        if not isinstance(geometry, dict):
            geometry = {}
        unit = units.get(code)
        if unit is None:
            errors.append(DomainError(GeoErrorCode.BAD_ROW, _("Feature %(n)s: unknown unit code %(code)r.") % {"n": index, "code": code}))
            continue
        if geometry.get("type") not in ("Polygon", "MultiPolygon") or not _valid_coordinates(geometry):
            errors.append(DomainError(GeoErrorCode.BAD_ROW, _("Feature %(n)s: the geometry is not a valid polygon.") % {"n": index}))
            continue
        if vertices_count(geometry, limit) > limit:
            errors.append(DomainError(GeoErrorCode.BAD_ROW, _(
                "Feature %(n)s: the boundary has more than %(limit)s corners. Simplify it (e.g. in QGIS) and try "
                "again.") % {"n": index, "limit": f"{limit:,}".replace(",", ".")}))
            continue
        unit.boundary = geometry
        unit.boundary_approximate = False  # an official boundary replaces an approximate area
        updates.append(unit)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        AdminUnit.objects.bulk_update(updates, ["boundary", "boundary_approximate"], batch_size=200)
    return len(updates)


@transaction.atomic
def admin_unit_boundaries_approximate(*, unit: AdminUnit) -> int:
    """Approximate areas for the communes of `unit` that have no boundary (a demo, a province before its official
    file is imported): the Voronoi cell around each commune's centre, clipped to the hull of the centres grown by
    POINTS_MARGIN_DEGREES (lachan.geo.shapes.unit_footprint's cells). Stored as boundaries marked approximate: the map
    draws them (dashed), the risk rules never take them for borders, and an official import replaces them. The number
    of communes given an area."""
    from .shapes import geometry_json, unit_footprint  # shapely is loaded only for this

    communes = AdminUnit.objects.filter(tree=unit.tree, level=AdminLevel.COMMUNE).filter(
        Q(pk=unit.pk) | Q(path__startswith=unit.path + "/"))
    missing = {c.pk for c in communes.filter(boundary__isnull=True)}
    if not missing:
        return 0
    # The cells from the centres alone: areas already approximate are drawn again with the others.
    communes.filter(boundary_approximate=True).update(boundary=None)
    footprint = unit_footprint(unit)
    updates = []
    for commune, cell in footprint.communes:
        if (commune.pk in missing or commune.boundary_approximate) and cell is not None and not cell.is_empty:
            commune.boundary = geometry_json(cell, digits=5)
            commune.boundary_approximate = True
            updates.append(commune)
    AdminUnit.objects.bulk_update(updates, ["boundary", "boundary_approximate"], batch_size=200)
    return len(updates)


def _valid_coordinates(geometry: dict) -> bool:
    try:
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            for ring in polygon:
                if len(ring) < 4 or ring[0] != ring[-1]:
                    return False
                for lon, lat, *_rest in ring:
                    if not (-180 <= float(lon) <= 180 and -90 <= float(lat) <= 90):
                        return False
    except (TypeError, ValueError, KeyError):
        return False
    return True
