"""The map's layers (DESIGN §2.7): each a GeoJSON FeatureCollection gathered from the domain that holds it, within
the reader's jurisdiction — risk levels (risk), cases by commune of residence (cases), test sites, health stations,
essential shops and declaration points (places), quarantine facilities with their beds (quarantine), lockdown areas
(risk). The citizens' map reads the public layers of the whole province, with no personal data and no counts of
cases.

Units are drawn with their imported boundaries, else as points at their centres. Their geometry changes rarely and
is the heavy part of the risk layer: it is kept per process for a few minutes (GEOMETRY_CACHE).

Adding a layer is one register_layer(Layer(...)) call (at the end of this module): its permission, whether it is
public, how it is drawn and its builder, given the reader's jurisdiction (LayerQuery). The staff map lists it for
whoever has the permission, the API serves it at /api/map/layers/<key> (and /api/map/public/<key> if public);
map.js draws a point layer with a default pin unless its PLACE_STYLE names a colour and letter."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.ops import unary_union

from lachan.accounts.actors import is_person, is_public, may
from lachan.accounts.jurisdiction import Scope, scope_for
from lachan.accounts.roles import Perm
from lachan.cases.models import Case, CaseOrigin
from lachan.core.caching import TTLCache
from lachan.core.dates import local_midnight
from lachan.core.errors import DomainError, PermissionDenied
from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind
from lachan.geo.selectors import unit_labels
from lachan.geo.shapes import (
    AREA_DISPLAY_TOLERANCE_DEGREES,
    DISPLAY_TOLERANCE_DEGREES,
    boundary_shape,
    display_geometry,
    geometry_json,
)
from lachan.quarantine.facilities import facilities_in_scope, facilities_occupancy
from lachan.risk.lockdowns import in_force_q, lockdown_areas_in_scope
from lachan.risk.models import LEVEL_COLOURS, LockdownArea, RiskAssessment

from .errors import SituationErrorCode as Code

GEOMETRY_CACHE = TTLCache(300)
CASE_DAYS = 7  # the cases layer: confirmed in the last 7 days, and over 14 days for the trend


@dataclass(frozen=True)
class LayerQuery:
    """What a layer's builder is given: the reader (PUBLIC for the citizens' map), the jurisdiction it reads (the
    province's for the public; always a unit's: no builder runs for another scope), the day and the level of units."""

    user: Any
    scope: Scope
    on: date | None
    admin_level: int
    public: bool


@dataclass(frozen=True)
class Layer:
    """A layer of the map. `perm`: the permission to open it (staff); `public`: on the citizens' map too, so its
    builder must give nothing personal when `query.public`; `kind`: how map.js draws it ("units", "points",
    "areas"); `build`: the GeoJSON FeatureCollection of the query's jurisdiction (scoped like every selector)."""

    key: str
    title: Any
    perm: str
    public: bool
    kind: str
    build: Callable[[LayerQuery], dict[str, Any]]


# The map's layers in the order the map lists them; one register_layer() each (at the end of this module).
LAYERS: dict[str, Layer] = {}


def register_layer(layer: Layer) -> Layer:
    """Adds a layer to the map (the staff map, the API /api/map/layers/<key>, and the citizens' map if public)."""
    if layer.key in LAYERS:
        raise ValueError(f"map layer {layer.key!r} is registered twice")
    LAYERS[layer.key] = layer
    return layer


def province_scope() -> Scope:
    unit = AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, code=settings.LACHAN_PROVINCE_CODE).first()
    if unit is None:
        return Scope(kind="none")
    return Scope(kind="unit", unit_path=unit.path, unit_id=unit.pk)


def layers_for(user) -> list[Layer]:
    """The layers a user may open (the public ones for the citizens' map's reader, PUBLIC; none for None)."""
    if is_public(user):
        return [layer for layer in LAYERS.values() if layer.public]
    return [layer for layer in LAYERS.values() if may(user, layer.perm)]


def _feature(geometry: dict[str, Any] | None, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _point(lat, lon) -> dict[str, Any] | None:
    return None if lat is None or lon is None else {"type": "Point", "coordinates": [lon, lat]}


def _collection(features: list[dict[str, Any]], **meta) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [f for f in features if f["geometry"] is not None], **meta}


def _units_in(scope: Scope, admin_level: int):
    return AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, level=admin_level).filter(
        Q(path=scope.unit_path) | Q(path__startswith=scope.unit_path + "/"))


def _unit_geometries(scope: Scope, admin_level: int) -> dict[int, tuple[str, str, str, dict[str, Any] | None]]:
    """id → (code, name, the name of the unit above, geometry) of the units of a level within the scope: their
    boundary, else their centre. (Names repeat: Tiền Giang has a "Phường 1" in three towns.)"""
    def load():
        rows = list(_units_in(scope, admin_level).values_list("id", "code", "name", "parent__name", "path", "boundary",
                                                              "latitude", "longitude"))
        missing = [row[4] for row in rows if row[5] is None]
        if admin_level != AdminLevel.COMMUNE and missing:
            outlines = _communes_outlines(scope, missing)
            rows = [(*row[:5], row[5] or outlines.get(row[4]), *row[6:]) for row in rows]
        tolerance = DISPLAY_TOLERANCE_DEGREES[admin_level]
        return {uid: (code, name, parent or "", display_geometry(boundary, tolerance=tolerance) or _point(lat, lon))
                for uid, code, name, parent, _path, boundary, lat, lon in rows}

    return GEOMETRY_CACHE.get((settings.LACHAN_ADMIN_TREE, scope.unit_path, admin_level), load)


def _communes_outlines(scope: Scope, paths: list[str]) -> dict[str, dict[str, Any]]:
    """Districts' (or the province's) outlines as the union of their communes' boundaries, for those whose every
    commune has one imported (boundary files often come for communes only). One read of the communes."""
    depth = paths[0].count("/") + 1 if paths else 0
    shapes: dict[str, list] = {}
    for path, boundary in _units_in(scope, AdminLevel.COMMUNE).values_list("path", "boundary"):
        shapes.setdefault("/".join(path.split("/")[:depth]), []).append(boundary)
    outlines = {}
    for path in paths:
        parts = [boundary_shape(b) for b in shapes.get(path, [])]
        if parts and all(part is not None for part in parts):
            outlines[path] = geometry_json(unary_union(parts).simplify(0.0005), digits=5)
    return outlines


LEVEL_LOOKBACK_DAYS = 14  # a unit's level is its latest assessment within this many days of the newest


def _latest_levels(unit_ids: list[int], on: date | None, fields: tuple[str, ...]) -> tuple[date | None, dict]:
    """The newest day assessed (on or before `on`) among the units, and each unit's latest assessment up to it.
    Units are not all assessed on the same day (a district recomputed alone today, the others yesterday): reading
    one unit's day for all showed a ward raised to level 3 today with yesterday's green."""
    rows = RiskAssessment.objects.filter(unit_id__in=unit_ids or [0])
    if on is not None:
        rows = rows.filter(on__lte=on)
    day = rows.order_by("-on").values_list("on", flat=True).first()
    if day is None:
        return None, {}
    levels: dict[int, tuple] = {}
    for row in (rows.filter(on__gte=day - timedelta(days=LEVEL_LOOKBACK_DAYS)).order_by("on")
                .values_list(*fields)):
        levels[row[0]] = row[1:]  # the later day wins
    return day, levels


def risk_layer(scope: Scope, *, on: date | None, admin_level: int, public: bool) -> dict[str, Any]:
    """Every unit of a level with the level that applies on a day (the last day assessed on or before `on`)."""
    geometries = _unit_geometries(scope, admin_level)
    fields = ("unit_id", "level", "overridden") if public else (
        "unit_id", "level", "overridden", "computed_level", "inputs")
    day, levels = _latest_levels(list(geometries), on, fields)
    # Areas drawn around the centres (no official boundary yet): drawn dashed, said in the popup.
    approximate = set(_units_in(scope, admin_level).filter(boundary_approximate=True).values_list("id", flat=True))
    features = []
    for uid, (code, name, parent, geometry) in geometries.items():
        found = levels.get(uid)
        level = found[0] if found else None
        props = {"code": code, "name": name, "within": parent, "level": level,
                 "colour": LEVEL_COLOURS.get(level or 0, "grey"), "overridden": bool(found and found[1]),
                 "approximate": uid in approximate}
        if not public and found:
            inputs = found[3] or {}
            props.update(computed_level=found[2], cases=inputs.get("cases"), rate=inputs.get("rate"),
                         population=inputs.get("population"))
        features.append(_feature(geometry, props))
    return _collection(features, on=day.isoformat() if day else None, admin_level=admin_level)


def cases_layer(scope: Scope, *, on: date | None) -> dict[str, Any]:
    """Cases confirmed in the 7 days ending on `on` (and the 7 before), by commune of residence, at the commune's
    centre: counts only, no person."""
    on = on or timezone.localdate()
    end = local_midnight(on + timedelta(days=1))
    start, before = end - timedelta(days=CASE_DAYS), end - timedelta(days=2 * CASE_DAYS)
    communes = _units_in(scope, AdminLevel.COMMUNE)
    window = Case.objects.filter(confirmed_at__gte=before, confirmed_at__lt=end)
    if scope.unit_path.count("/") == 1:
        # The whole province: every case of the window, by its own commune (its person's; only the province's
        # communes are drawn below).
        counts = _case_counts(window, "commune_id", start)
    else:
        counts = _case_counts(window.filter(commune__in=communes), "commune_id", start)
    units = communes.filter(pk__in=list(counts)).values_list("id", "code", "name", "parent__name", "latitude",
                                                             "longitude")
    features = [_feature(_point(lat, lon), {"code": code, "name": name, "within": parent or "", "cases": counts[uid][0],
                                            "community": counts[uid][1], "previous_week": counts[uid][2]})
                for uid, code, name, parent, lat, lon in units if counts[uid][0] or counts[uid][2]]
    return _collection(features, on=on.isoformat(), days=CASE_DAYS)


def _case_counts(cases, home, start: datetime) -> dict[int, tuple[int, int, int]]:
    rows = (cases.values_list(home)
            .annotate(week=Count("id", filter=Q(confirmed_at__gte=start)),
                      community=Count("id", filter=Q(confirmed_at__gte=start, origin=CaseOrigin.COMMUNITY)),
                      previous=Count("id", filter=Q(confirmed_at__lt=start)))
            .order_by())
    return {cid: (week, community, previous) for cid, week, community, previous in rows if cid is not None}


def places_layer(scope: Scope, *, kind: str) -> dict[str, Any]:
    communes = _units_in(scope, AdminLevel.COMMUNE)
    rows = list(Place.objects.filter(kind=kind, is_active=True, commune__in=communes)
                .values_list("name", "address", "phone", "latitude", "longitude", "commune_id").order_by("name"))
    labels = unit_labels(row[5] for row in rows)  # "Phường 1, TP. Mỹ Tho": three towns have a Phường 1
    return _collection([_feature(_point(lat, lon), {"name": name, "address": address, "phone": phone,
                                                    "commune": labels.get(commune_id, "")})
                        for name, address, phone, lat, lon, commune_id in rows])


def facilities_layer(user, *, on: date | None) -> dict[str, Any]:
    facilities = facilities_in_scope(user).filter(is_active=True)
    features = []
    for use in facilities_occupancy(facilities, on=on):
        place = use.facility.place
        features.append(_feature(_point(place.latitude, place.longitude), {
            "name": place.name, "address": place.address, "phone": place.phone, "commune": place.commune.label,
            "isolation": use.facility.for_isolation, "beds": use.beds, "in_use": use.in_use, "free": use.free}))
    return _collection(features)


def lockdowns_layer(rows, *, on: date | None, public: bool) -> dict[str, Any]:
    on = on or timezone.localdate()
    rows = rows.filter(in_force_q(on)).order_by("starts_on")
    features = []
    for area in rows:
        props = {"name": area.name, "starts_on": area.starts_on.isoformat(),
                 "ends_on": area.last_day.isoformat() if area.last_day else None, "unit": area.unit.label,
                 "residents": area.residents if area.residents is not None else area.residents_estimate,
                 "residents_estimated": area.residents is None, "area_km2": area.area_km2}
        if not public:  # the reason is free text an official typed: it stays with the staff
            props.update(id=str(area.pk), reason=area.reason)
        # Drawn simplified: every visitor downloads it (≤ LACHAN_GEOMETRY_MAX_VERTICES corners: a few ms each).
        features.append(_feature(display_geometry(area.geometry, tolerance=AREA_DISPLAY_TOLERANCE_DEGREES), props))
    return _collection(features, on=on.isoformat())


def map_layer(*, user, layer: str, on: date | None = None, admin_level: int = AdminLevel.COMMUNE) -> dict[str, Any]:
    """One layer as GeoJSON within the user's jurisdiction; `user=PUBLIC` reads the citizens' map (public layers of
    the whole province)."""
    spec = LAYERS.get(layer)
    if spec is None:
        raise DomainError(Code.MAP_LAYER_UNKNOWN, _("Unknown layer %(layer)s: use one of %(layers)s.")
                          % {"layer": layer, "layers": ", ".join(LAYERS)}, field="layer")
    if admin_level not in AdminLevel.values:
        raise DomainError(Code.MAP_LEVEL_INVALID, _("The administrative level is 1, 2 or 3."), field="admin_level")
    if on is not None and on > timezone.localdate():
        raise DomainError(Code.MAP_DATE_INVALID, _("The day is in the future."), field="on")
    public = is_public(user)
    if public:
        if not spec.public:
            raise PermissionDenied(Code.MAP_LAYER_PRIVATE, _("This layer is not public."), field="layer")
        scope = province_scope()
    else:
        if not may(user, spec.perm):
            raise PermissionDenied(Code.MAP_PERMISSION, _("You do not have permission to see this layer."), field="layer")
        scope = scope_for(user)
    if scope.kind != "unit":
        return _collection([])
    return spec.build(LayerQuery(user=user, scope=scope, on=on, admin_level=admin_level, public=public))


def map_layer_json(**kwargs) -> bytes:
    return json.dumps(map_layer(**kwargs), ensure_ascii=False, separators=(",", ":")).encode()


def map_view_of(user) -> dict[str, Any]:
    """Where the map opens: the centre and extent of the user's unit (the province for the public)."""
    scope = province_scope() if is_public(user) else scope_for(user)
    if scope.kind != "unit" and is_person(user):  # laboratory, enterprise… staff: the province
        scope = province_scope()
    rows = list(_units_in(scope, AdminLevel.COMMUNE).filter(latitude__isnull=False)
                .values_list("latitude", "longitude")) if scope.kind == "unit" else []
    if not rows:
        return {"bounds": None}
    lats, lons = [r[0] for r in rows], [r[1] for r in rows]
    pad = 0.02
    return {"bounds": [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]}


def _places(kind: str) -> Callable[[LayerQuery], dict[str, Any]]:
    return lambda query: places_layer(query.scope, kind=kind)


def _lockdowns(query: LayerQuery) -> dict[str, Any]:
    rows = (LockdownArea.objects.select_related("unit__parent") if query.public
            else lockdown_areas_in_scope(query.user))
    return lockdowns_layer(rows, on=query.on, public=query.public)


register_layer(Layer("risk", gettext_lazy("Risk levels"), Perm.RISK_VIEW, True, "units",
                     build=lambda q: risk_layer(q.scope, on=q.on, admin_level=q.admin_level, public=q.public)))
register_layer(Layer("cases", gettext_lazy("Cases (last 7 days)"), Perm.CASES_VIEW, False, "points",
                     build=lambda q: cases_layer(q.scope, on=q.on)))
register_layer(Layer("test_sites", gettext_lazy("Test sites"), Perm.RISK_VIEW, True, "points",
                     build=_places(PlaceKind.TEST_SITE)))
register_layer(Layer("health_stations", gettext_lazy("Health stations"), Perm.RISK_VIEW, True, "points",
                     build=_places(PlaceKind.HEALTH_STATION)))
register_layer(Layer("quarantine_facilities", gettext_lazy("Quarantine facilities"), Perm.QUARANTINE_VIEW, False,
                     "points", build=lambda q: facilities_layer(q.user, on=q.on)))
register_layer(Layer("lockdowns", gettext_lazy("Lockdown areas"), Perm.RISK_VIEW, True, "areas", build=_lockdowns))
register_layer(Layer("essential_shops", gettext_lazy("Essential shops"), Perm.RISK_VIEW, True, "points",
                     build=_places(PlaceKind.ESSENTIAL_SHOP)))
register_layer(Layer("declaration_points", gettext_lazy("Declaration points"), Perm.RISK_VIEW, True, "points",
                     build=_places(PlaceKind.DECLARATION_POINT)))
