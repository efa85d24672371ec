"""Pages of the quarantine workflow: quarantine a case's F1s (preview, then create), isolate a case, and the
tests due (the laboratory's sampling tasks) with their Excel."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lachan.accounts.audit import audit_record_many
from lachan.accounts.roles import Perm
from lachan.cases.selectors import case_get
from lachan.core.dates import day_parse
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.core.exports import XlsxExport
from lachan.core.pagination import page_of
from lachan.quarantine import facilities
from lachan.quarantine.models import OrderKind, Setting
from lachan.quarantine.orders import selectors as order_selectors
from lachan.quarantine.orders.forms import ContactsForm, IsolateForm, apply_errors, room_choices

from .services import (
    case_contacts_plan,
    case_contacts_quarantine,
    case_isolate,
    tests_audited,
    tests_due,
)

MAX_EXPORT = 20_000


@staff_view(Perm.QUARANTINE_EDIT)
def case_contacts(request, case_id):
    """The case's F1s: how many would get an order and who is left out (GET), then the orders (POST)."""
    case = case_get(user=request.user, case_id=case_id, audit=False)
    form = ContactsForm(request.POST or request.GET or None)
    starts_on = form.cleaned_data.get("starts_on") if form.is_bound and form.is_valid() else None
    if request.method == "POST" and form.is_valid():
        try:
            done = case_contacts_quarantine(case=case, by=request.user, starts_on=starts_on, tell=True,
                                            base_url=request.build_absolute_uri("/"))
        except ValidationFailed as exc:
            for error in exc.errors[:10]:
                messages.error(request, str(error.message))
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            created, skipped = len(done.result.created), len(done.result.skipped)
            messages.success(request, ngettext("%(n)d quarantine order made.", "%(n)d quarantine orders made.",
                                               created) % {"n": created}
                             + (" " + ngettext("%(n)d person already had one.", "%(n)d people already had one.",
                                               skipped) % {"n": skipped} if skipped else ""))
            return redirect("tracing:report", case_id=case.pk)
    plan = case_contacts_plan(case=case, user=request.user, starts_on=starts_on)
    shown = [c.person_id for c in plan.to_order[:200]]
    if shown:  # the page names them
        audit_record_many(actor=request.user, action="contact.view", object_type="contact", person_ids=shown,
                          detail={"case": case.code, "for": "quarantine"})
    return render(request, "quarantine/order_from_case.html", {
        "case": case, "plan": plan, "form": form if form.is_bound else ContactsForm(
            initial={"starts_on": timezone.localdate()}), "nav_current": "cases"})


@staff_view(Perm.QUARANTINE_EDIT)
def case_isolation(request, case_id):
    case = case_get(user=request.user, case_id=case_id, audit=False)
    rooms = room_choices(facilities.facility_choices(user=request.user, kind=OrderKind.ISOLATION))
    form = IsolateForm(request.POST or None, rooms=rooms)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        facility = room = None
        if data["setting"] == Setting.FACILITY and data["room"]:
            try:
                room = facilities.room_get(user=request.user, room_id=data["room"])
                facility = room.facility
            except NotFound:
                room = data["room"]
        try:
            order = case_isolate(case=case, by=request.user, tell=True, base_url=request.build_absolute_uri("/"),
                                 setting=data["setting"], facility=facility, room=room,
                                 starts_on=data["starts_on"], immunity=data["immunity"], address=data["address"])
        except (NotFound, PermissionDenied) as exc:
            if exc.field is None:
                raise
            apply_errors(form, exc)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Isolation order %(code)s made, until %(date)s.")
                             % {"code": order.code, "date": order.ends_on.strftime("%d/%m/%Y")})
            if order_selectors.orders_in_scope(request.user).filter(pk=order.pk).exists():
                return redirect("quarantine:order_detail", order_id=order.pk)
            return redirect("cases:detail", case_id=case.pk)
    current = order_selectors.person_orders(user=request.user, person_id=case.person_id)
    return render(request, "quarantine/order_isolate.html", {
        "case": case, "form": form, "orders": current, "policy": order_selectors.policy_on(), "nav_current": "cases"})


def _tests_filters(request):
    communes = list(order_selectors.order_communes(user=request.user))
    raw = request.GET.get("commune", "")
    commune = next((c for c in communes if str(c.pk) == raw), None)
    on = day_parse(request.GET.get("on", "")) if request.GET.get("on") else None
    return {"communes": communes, "commune": commune, "on": on or timezone.localdate(),
            "overdue": request.GET.get("overdue", "1") != "0"}


@staff_view(Perm.QUARANTINE_VIEW)
def tests_due_page(request):
    """Whom to swab on a day: each required test of an order in force due that day (and those overdue)."""
    f = _tests_filters(request)
    queryset = tests_due(user=request.user, on=f["on"], commune_id=f["commune"].pk if f["commune"] else None,
                         overdue=f["overdue"])
    page = page_of(queryset, page=request.GET.get("page"), size=100)
    tests_audited(user=request.user, tests=page.items)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "quarantine/tests_due.html", {
        "page": page, "query_string": params.urlencode(), "communes": f["communes"] if len(f["communes"]) > 1 else [],
        "commune": f["commune"], "on": f["on"], "overdue": f["overdue"], "nav_current": "quarantine",
        "can_sample": request.user.has_perm_code(Perm.LABS_SAMPLE)})


@staff_view(Perm.QUARANTINE_VIEW)
def tests_due_export(request):
    f = _tests_filters(request)
    tests = list(tests_due(user=request.user, on=f["on"], commune_id=f["commune"].pk if f["commune"] else None,
                           overdue=f["overdue"])[:MAX_EXPORT])
    tests_audited(user=request.user, tests=tests)
    sheet = XlsxExport().sheet(_("Tests due"), [_("Commune"), _("Full name"), _("Year of birth"), _("CCCD"), _("Phone"), _("Where"), _("Address"),
                  _("Order number"), _("Day"), _("Due on"), _("Status")])
    for t in tests:
        o, p = t.order, t.order.person
        where = f"{o.facility.place.name} · {o.room.name}" if o.setting == Setting.FACILITY and o.room_id else str(
            o.get_setting_display())
        sheet.append([o.commune.label, p.full_name, p.effective_birth_year, p.national_id, p.phone, where, o.address,
                      o.code, t.day, t.due_on, str(t.get_status_display())])
    return sheet.response(f"xet-nghiem-cach-ly-{f['on']:%Y%m%d}.xlsx")
