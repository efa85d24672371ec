"""Geometry of areas drawn or imported by users (lockdown areas, later others): GeoJSON checked with shapely, areas in
km², and the shape of a province to check an area falls inside it.

Coordinates are WGS 84 longitude/latitude (GeoJSON's order). Areas use a local equirectangular projection around
the shape's own latitude: within a province (≤ 2° across) the error is well under 1 %."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import shapely
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from shapely import make_valid, voronoi_polygons
from shapely.errors import ShapelyError
from shapely.geometry import MultiPoint, MultiPolygon, Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import explain_validity

from lachan.core.jsontext import JsonError, json_read
from lachan.core.numbers import number_text

from .models import AdminLevel, AdminUnit

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320
# Without imported boundaries a province is the hull of its communes' centres grown by this much (≈ 5.5 km): a
# commune's centre is often a few km inside its edge.
POINTS_MARGIN_DEGREES = 0.05
# An area may stick out of the province boundary by this much (≈ 100 m): boundaries from different sources differ.
BOUNDARY_TOLERANCE_DEGREES = 0.001


class ShapeError(ValueError):
    """What is wrong with a geometry, in words for the user."""


def geojson_load(data: bytes) -> Any:
    """A GeoJSON file's document: JSON without NaN or Infinity (Python's json accepts them; they are no
    coordinate), nested at most LACHAN_GEOJSON_MAX_DEPTH deep (a polygon is 6 deep inside a FeatureCollection; a file
    nested 200,000 deep overflowed the parser's recursion into a server error). Raises ShapeError."""
    try:
        doc = json_read(data)
    except JsonError as exc:
        words = {"depth": _("the file is nested too deeply to be GeoJSON"), "encoding": _("the file is not text in UTF-8"),
                 "number": _("the file holds a number JSON does not allow (NaN or Infinity)")}
        raise ShapeError(words.get(exc.kind) or _("the file is not valid JSON (line %(line)s, column %(column)s)")
                         % {"line": exc.line, "column": exc.column}) from None
    _check_depth(doc, settings.LACHAN_GEOJSON_MAX_DEPTH)
    return doc


def _check_depth(doc: Any, limit: int) -> None:
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            raise ShapeError(_("the file is nested more than %(n)s deep: it is not GeoJSON") % {"n": limit})
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def feature_properties(feature: Any) -> dict[str, Any]:
    """A feature's properties: an object, or none. Raises ShapeError for anything else ("properties": "abc")."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise ShapeError(_("the feature's properties must be a JSON object"))
    return props


def vertices_count(value: Any, limit: int) -> int:
    """The coordinates in a GeoJSON geometry's nested lists, counted without building it; stops past limit."""
    count, stack = 0, [value.get("coordinates") if isinstance(value, dict) else None]
    while stack:
        item = stack.pop()
        if not isinstance(item, list):
            continue
        if item and not isinstance(item[0], list):  # a position
            count += 1
            if count > limit:
                return count
        else:
            stack.extend(item)
    return count


def geometry_parse(value: Any, *, max_vertices: int | None = None) -> BaseGeometry:
    """A GeoJSON Polygon or MultiPolygon (or a Feature holding one), checked: closed rings, coordinates in range,
    no self-intersection, not empty, at most max_vertices corners (LACHAN_GEOMETRY_MAX_VERTICES: an area drawn or
    imported, served on every map). Raises ShapeError."""
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ShapeError(_("the area must be a GeoJSON Polygon or MultiPolygon"))
    limit = max_vertices or settings.LACHAN_GEOMETRY_MAX_VERTICES
    if vertices_count(value, limit) > limit:
        raise ShapeError(_("the polygon has more than %(n)s corners: simplify it (e.g. in QGIS) and try again")
                         % {"n": number_text(limit)})
    try:
        geom = shape(value)
    except (ValueError, TypeError, IndexError, AttributeError, KeyError, ShapelyError):  # GEOS: an unclosed NaN ring
        raise ShapeError(_("the coordinates are not a polygon (each ring a list of [longitude, latitude] pairs)")) \
            from None
    if geom.is_empty:
        raise ShapeError(_("the polygon is empty"))
    polygons = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    for polygon in polygons:
        ring = list(polygon.exterior.coords)
        if len(ring) < 4:
            raise ShapeError(_("a polygon needs at least three corners"))
        for lon, lat, *_rest in ring:
            if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
                raise ShapeError(_("the coordinates must be longitude, latitude in degrees (WGS 84)"))
    if not geom.is_valid:
        raise ShapeError(_invalid_text(geom))
    if geom.area == 0:
        raise ShapeError(_("the polygon has no area"))
    return geom


def _invalid_text(geom: BaseGeometry) -> str:
    """shapely's reason (English, e.g. "Self-intersection[106.1 10.2]") in the user's words, with its place."""
    reason = explain_validity(geom)
    name, _sep, where = reason.partition("[")
    where = where.rstrip("]").replace(" ", ", ")
    words = {"Self-intersection": _("its edges cross each other"), "Ring Self-intersection": _("a ring touches itself"),
             "Too few points": _("a ring has too few corners"), "Hole lies outside shell": _("a hole lies outside it"),
             "Interior is disconnected": _("its holes cut it in pieces"),
             "Nested shells": _("one of its polygons lies inside another")}
    problem = words.get(name.strip(), _("its shape is not a simple polygon"))
    if where:
        return _("the polygon is not valid: %(problem)s near %(where)s") % {"problem": problem, "where": where}
    return _("the polygon is not valid: %(problem)s") % {"problem": problem}


def geometry_json(geom: BaseGeometry, *, digits: int = 6) -> dict[str, Any]:
    """GeoJSON of a geometry with coordinates rounded (6 digits ≈ 10 cm)."""
    rounded = shapely.transform(geom, lambda xy: xy.round(digits))
    return json.loads(json.dumps(mapping(rounded)))  # tuples to lists: what a JSONField gives back


# How far a drawn line may stray from the stored one, in degrees (0.001° ≈ 110 m), by what the map shows: the
# province's districts, a district's communes, a commune or a lockdown area. About a screen pixel at the zoom such
# a layer is looked at: what is stored stays exact, what every visitor downloads is a fraction of it.
DISPLAY_TOLERANCE_DEGREES = {AdminLevel.PROVINCE: 0.001, AdminLevel.DISTRICT: 0.0005, AdminLevel.COMMUNE: 0.0002}
AREA_DISPLAY_TOLERANCE_DEGREES = 0.0001


def display_geometry(geometry: dict[str, Any] | None, *, tolerance: float) -> dict[str, Any] | None:
    """A stored GeoJSON geometry as the map draws it: simplified (topology kept: no ring crosses itself) and rounded
    to 5 digits (≈ 1 m). Points, and what cannot be read as a shape, are given back unchanged."""
    if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return geometry
    geom = boundary_shape(geometry)
    if geom is None or geom.is_empty:
        return geometry
    simplified = geom.simplify(tolerance, preserve_topology=True)
    return geometry_json(simplified if not simplified.is_empty else geom, digits=5)


def area_km2(geom: BaseGeometry) -> float:
    lat = geom.centroid.y
    kx = KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(lat))
    return shapely.transform(geom, lambda xy: xy * (kx, KM_PER_DEGREE_LAT)).area


def boundary_shape(boundary: dict[str, Any] | None) -> BaseGeometry | None:
    """An imported boundary (GeoJSON) as a shape, repaired if it needs to be; None when missing or unusable."""
    if not boundary:
        return None
    try:
        geom = shape(boundary)
    except (ValueError, TypeError, IndexError, AttributeError, KeyError):
        return None
    return geom if geom.is_valid else make_valid(geom)


def unit_shape(unit: AdminUnit) -> BaseGeometry | None:
    return boundary_shape(unit.boundary)


@dataclass
class UnitFootprint:
    """Where a unit and its communes are: their imported boundaries, or — when those are missing — the hull of the
    communes' centres and each commune's Voronoi cell within it (an approximation, said by `from_points`)."""

    unit: AdminUnit
    outline: BaseGeometry | None
    communes: list[tuple[AdminUnit, BaseGeometry]]
    from_points: bool

    def covers(self, geom: BaseGeometry) -> bool:
        if self.outline is None:
            return True  # nothing known of where the unit is: nothing to check against
        outline = self.outline if self.from_points else self.outline.buffer(BOUNDARY_TOLERANCE_DEGREES)
        return outline.covers(geom)

    def communes_touched(self, geom: BaseGeometry) -> list[tuple[AdminUnit, float]]:
        """The communes the area lies in, each with the area (km²) of the part inside it."""
        found = []
        for commune, cell in self.communes:
            if cell.intersects(geom):
                part = area_km2(cell.intersection(geom))
                if part > 0:
                    found.append((commune, part))
        if not found and self.communes and self.from_points:  # grown past the hull: the nearest centre's
            centre = geom.centroid
            nearest = min(self.communes, key=lambda cc: cc[1].distance(centre))[0]
            found = [(nearest, area_km2(geom))]
        return found

    def residents_estimate(self, geom: BaseGeometry) -> int | None:
        """The people living in the area if each commune's population were spread evenly over its area; None
        when no commune touched has a population."""
        total, known = 0.0, False
        cells = dict((c.pk, cell) for c, cell in self.communes)
        for commune, part in self.communes_touched(geom):
            commune_km2 = commune.area_km2 or area_km2(cells[commune.pk])
            if commune.population and commune_km2:
                total += commune.population * min(1.0, part / commune_km2)
                known = True
        return round(total) if known else None


def unit_footprint(unit: AdminUnit) -> UnitFootprint:
    communes = list(AdminUnit.objects.filter(tree=unit.tree, level=AdminLevel.COMMUNE)
                    .filter(Q(pk=unit.pk) | Q(path__startswith=unit.path + "/"))
                    .only("id", "code", "name", "path", "parent_id", "level", "latitude", "longitude", "population",
                          "area_km2", "boundary", "boundary_approximate", "tree"))
    shapes = [unit_shape(c) for c in communes]
    if communes and all(s is not None for s in shapes):
        own = unit_shape(unit) if unit.level != AdminLevel.COMMUNE else None
        return UnitFootprint(unit, own or unary_union(shapes), list(zip(communes, shapes, strict=True)),
                             from_points=False)
    located = [c for c in communes if c.latitude is not None and c.longitude is not None]
    if not located:
        return UnitFootprint(unit, unit_shape(unit), [], from_points=True)
    points = MultiPoint([(c.longitude, c.latitude) for c in located])
    outline = points.convex_hull.buffer(POINTS_MARGIN_DEGREES)
    regions = list(voronoi_polygons(points, extend_to=outline).geoms) if len(located) > 1 else [outline]
    cells = []
    for commune in located:  # each centre's cell: the Voronoi polygon that holds it, clipped to the outline
        point = Point(commune.longitude, commune.latitude)
        region = next((r for r in regions if r.covers(point)), outline)
        cells.append((commune, region.intersection(outline)))
    return UnitFootprint(unit, outline, cells, from_points=True)

