"""Tracing pages: the report per case (and its Excel), call lists per commune, the transmission chain,
interview contacts."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lachan.accounts.roles import Perm
from lachan.cases.selectors import case_get, cluster_get
from lachan.core.dates import instant_parse
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError
from lachan.core.exports import XlsxExport
from lachan.core.numbers import int_or_none
from lachan.core.pagination import page_of
from lachan.core.redirects import next_url
from lachan.people.access import people_in_scope

from . import selectors, services
from .errors import TracingErrorCode
from .forms import ChainFilterForm, is_uuid
from .models import CallStatus, Tier
from .selectors import ChainFilter


@staff_view(Perm.CASES_VIEW)
def report(request, case_id):
    # One page of each tier: ?p1=2 is the second page of the F1s (the Excel export has every contact).
    pages = {tier: request.GET.get(f"p{tier}") for tier in Tier.values}
    data = selectors.tracing_report_page(user=request.user, case_id=case_id, pages=pages)
    for tier in data["tiers"]:
        params = request.GET.copy()
        params.pop(f"p{tier['tier']}", None)
        tier.update(query_string=params.urlencode(), param=f"p{tier['tier']}", anchor=f"tier-{tier['tier']}")
    return render(request, "tracing/report.html", {
        **data, "can_quarantine": request.user.has_perm_code(Perm.QUARANTINE_EDIT)})


@staff_view(Perm.CASES_VIEW)
def report_export(request, case_id):
    data = selectors.tracing_report(user=request.user, case_id=case_id)
    sheet = XlsxExport().sheet(_("Contacts"), [
        _("Tier"), _("Full name"), _("Phone"), _("Commune"), _("Reached through"), _("Last exposure"), _("Source"),
         _("Evidence"), _("When"), _("Minutes"), _("Distance (m)"), _("Call status")])
    for contact in data["contacts"]:
        for ev in contact.exposures.all():
            sheet.append([
                str(Tier(contact.tier).label), contact.person.full_name, contact.person.phone, contact.commune.label,
                contact.via.full_name if contact.via else "", contact.exposed_at,
                ev.source, ev.text, ev.start, ev.minutes, ev.distance_m,
                contact.get_call_status_display(),
            ])
    return sheet.response(f"tracing-{data['case'].code}.xlsx")


@staff_view(Perm.CONTACTS_CALL)
def calls(request):
    status = request.GET.get("status", "")
    tier = request.GET.get("tier", "")
    queryset = selectors.call_list(user=request.user, status=status if status in CallStatus.values else "",
                                   tier=int(tier) if tier in {"0", "1", "2", "3"} else None)
    params = request.GET.copy()
    params.pop("page", None)
    page = page_of(queryset, page=request.GET.get("page"), size=100)
    selectors.contacts_audited(user=request.user, contacts=page.items)
    # Each row's result picker drawn once per status, not once per row (a page is 100 rows).
    options = {chosen: format_html_join("", '<option value="{}"{}>{}</option>', (
        (value, mark_safe(" selected") if value == chosen else "", label) for value, label in CallStatus.choices))
        for chosen in [*CallStatus.values, None]}
    for contact in page.items:
        contact.status_options = options.get(contact.call_status, options[None])
    return render(request, "tracing/calls.html", {
        "page": page, "statuses": CallStatus.choices,
        "tiers": Tier.choices, "status": status, "tier": tier, "query_string": params.urlencode(),
    })


@require_POST
@staff_view(Perm.CONTACTS_CALL)
def call_mark(request, contact_id):
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    try:
        services.contact_mark_call(contact=contact, status=request.POST.get("status", ""),
                                   note=request.POST.get("note", ""), by=request.user)
        messages.success(request, _("%(name)s: saved.") % {"name": contact.person.full_name})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(next_url(request, "tracing:calls"))


@staff_view(Perm.CASES_VIEW)
def chain(request):
    """The transmission chain: a filter (cluster, commune, dates; the last two weeks by default), a bounded graph
    drawn by vis-network (a static file of the platform) and the same cases as a text list, a page at a time."""
    # ?cluster=<id> from a cluster's page: one outside the jurisdiction, or a bad id, is a 404.
    cluster = cluster_get(user=request.user, cluster_id=request.GET["cluster"]) if request.GET.get("cluster") else None
    form = ChainFilterForm(request.GET or None, user=request.user)
    if form.is_bound:
        form.is_valid()  # errors are shown; the valid fields still filter
    where = form.chain_filter() if form.is_bound else ChainFilter()
    data = selectors.transmission_chain(user=request.user, where=where, page=request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    shown = data["where"]
    if shown.date_from and not (request.GET.get("date_from") or request.GET.get("date_to")):
        # The default window is shown in the form, so that the reader sees which days these are and can move them.
        filled = request.GET.copy()
        filled.update({"date_from": shown.date_from.strftime("%d/%m/%Y"),
                       "date_to": shown.date_to.strftime("%d/%m/%Y")})
        form = ChainFilterForm(filled, user=request.user)
        form.is_valid()
    form.offer_clusters(data["cluster_ids"])
    return render(request, "tracing/chain.html", {
        **data, "form": form, "filtered_cluster": cluster, "query_string": params.urlencode(),
        "shown_from": shown.date_from, "shown_to": shown.date_to,
        "graph_data": {**data["graph"], "labels": {
            "case": _("case"), "f1": "F1", "f2": "F2", "outside": _("case outside the filter"),
            "infected": _("infected")}},
    })


@staff_view(Perm.CASES_EDIT)
def interview(request, case_id):
    case = case_get(user=request.user, case_id=case_id, audit=False)
    error = None
    if request.method == "POST":
        person = people_in_scope(request.user).filter(pk=request.POST.get("person") or None).first() if is_uuid(
            request.POST.get("person")) else None
        when = instant_parse(request.POST.get("last_contact_at", ""))
        minutes = request.POST.get("minutes") or None
        try:
            if person is None:
                raise DomainError(TracingErrorCode.INTERVIEW_PERSON, _("Choose the person named."), field="person")
            if when is None:
                raise DomainError(TracingErrorCode.INTERVIEW_TIME, _("Enter the time of the last contact."),
                                  field="last_contact_at")
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
            services.interview_contact_add(
                case=case, person=person, relationship=request.POST.get("relationship", ""), last_contact_at=when,
                minutes=int_or_none(minutes, max_digits=4),
                masked=bool(request.POST.get("masked")), notes=request.POST.get("notes", ""), by=request.user)
            messages.success(request, _("Contact added. Trace again to grade it."))
            return redirect("tracing:interview", case_id=case.pk)
        except DomainError as exc:
            error = exc.message
    query = request.GET.get("q", "")
    candidates = []
    if query:
        from lachan.core.text import fold

        candidates = list(people_in_scope(request.user).filter(search_name__contains=fold(query)).select_related(
            "commune__parent")[:20])
    return render(request, "tracing/interview.html", {
        "case": case, "error": error, "q": query, "candidates": candidates,
        "interviews": selectors.interview_contacts(user=request.user, case=case),
    })
