"""The map pages: the staff map of the user's jurisdiction (/map/), the citizens' read-only map (/ban-do/), and the
lockdown areas (list, draw or import, lift). The layers themselves come from the API (lachan.situation.api)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lachan.accounts.actors import PUBLIC
from lachan.accounts.roles import Perm
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.exports import XlsxExport
from lachan.core.jsontext import JsonError, json_read
from lachan.core.pagination import page_of
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.risk.lockdowns import selectors as lockdown_selectors
from lachan.risk.lockdowns import services as lockdown_services
from lachan.risk.models import RiskLevel

from .forms import LockdownDeleteForm, LockdownForm, LockdownImportForm, LockdownLiftForm
from .map_layers import LAYERS, layers_for, map_layer, map_view_of

DEFAULT_VISIBLE = ("risk", "cases", "lockdowns")
PAGE_SIZE = 50


def _labels(*, public: bool) -> dict[str, str]:
    labels = {
        "level": _("Risk level"), "notAssessed": _("not assessed"), "overridden": _("set by an official"),
        "cases": _("community cases in the window"), "rate": _("per 100,000 per week"), "population": _("population"),
        "details": _("Details"), "casesWeek": _("cases in the last 7 days"), "community": _("of which in the community"),
        "previousWeek": _("the 7 days before"), "from": _("from"), "until": _("until"), "untilLifted": _("until lifted"),
        "unit": _("unit"), "residents": _("residents"), "residentsEstimated": _("residents (estimated)"),
        "areaKm2": _("area (km²)"), "reason": _("reason"), "address": _("address"), "commune": _("commune"),
        "phone": _("phone"), "beds": _("beds"), "inUse": _("in use"), "free": _("free"), "legend": _("Legend"),
        "updated": _("Updated"), "find": _("Find a commune…"), "levelsOf": _("levels of"), "failed": _("The map could not be refreshed: the server cannot be reached."),
    }
    labels.update({f"level{value}": str(label) for value, label in RiskLevel.choices})
    labels.update({"short1": _("level 1 – new normal"), "short2": _("level 2 – moderate"), "short3": _("level 3 – high"),
                   "short4": _("level 4 – very high")})
    if not public:
        labels["unitUrl"] = reverse("risk:unit", args=["CODE"])
        labels["lockdownUrl"] = reverse("map:lockdown", args=["00000000-0000-0000-0000-000000000000"]).replace(
            "00000000-0000-0000-0000-000000000000", "ID")
    return labels


def _draw_labels() -> dict:
    """The drawing tools' words (Leaflet.draw's L.drawLocal, same shape), in the reader's language."""
    cancel = {"title": _("Cancel drawing"), "text": _("Cancel")}
    return {
        "draw": {
            "toolbar": {"actions": cancel, "finish": {"title": _("Finish drawing"), "text": _("Finish")},
                        "undo": {"title": _("Delete the last point drawn"), "text": _("Delete the last point")},
                        "buttons": {"polygon": _("Draw a polygon"), "rectangle": _("Draw a rectangle")}},
            "handlers": {
                "polygon": {"tooltip": {"start": _("Click to start drawing the area."),
                                        "cont": _("Click to continue drawing the area."),
                                        "end": _("Click the first point to close the area.")}},
                "polyline": {"error": _("<strong>Error:</strong> the edges cannot cross!"),
                             "tooltip": {"start": _("Click to start drawing the area."),
                                         "cont": _("Click to continue drawing the area."),
                                         "end": _("Click the first point to close the area.")}},
                "rectangle": {"tooltip": {"start": _("Click and drag to draw a rectangle.")}},
                "simpleshape": {"tooltip": {"end": _("Release the mouse to finish drawing.")}},
            },
        },
        "edit": {
            "toolbar": {"actions": {"save": {"title": _("Save the changes"), "text": _("Save")},
                                    "cancel": {"title": _("Cancel editing, discarding every change"),
                                               "text": _("Cancel")},
                                    "clearAll": {"title": _("Delete every shape"), "text": _("Delete all")}},
                        "buttons": {"edit": _("Edit the shapes"), "editDisabled": _("No shape to edit"),
                                    "remove": _("Delete shapes"), "removeDisabled": _("No shape to delete")}},
            "handlers": {"edit": {"tooltip": {"text": _("Drag the handles to change the shape."),
                                              "subtext": _("Click Cancel to undo the changes.")}},
                         "remove": {"tooltip": {"text": _("Click a shape to delete it.")}}},
        },
    }


def map_config(request, *, layers: tuple[str, ...] | None = None, visible: tuple[str, ...] = DEFAULT_VISIBLE,
               public: bool = False, compact: bool = False, refresh_seconds: int = 0,
               draw_input: str = "") -> dict:
    """What a page gives map.js: the layers the reader may open (public ones for the citizens' map), their data
    URLs, where to open, the base tiles (settings.LACHAN_MAP_TILE_URL; none by default) and the labels."""
    user = PUBLIC if public else request.user
    api = f"{get_script_prefix()}api/map/{'public' if public else 'layers'}/"
    specs = [layer for layer in layers_for(user) if layers is None or layer.key in layers]
    return {
        "layers": [{"key": s.key, "title": str(s.title), "url": api + s.key, "visible": s.key in visible,
                    "kind": s.kind} for s in specs],
        **map_view_of(user),
        "tiles": {"url": settings.LACHAN_MAP_TILE_URL, "attribution": settings.LACHAN_MAP_TILE_ATTRIBUTION},
        "labels": _labels(public=public),
        "compact": compact,
        "refreshSeconds": refresh_seconds,
        "draw": {"input": draw_input, "local": _draw_labels()} if draw_input else None,
        "timeZone": settings.TIME_ZONE,
    }


@staff_view(Perm.RISK_VIEW)
def map_page(request):
    return render(request, "map/map.html", {
        "config": map_config(request, refresh_seconds=300), "today": timezone.localdate(), "nav_current": "risk",
        "can_edit": request.user.has_perm_code(Perm.RISK_EDIT), "admin_levels": _admin_levels(),
    })


def _admin_levels() -> list[tuple[int, str]]:
    """The levels of the deployment's tree, communes first (the 2025 tree has no districts)."""
    present = set(AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE).values_list("level", flat=True).distinct())
    labels = {AdminLevel.COMMUNE: _("communes"), AdminLevel.DISTRICT: _("districts"), AdminLevel.PROVINCE: _("the province")}
    return [(level, labels[level]) for level in (AdminLevel.COMMUNE, AdminLevel.DISTRICT, AdminLevel.PROVINCE)
            if level in present]


def public_map(request):
    """The citizens' map: risk levels and the public layers of the whole province, no log-in; below it, the
    communes above level 1 as a list (readable without the map, by a screen reader, on a page printed)."""
    risk = map_layer(user=PUBLIC, layer="risk")
    raised = sorted((f["properties"] for f in risk["features"] if (f["properties"]["level"] or 0) >= 2),
                    key=lambda p: (-p["level"], p["within"], p["name"]))
    return render(request, "map/public.html", {
        "config": map_config(request, public=True, visible=("risk", "test_sites", "lockdowns")),
        "layers": [layer for layer in LAYERS.values() if layer.public],
        "raised": raised, "levels": RiskLevel.choices, "day": date.fromisoformat(risk["on"]) if risk.get("on") else None,
    })


# ---- lockdown areas ------------------------------------------------------------------------------------------

def _status(area, today) -> str:
    if area.starts_on > today:
        return "upcoming"
    if area.active_on(today):
        return "in_force"
    return "lifted" if area.lifted_on else "ended"


STATUS_LABELS = {"in_force": gettext_lazy("in force"), "upcoming": gettext_lazy("upcoming"),
                 "ended": gettext_lazy("ended"), "lifted": gettext_lazy("lifted")}


def _apply(form, exc: DomainError) -> None:
    for err in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
        visible = err.field in form.fields and not form.fields[err.field].widget.is_hidden
        form.add_error(err.field if visible else None, str(err.message))


@staff_view(Perm.RISK_VIEW)
def lockdown_list(request):
    today = timezone.localdate()
    status = request.GET.get("status", "in_force")
    rows = lockdown_selectors.lockdown_areas_in_scope(request.user).order_by("-starts_on", "name")
    if status == "in_force":
        rows = rows.filter(lockdown_selectors.in_force_q(today))
    if request.GET.get("export") == "xlsx":
        return _export(rows, today)
    page = page_of(rows, page=request.GET.get("page"), size=PAGE_SIZE)
    return render(request, "map/lockdown_list.html", {
        "page": page, "areas": [(a, _status(a, today)) for a in page.items], "status": status,
        "status_labels": STATUS_LABELS, "today": today, "nav_current": "risk",
        "can_edit": request.user.has_perm_code(Perm.RISK_EDIT),
        "query": f"status={status}",
    })


def _export(rows, today) -> HttpResponse:
    sheet = XlsxExport().sheet(_("Lockdown areas"), [_("Name"), _("Unit"), _("From"), _("Until"), _("Lifted on"), _("Residents (reported)"),
                  _("Residents (estimated)"), _("Area (km²)"), _("Reason"), _("Status")])
    for area in rows[:50_000]:
        sheet.append([area.name, area.unit.label, area.starts_on, area.ends_on, area.lifted_on, area.residents,
                      area.residents_estimate, area.area_km2, area.reason, str(STATUS_LABELS[_status(area, today)])])
    return sheet.response(f"lockdown-areas-{today.isoformat()}.xlsx")


@staff_view(Perm.RISK_EDIT)
def lockdown_new(request):
    form = LockdownForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    upload = LockdownImportForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            geometry = json_read(data["geometry"]) if data["geometry"] else None
        except JsonError:
            geometry = None
        if geometry is None:
            form.add_error(None, _("Draw the area on the map first (the polygon or rectangle tool)."))
        else:
            try:
                area = lockdown_services.lockdown_area_create(
                    name=data["name"], geometry=geometry, starts_on=data["starts_on"], ends_on=data["ends_on"],
                    residents=data["residents"], reason=data["reason"], by=request.user)
            except DomainError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("Lockdown area %(name)s saved.") % {"name": area.name})
                return redirect("map:lockdown", area.pk)
    return _new_page(request, form, upload)


def _new_page(request, form, upload, import_errors=None):
    return render(request, "map/lockdown_new.html", {
        "form": form, "upload": upload, "import_errors": import_errors or [], "nav_current": "risk",
        "config": map_config(request, visible=("risk", "lockdowns"), draw_input="#id_geometry"),
    }, status=400 if (form.errors or import_errors) else 200)


@staff_view(Perm.RISK_EDIT)
@require_POST
def lockdown_import(request):
    upload = LockdownImportForm(request.POST, request.FILES)
    errors: list[str] = []
    if upload.is_valid():
        data = upload.cleaned_data
        try:
            areas = lockdown_services.lockdown_areas_import(
                data=data["file"].read(), by=request.user, starts_on=data["starts_on"], ends_on=data["ends_on"],
                reason=data["reason"])
        except DomainError as exc:
            errors = [str(e.message) for e in (exc.errors if isinstance(exc, ValidationFailed) else [exc])]
        else:
            messages.success(request, _("%(n)s lockdown areas imported.") % {"n": len(areas)})
            return redirect("map:lockdowns")
    return _new_page(request, LockdownForm(initial={"starts_on": timezone.localdate()}), upload, errors)


@staff_view(Perm.RISK_VIEW)
def lockdown_detail(request, area_id):
    area = lockdown_selectors.lockdown_area_get(user=request.user, pk=area_id)
    today = timezone.localdate()
    lift = LockdownLiftForm(initial={"on": today})
    delete = LockdownDeleteForm()
    if request.method == "POST":
        if not request.user.has_perm_code(Perm.RISK_EDIT):
            raise DjangoPermissionDenied
        action = request.POST.get("action")
        form = lift = LockdownLiftForm(request.POST) if action == "lift" else lift
        if action == "delete":
            form = delete = LockdownDeleteForm(request.POST)
        if action in ("lift", "delete") and form.is_valid():
            try:
                if action == "lift":
                    lockdown_services.lockdown_area_lift(area=area, on=form.cleaned_data["on"],
                                                         reason=form.cleaned_data["reason"], by=request.user)
                    messages.success(request, _("The lockdown was lifted."))
                    return redirect("map:lockdown", area.pk)
                lockdown_services.lockdown_area_delete(area=area, reason=form.cleaned_data["reason"], by=request.user)
                messages.success(request, _("The lockdown area was deleted."))
                return redirect("map:lockdowns")
            except DomainError as exc:
                _apply(form, exc)
    shape = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": area.geometry,
                                                          "properties": {"name": area.name}}]}
    return render(request, "map/lockdown_detail.html", {
        "area": area, "status": _status(area, today), "status_labels": STATUS_LABELS, "lift": lift, "delete": delete,
        "shape": shape, "can_edit": request.user.has_perm_code(Perm.RISK_EDIT), "nav_current": "risk",
    }, status=400 if (lift.errors or delete.errors) else 200)
