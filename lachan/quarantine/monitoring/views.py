"""Monitoring pages: the alert queue (refreshed every few seconds without a reload, with its transitions), the
overview per commune, the phone page behind the signed link (no log-in), and the staff's monitoring section of
an order (recording a check-in after a call, telling the person, location consent).

The order page of the orders module includes `quarantine/monitoring_order_panel.html` with the context of
`monitoring_panel_context(request, order)`; /quarantine/orders/<id>/monitoring/ shows the same section alone."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from lachan.accounts.actors import signed_link
from lachan.accounts.audit import audit_record
from lachan.accounts.roles import Perm
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.core.exports import XlsxExport
from lachan.core.forms import DayField
from lachan.core.numbers import int_or_none
from lachan.core.pagination import page_of
from lachan.core.redirects import next_url
from lachan.core.widgets import DateInput

from .. import links
from ..models import AlertKind, AlertStatus, Order, ReportSource
from . import alerts as alert_services
from . import geofence, notify, selectors
from . import services as monitoring

NO_STORE = "no-store, private"
MAX_EXPORT = 5000
POLL_SECONDS = 5
STATUS_LABELS = (("active", gettext_lazy("to deal with (open or acknowledged)")), *AlertStatus.choices,
                 ("all", gettext_lazy("all")))


def _query_string(request, *, drop=("page", "fp")) -> str:
    params = request.GET.copy()
    for name in drop:
        params.pop(name, None)
    return params.urlencode()


def order_url(order_id) -> str:
    """The order's page of the orders module, or its monitoring section while there is none."""
    try:
        return reverse("quarantine:order_detail", args=[order_id])
    except NoReverseMatch:
        return reverse("quarantine:order_monitoring", args=[order_id])


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


# ---- the alert queue ------------------------------------------------------------------------------------------

def _queue_filters(request) -> dict:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "active")
    commune = request.GET.get("commune", "")
    return {"kind": kind if kind in AlertKind.values else "",
            "status": status if status in selectors.STATUS_FILTERS else "active",
            "commune_id": int_or_none(commune),
            "query": request.GET.get("q", "").strip()[:100]}


def _queue_page(request):
    filters = _queue_filters(request)
    page = page_of(selectors.alert_list(user=request.user, **filters), page=request.GET.get("page"), size=50)
    for alert in page.items:
        alert.actions = alert_services.alert_actions(alert) if request.user.has_perm_code(
            Perm.QUARANTINE_ALERTS) else []
        alert.order_url = order_url(alert.order_id) if alert.order_id else ""
    return filters, page


@staff_view(Perm.QUARANTINE_VIEW)
def alert_queue(request):
    filters, page = _queue_page(request)
    selectors.alerts_audited(user=request.user, alerts=page.items)
    communes = selectors.communes_of(request.user)
    return render(request, "quarantine/alerts_queue.html", {
        "page": page, "filters": filters, "kinds": AlertKind.choices, "statuses": STATUS_LABELS,
        "communes": communes if len(communes) > 1 else [], "query_string": _query_string(request),
        "fingerprint": selectors.alerts_fingerprint(page.items), "poll_seconds": POLL_SECONDS,
        "now": timezone.now(),
    })


@staff_view(Perm.QUARANTINE_VIEW)
def alert_rows(request):
    """The rows of the queue for the page's poll: 204 when nothing changed since the page's fingerprint."""
    _filters, page = _queue_page(request)
    fingerprint = selectors.alerts_fingerprint(page.items)
    if request.GET.get("fp") == fingerprint:
        return HttpResponse(status=204)
    selectors.alerts_audited(user=request.user, alerts=page.items)
    response = render(request, "quarantine/alerts_rows.html", {"page": page, "fingerprint": fingerprint,
                                                               "now": timezone.now(),
                                                               "query_string": _query_string(request)})
    response["Cache-Control"] = NO_STORE
    return response


@require_POST
@staff_view(Perm.QUARANTINE_ALERTS)
def alert_act(request, alert_id):
    """Acknowledge, handle or close an alert (the button pressed is `action`), with an optional note."""
    action = request.POST.get("action", "")
    alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    try:
        alert = alert_services.alert_transition(alert=alert, action=action, by=request.user,
                                                note=request.POST.get("note", ""))
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        if _wants_json(request):
            return JsonResponse(exc.as_dict(), status=400)
        messages.error(request, exc.message)
    else:
        if _wants_json(request):
            return JsonResponse({"id": alert.pk, "status": alert.status})
        messages.success(request, _("Alert %(id)s: %(status)s.") % {"id": alert.pk, "status": alert.get_status_display()})
    return redirect(next_url(request, reverse("quarantine:alerts")))


@staff_view(Perm.QUARANTINE_VIEW)
def alert_export(request):
    """The queue as filtered, as a workbook (at most MAX_EXPORT alerts, newest first)."""
    filters = _queue_filters(request)
    rows = list(selectors.alert_list(user=request.user, **filters)[:MAX_EXPORT])
    selectors.alerts_audited(user=request.user, alerts=rows, action="export")
    sheet = XlsxExport().sheet(_("Alerts"), [_("Alert"), _("Kind"), _("Status"), _("Raised at"), _("Day"), _("Repeats"), _("Order"),
                  _("Full name"), _("Phone"), _("Commune"), _("Address"), _("Acknowledged"), _("Handled"),
                  _("Closed"), _("Note")])

    def when(at, by):
        if not at:
            return ""
        return timezone.localtime(at).strftime("%d/%m/%Y %H:%M") + (f" ({by.get_username()})" if by else "")

    for a in rows:
        sheet.append([a.pk, str(a.get_kind_display()), str(a.get_status_display()),
                      timezone.localtime(a.raised_at).strftime("%d/%m/%Y %H:%M"),
                      a.about_on.strftime("%d/%m/%Y") if a.about_on else "", a.repeats,
                      a.order.code if a.order_id else "", a.subject.full_name, a.subject.phone, a.commune.label,
                      a.order.address if a.order_id else a.subject.address_line,
                      when(a.acknowledged_at, a.acknowledged_by), when(a.handled_at, a.handled_by),
                      when(a.closed_at, a.closed_by), a.note])
    return sheet.response(f"canh-bao-cach-ly-{timezone.localdate():%Y%m%d}.xlsx")


# ---- the overview ---------------------------------------------------------------------------------------------

def _overview(request):
    districts = selectors.districts_of(request.user)
    district = request.GET.get("district", "")
    district_id = next((d.pk for d in districts if str(d.pk) == district), None)
    hide_empty = request.GET.get("all", "") != "1"
    data = selectors.overview(user=request.user, district_id=district_id, hide_empty=hide_empty)
    return data, districts, district_id, hide_empty


@staff_view(Perm.QUARANTINE_VIEW)
def overview_page(request):
    data, districts, district_id, hide_empty = _overview(request)
    return render(request, "quarantine/overview.html", {
        "data": data, "districts": districts, "district_id": district_id, "hide_empty": hide_empty,
        "query_string": _query_string(request), "kinds": AlertKind.choices,
    })


@staff_view(Perm.QUARANTINE_VIEW)
def overview_export(request):
    data, _districts, _district_id, _hide = _overview(request)
    sheet = XlsxExport().sheet(_("Overview"), [_("District"), _("Commune"), _("Quarantine at home"), _("Quarantine in a facility"),
                  _("Isolation at home"), _("Isolation in a facility"), _("Due for release today"),
                  _("Due for a test today"), _("Open alerts")])
    for r in [*data.rows, data.total]:
        sheet.append([r.commune.parent.name if r.commune and r.commune.parent else "",
                      r.commune.name if r.commune else _("Total"), r.quarantine_home, r.quarantine_facility,
                      r.isolation_home, r.isolation_facility, r.release_due, r.tests_due, r.open_alerts])
    return sheet.response(f"cach-ly-tong-quan-{data.on:%Y%m%d}.xlsx")


# ---- the check-in form (phone page and staff) -----------------------------------------------------------------

class CheckInForm(forms.Form):
    """Only parses what the browser sends; the ranges and the day are checked by the service."""

    temperature_c = forms.CharField(label=gettext_lazy("Temperature (°C)"), required=False, max_length=6,
                                    widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "36.8",
                                                                  "autocomplete": "off"}))
    fever = forms.BooleanField(label=gettext_lazy("Fever"), required=False)
    cough = forms.BooleanField(label=gettext_lazy("Cough"), required=False)
    sore_throat = forms.BooleanField(label=gettext_lazy("Sore throat"), required=False)
    breathing_difficulty = forms.BooleanField(label=gettext_lazy("Difficulty breathing"), required=False)
    loss_of_taste_smell = forms.BooleanField(label=gettext_lazy("Loss of taste or smell"), required=False)
    spo2 = forms.CharField(label=gettext_lazy("Oxygen saturation (SpO2 %), if you have a meter"), required=False,
                           max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "98",
                                                                        "autocomplete": "off"}))
    other = forms.CharField(label=gettext_lazy("Anything else"), required=False, max_length=300)

    SYMPTOMS = ("fever", "cough", "sore_throat", "breathing_difficulty", "loss_of_taste_smell")

    def readings(self) -> dict:
        data = dict(self.cleaned_data)
        if self.data.get("well"):  # "I feel well": nothing ticked counts, only the readings typed
            for name in self.SYMPTOMS:
                data[name] = False
        return data


class StaffCheckInForm(CheckInForm):
    on = DayField(label=gettext_lazy("Day"), required=False,
                         widget=DateInput())


def _apply_errors(form: forms.Form, exc: DomainError) -> None:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    for error in errors:
        form.add_error(error.field if error.field in form.fields else None, str(error.message))


# ---- the phone page (no log-in) -------------------------------------------------------------------------------

def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "same-origin"  # the token must not leak to another site (POSTs keep their Origin)
    return response


@require_http_methods(["GET", "POST"])
def phone_page(request, token):
    """The person's page: their order (dates, day N of M, next test) and the daily check-in."""
    try:
        order = links.link_order(token)
    except DomainError as exc:
        return _no_store(render(request, "quarantine/monitoring_phone.html", {"error": exc.message}, status=404))
    form = CheckInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "report")
        try:
            if action == "consent":
                geofence.location_consent_give(order=order, by=signed_link(order))
                return _no_store(redirect(request.path + "?consent=1"))
            if action == "revoke":
                geofence.location_consent_revoke(order=order, by=signed_link(order))
                return _no_store(redirect(request.path + "?consent=0"))
            if form.is_valid():
                report = monitoring.symptom_report_record(order=order, source=ReportSource.SELF, by=signed_link(order),
                                                          **form.readings())
                return _no_store(redirect(request.path + ("?done=alarming" if report.alarming else "?done=1")))
            status = 400
        except DomainError as exc:
            _apply_errors(form, exc)
            status = 400
    audit_record(actor=None, action="read", object_type="quarantine_order", object_id=order.pk,
                 person_id=order.person_id, detail={"via": "link"})
    state = selectors.order_monitoring(order=order)
    return _no_store(render(request, "quarantine/monitoring_phone.html", {
        "order": order, "state": state, "form": form, "done": request.GET.get("done", ""),
        "consent_changed": request.GET.get("consent", ""),
    }, status=status))


# ---- the staff's monitoring section of an order ---------------------------------------------------------------

def monitoring_panel_context(request, order: Order, *, form: CheckInForm | None = None) -> dict:
    """What `quarantine/monitoring_order_panel.html` needs, for the order page of the orders module."""
    state = selectors.order_monitoring(order=order, staff=True)
    can_edit = request.user.has_perm_code(Perm.QUARANTINE_EDIT) and order.is_active
    return {"monitoring": state, "order": order, "can_edit": can_edit,
            "report_form": form or (StaffCheckInForm(initial={"on": state.today}) if can_edit else None),
            "panel_next": request.get_full_path(), "link_path": links.link_path(order),
            "can_alerts": request.user.has_perm_code(Perm.QUARANTINE_ALERTS)}


@staff_view(Perm.QUARANTINE_VIEW)
def order_monitoring(request, order_id):
    order = selectors.order_for_monitoring(user=request.user, order_id=order_id)
    audit_record(actor=request.user, action="read", object_type="quarantine_order", object_id=order.pk,
                 person_id=order.person_id, detail={"section": "monitoring"})
    return render(request, "quarantine/monitoring_order.html", monitoring_panel_context(request, order))


@require_POST
@staff_view(Perm.QUARANTINE_EDIT)
def order_report(request, order_id):
    """A check-in recorded by staff after calling the person."""
    order = selectors.order_for_monitoring(user=request.user, order_id=order_id, perm=Perm.QUARANTINE_EDIT)
    form = StaffCheckInForm(request.POST)
    if form.is_valid():
        data = form.readings()
        try:
            report = monitoring.symptom_report_record(order=order, source=ReportSource.STAFF, by=request.user,
                                                      on=data.pop("on") or None, **data)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            if report.alarming:
                messages.warning(request, _("Check-in recorded. It is alarming: an alert was raised."))
            else:
                messages.success(request, _("Check-in recorded."))
            return redirect(next_url(request, order_url(order.pk)))
    context = monitoring_panel_context(request, order, form=form)
    return render(request, "quarantine/monitoring_order.html", context, status=400)


@require_POST
@staff_view(Perm.QUARANTINE_EDIT)
def order_notify(request, order_id):
    order = selectors.order_for_monitoring(user=request.user, order_id=order_id, perm=Perm.QUARANTINE_EDIT)
    try:
        notify.order_notify(order=order, by=request.user, base_url=request.build_absolute_uri("/"))
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The order and the link of the phone page are being sent by SMS."))
    return redirect(next_url(request, order_url(order.pk)))


@require_POST
@staff_view(Perm.QUARANTINE_EDIT)
def order_consent(request, order_id):
    """Location consent given on paper (or withdrawn), recorded by staff."""
    order = selectors.order_for_monitoring(user=request.user, order_id=order_id, perm=Perm.QUARANTINE_EDIT)
    try:
        if request.POST.get("consent") == "1":
            geofence.location_consent_give(order=order, by=request.user)
            messages.success(request, _("Location consent recorded."))
        else:
            geofence.location_consent_revoke(order=order, by=request.user)
            messages.success(request, _("Location consent withdrawn: the locations kept were deleted."))
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(next_url(request, order_url(order.pk)))
