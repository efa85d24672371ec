"""Order and facility pages: the order list (filters, pages, Excel, releasing the day's due orders at once), a
new order (find the person, then the form), an order (dates, day N of M, tests, history, monitoring) and its
changes (extend, move, end early, release), the printable order and the completion certificate, facilities
with their occupancy and rooms. Monitoring and alert pages are in lachan.quarantine.monitoring.views."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from lachan.accounts.roles import Perm
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.core.exports import XlsxExport
from lachan.core.numbers import int_or_none
from lachan.core.pagination import page_of

from .. import facilities, pdf
from ..models import OrderKind, OrderStatus, Setting
from . import create, selectors, services
from .forms import (
    END_REASONS,
    EndForm,
    ExtendForm,
    FacilityEditForm,
    FacilityForm,
    MoveForm,
    OrderForm,
    RoomForm,
    apply_errors,
    room_choices,
)

DUE_LABELS = (("today", gettext_lazy("last day today")), ("overdue", gettext_lazy("last day passed")),
              ("due", gettext_lazy("due for release")))
STATUS_LABELS = (("", gettext_lazy("in force")), ("released", gettext_lazy("released")),
                 ("ended_early", gettext_lazy("ended early")), ("all", gettext_lazy("all")))
MAX_EXPORT = 50_000
PAGE_SIZE = 50


def _query_string(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _int_or_none(value) -> int | None:
    return int_or_none(value)


# ---- the order list ----------------------------------------------------------------------------------

def _filters(request) -> dict:
    get = request.GET
    communes = list(selectors.order_communes(user=request.user))
    commune_id = _int_or_none(get.get("commune"))
    return {
        "kind": get.get("kind", "") if get.get("kind", "") in OrderKind.values else "",
        "setting": get.get("setting", "") if get.get("setting", "") in Setting.values else "",
        "status": get.get("status", "") if get.get("status", "") in dict(STATUS_LABELS) else "",
        "due": get.get("due", "") if get.get("due", "") in selectors.DUE_CHOICES else "",
        "query": get.get("q", "").strip()[:100],
        "commune": commune_id if any(c.pk == commune_id for c in communes) else None,
        "communes": communes,
    }


def _orders(request, filters: dict):
    return selectors.order_list(user=request.user, kind=filters["kind"], setting=filters["setting"],
                                status=filters["status"], due=filters["due"], query=filters["query"],
                                commune=filters["commune"])


@staff_view(Perm.QUARANTINE_VIEW)
def order_list(request):
    """Orders in force by default, newest first; with "due for release", oldest last day first, with boxes to
    release several at once."""
    filters = _filters(request)
    page = page_of(_orders(request, filters), page=request.GET.get("page"), size=PAGE_SIZE)
    selectors.orders_audited(user=request.user, orders=page.items)
    today = timezone.localdate()
    for order in page.items:
        order.progress = selectors.order_progress(order, today)
    can_edit = request.user.has_perm_code(Perm.QUARANTINE_EDIT)
    return render(request, "quarantine/order_list.html", {
        "page": page, "query_string": _query_string(request), "filters": filters, "q": filters["query"],
        "kinds": OrderKind.choices, "settings": Setting.choices, "statuses": STATUS_LABELS, "dues": DUE_LABELS,
        "counts": selectors.due_counts(user=request.user), "can_edit": can_edit, "policy": selectors.policy_on(),
        "can_release": can_edit and filters["due"] != "" and filters["status"] in ("", "active"),
        "communes": filters["communes"] if len(filters["communes"]) > 1 else [],
        "nav_current": "quarantine",
    })


@staff_view(Perm.QUARANTINE_VIEW)
def order_export(request):
    """The list as a workbook (at most MAX_EXPORT rows), the export audited per person."""
    filters = _filters(request)
    orders = list(_orders(request, filters).select_related("policy")[:MAX_EXPORT])
    selectors.orders_audited(user=request.user, orders=orders, action="order.export")
    sheet = XlsxExport().sheet(_("Orders"), [_("Order number"), _("Full name"), _("Year of birth"), _("CCCD"), _("Phone"), _("Kind"), _("Where"),
                  _("Facility"), _("Room"), _("Commune"), _("Address"), _("Last exposure"), _("First day"),
                  _("Last day"), _("At home from"), _("Status"), _("Ended on"), _("Reason"), _("Policy")])
    for o in orders:
        person = o.person
        sheet.append([o.code, person.full_name, person.effective_birth_year, person.national_id, person.phone,
                      str(o.get_kind_display()), str(o.get_setting_display()),
                      o.facility.place.name if o.facility_id else "", o.room.name if o.room_id else "", o.commune.label,
                      o.address, o.exposed_on, o.starts_on, o.ends_on, o.home_from, str(o.get_status_display()),
                      o.ended_on, o.end_reason, o.policy.version])
    return sheet.response(f"cach-ly-{timezone.localdate():%Y%m%d}.xlsx")


@require_POST
@staff_view(Perm.QUARANTINE_EDIT)
def orders_release(request):
    """Release the orders ticked on the list of those due."""
    results = services.orders_release_many(orders=request.POST.getlist("order")[:500], by=request.user)
    done = [r for r in results if r.error is None]
    if done:
        messages.success(request, ngettext("%(n)d order released.", "%(n)d orders released.", len(done))
                         % {"n": len(done)})
    for r in results:
        if r.error is not None:
            messages.error(request, str(r.error.message))
    if not results:
        messages.error(request, _("Tick the orders to release."))
    back = QueryDict(request.POST.get("back", "")[:500]).urlencode()  # the list's filters, re-encoded
    return redirect(reverse("quarantine:orders") + (f"?{back}" if back else ""))


# ---- a new order -----------------------------------------------------------------------------------------

def _rooms(request, kind: str) -> list[tuple[str, str]]:
    return room_choices(facilities.facility_choices(user=request.user, kind=kind))


def _facility_of_room(request, room_id):
    if not room_id:
        return None, None
    try:
        room = facilities.room_get(user=request.user, room_id=room_id)
    except NotFound:
        return None, room_id  # the service says it is unknown
    return room.facility, room


@staff_view(Perm.QUARANTINE_EDIT)
def order_create(request):
    """Find the person (name, CCCD or phone), then the order: its end and tests follow the policy in force."""
    person = selectors.person_get(user=request.user, person_id=request.GET.get("person") or request.POST.get("person"))
    query = request.GET.get("q", "").strip()[:100]
    candidates = selectors.person_candidates(user=request.user, query=query) if query and person is None else []
    kind = request.POST.get("kind") or request.GET.get("kind") or OrderKind.QUARANTINE
    kind = kind if kind in OrderKind.values else OrderKind.QUARANTINE
    communes = selectors.order_communes(user=request.user)
    initial = {"kind": kind, "setting": request.GET.get("setting") or Setting.HOME}
    form = OrderForm(request.POST or None, communes=communes, rooms=_rooms(request, kind), initial=initial)
    if person is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        facility, room = _facility_of_room(request, data["room"]) if data["setting"] == Setting.FACILITY else (
            None, data["room"] or None)
        try:
            order = create.order_create(
                person=person, kind=data["kind"], setting=data["setting"], starts_on=data["starts_on"],
                exposed_on=data["exposed_on"], immunity=data["immunity"], ends_on=data["ends_on"],
                commune=data["commune"], address=data["address"], facility=facility, room=room,
                latitude=data["latitude"], longitude=data["longitude"], by=request.user, notify=True,
                base_url=request.build_absolute_uri("/"))
        except (NotFound, PermissionDenied) as exc:
            if exc.field in (None, "person"):
                raise
            apply_errors(form, exc)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Order %(code)s made for %(name)s, until %(date)s.")
                             % {"code": order.code, "name": person.full_name,
                                "date": order.ends_on.strftime("%d/%m/%Y")})
            if selectors.orders_in_scope(request.user).filter(pk=order.pk).exists():
                return redirect("quarantine:order_detail", order_id=order.pk)
            return redirect("quarantine:orders")  # a facility of another commune follows it now
    return render(request, "quarantine/order_form.html", {
        "person": person, "q": query, "candidates": candidates, "form": form, "policy": selectors.policy_on(),
        "person_orders": selectors.person_orders(user=request.user, person_id=person.pk) if person else [],
        "nav_current": "quarantine",
    })


# ---- an order ----------------------------------------------------------------------------------------

def _monitoring_panel(request, order) -> dict | None:
    try:
        from ..monitoring.views import monitoring_panel_context
    except ImportError:  # pragma: no cover - the monitoring pages are a separate part of the module
        return None
    return monitoring_panel_context(request, order)


@staff_view(Perm.QUARANTINE_VIEW)
def order_detail(request, order_id):
    order = selectors.order_get(user=request.user, order_id=order_id)
    progress = selectors.order_progress(order)
    can_edit = request.user.has_perm_code(Perm.QUARANTINE_EDIT)
    context = {
        "order": order, "progress": progress, "tests": selectors.order_tests(order),
        "history": selectors.order_history(order), "can_edit": can_edit and order.status == OrderStatus.ACTIVE,
        "can_release": can_edit and progress.due, "regime_day": selectors.order_regime_day(order),
        "released": order.status == OrderStatus.RELEASED, "nav_current": "quarantine",
    }
    panel = _monitoring_panel(request, order)
    if panel is not None:
        context["panel"] = panel
    return render(request, "quarantine/order_detail.html", context)


def _editable(request, order_id):
    order = selectors.order_get(user=request.user, order_id=order_id, audit=False, perm=Perm.QUARANTINE_EDIT)
    if order.status != OrderStatus.ACTIVE:
        messages.error(request, _("Order %(code)s is no longer in force.") % {"code": order.code})
        return order, redirect("quarantine:order_detail", order_id=order.pk)
    return order, None


def _change_page(request, order, form, action: str, **extra):
    return render(request, "quarantine/order_change.html", {
        "order": order, "form": form, "action": action, "progress": selectors.order_progress(order),
        "end_reasons": END_REASONS, "nav_current": "quarantine", **extra})


def _act(request, form, call, success: str, order):
    """Run a change from a valid form; errors go back onto it."""
    try:
        call()
    except (NotFound, PermissionDenied) as exc:
        if exc.field is None:
            raise
        apply_errors(form, exc)
    except DomainError as exc:
        apply_errors(form, exc)
    else:
        messages.success(request, success)
        return redirect("quarantine:order_detail", order_id=order.pk)
    return None


@staff_view(Perm.QUARANTINE_EDIT)
def order_extend(request, order_id):
    order, gone = _editable(request, order_id)
    if gone:
        return gone
    form = ExtendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _act(request, form, lambda: services.order_extend(
            order=order, ends_on=form.cleaned_data["ends_on"], reason=form.cleaned_data["reason"], by=request.user),
            _("Order %(code)s extended.") % {"code": order.code}, order)
        if done:
            return done
    return _change_page(request, order, form, "extend")


@staff_view(Perm.QUARANTINE_EDIT)
def order_move(request, order_id):
    order, gone = _editable(request, order_id)
    if gone:
        return gone
    initial = {"setting": Setting.HOME if order.setting == Setting.FACILITY else Setting.FACILITY}
    form = MoveForm(request.POST or None, communes=selectors.order_communes(user=request.user),
                    rooms=_rooms(request, order.kind), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        facility, room = _facility_of_room(request, data["room"]) if data["setting"] == Setting.FACILITY else (
            None, None)

        def move():
            services.order_move(order=order, setting=data["setting"], facility=facility, room=room,
                                commune=data["commune"], address=data["address"], latitude=data["latitude"],
                                longitude=data["longitude"], reason=data["reason"], by=request.user)

        done = _act(request, form, move, _("Order %(code)s moved.") % {"code": order.code}, order)
        if done:
            if not selectors.orders_in_scope(request.user).filter(pk=order.pk).exists():
                return redirect("quarantine:orders")
            return done
    return _change_page(request, order, form, "move")


@staff_view(Perm.QUARANTINE_EDIT)
def order_end(request, order_id):
    order, gone = _editable(request, order_id)
    if gone:
        return gone
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _act(request, form, lambda: services.order_end_early(
            order=order, reason=form.cleaned_data["reason"], by=request.user),
            _("Order %(code)s ended.") % {"code": order.code}, order)
        if done:
            return done
    return _change_page(request, order, form, "end")


@require_POST
@staff_view(Perm.QUARANTINE_EDIT)
def order_release(request, order_id):
    order, gone = _editable(request, order_id)
    if gone:
        return gone
    try:
        services.order_release(order=order, by=request.user)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(name)s released: order %(code)s completed.")
                         % {"name": order.person.full_name, "code": order.code})
    return redirect("quarantine:order_detail", order_id=order.pk)


def _pdf(request, order_id, document: str) -> HttpResponse:
    order = selectors.order_get(user=request.user, order_id=order_id, audit=False)
    try:
        content, filename = pdf.document_for(order=order, document=document, by=request.user)
    except DomainError as exc:
        if isinstance(exc, (NotFound, PermissionDenied)):
            raise
        messages.error(request, str(exc.message))
        return redirect("quarantine:order_detail", order_id=order.pk)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@staff_view(Perm.QUARANTINE_VIEW)
def order_pdf(request, order_id):
    return _pdf(request, order_id, "order")


@staff_view(Perm.QUARANTINE_VIEW)
def order_certificate(request, order_id):
    return _pdf(request, order_id, "certificate")


# ---- facilities --------------------------------------------------------------------------------------------

@staff_view(Perm.QUARANTINE_VIEW)
def facility_list(request):
    query = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    shown = request.GET.get("active", "1")
    queryset = facilities.facility_list(user=request.user, query=query,
                                       isolation={"isolation": True, "quarantine": False}.get(kind),
                                       active=None if shown == "all" else shown != "0")
    page = page_of(queryset, page=request.GET.get("page"), size=PAGE_SIZE)
    communes = selectors.facility_communes(user=request.user)
    can_edit = request.user.has_perm_code(Perm.QUARANTINE_EDIT) and communes.exists()
    form = FacilityForm(communes=communes) if can_edit else None
    return render(request, "quarantine/facility_list.html", {
        "page": page, "uses": facilities.facilities_occupancy(page.items), "query_string": _query_string(request),
        "q": query, "kind": kind, "active": shown, "form": form, "nav_current": "quarantine",
    })


@require_POST
@staff_view(Perm.QUARANTINE_EDIT)
def facility_create(request):
    communes = selectors.facility_communes(user=request.user)
    form = FacilityForm(request.POST, communes=communes)
    if form.is_valid():
        try:
            facility = facilities.facility_create(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Facility %(name)s opened: add its rooms.") % {"name": facility.place.name})
            return redirect("quarantine:facility_detail", facility_id=facility.pk)
    page = page_of(facilities.facility_list(user=request.user), page=1, size=PAGE_SIZE)
    return render(request, "quarantine/facility_list.html", {
        "page": page, "uses": facilities.facilities_occupancy(page.items), "query_string": "", "q": "", "kind": "",
        "active": "1", "form": form, "form_open": True, "nav_current": "quarantine"}, status=400)


def _facility_page(request, facility, *, room_form=None, edit_form=None, status=200):
    use = facilities.facilities_occupancy([facility])[0]
    orders = page_of(selectors.order_list(user=request.user, facility=facility).order_by("room__name", "ends_on"),
                     page=request.GET.get("page"), size=100)
    selectors.orders_audited(user=request.user, orders=orders.items)
    can_manage = request.user.has_perm_code(Perm.QUARANTINE_EDIT) and selectors.facility_managed_by(
        facility, request.user)
    place = facility.place
    return render(request, "quarantine/facility_detail.html", {
        "facility": facility, "use": use, "orders": orders, "query_string": _query_string(request),
        "can_manage": can_manage, "room_form": room_form or (RoomForm() if can_manage else None),
        "edit_form": edit_form or (FacilityEditForm(initial={
            "name": place.name, "address": place.address, "phone": place.phone, "latitude": place.latitude,
            "longitude": place.longitude, "for_isolation": facility.for_isolation, "is_active": facility.is_active,
            "notes": facility.notes}) if can_manage else None),
        "nav_current": "quarantine",
    }, status=status)


@staff_view(Perm.QUARANTINE_VIEW)
def facility_detail(request, facility_id):
    return _facility_page(request, facilities.facility_get(user=request.user, facility_id=facility_id))


@require_POST
@staff_view(Perm.QUARANTINE_EDIT)
def facility_edit(request, facility_id):
    facility = facilities.facility_get(user=request.user, facility_id=facility_id)
    form = FacilityEditForm(request.POST)
    if form.is_valid():
        try:
            facilities.facility_update(facility=facility, by=request.user, **form.cleaned_data)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Facility saved."))
            return redirect("quarantine:facility_detail", facility_id=facility.pk)
    return _facility_page(request, facility, edit_form=form, status=400)


@require_POST
@staff_view(Perm.QUARANTINE_EDIT)
def room_create(request, facility_id):
    facility = facilities.facility_get(user=request.user, facility_id=facility_id)
    form = RoomForm(request.POST)
    if form.is_valid():
        try:
            room = facilities.room_create(facility=facility, by=request.user, **form.cleaned_data)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Room %(name)s added.") % {"name": room.name})
            return redirect("quarantine:facility_detail", facility_id=facility.pk)
    return _facility_page(request, facility, room_form=form, status=400)


@require_POST
@staff_view(Perm.QUARANTINE_EDIT)
def room_edit(request, room_id):
    room = facilities.room_get(user=request.user, room_id=room_id)
    form = RoomForm(request.POST)
    if form.is_valid():
        try:
            facilities.room_update(room=room, by=request.user, **form.cleaned_data)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Room %(name)s saved.") % {"name": form.cleaned_data["name"]})
    else:
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("quarantine:facility_detail", facility_id=room.facility_id)
