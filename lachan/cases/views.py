"""Case pages: list, detail, status and cluster changes; cluster pages (list, detail, edit, close,
reopen, add cases). Confirming a case is a workflow (it traces), so its form lives in lachan.workflows.case_confirmation.views."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from lachan.accounts.roles import Perm
from lachan.core.dates import instant_parse
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.core.numbers import int_or_none
from lachan.core.pagination import page_of

from . import selectors, services
from .chart import epicurve_svg
from .forms import ClusterCasesForm, ClusterCloseForm, ClusterForm, ClusterReopenForm, apply_errors
from .isolation import Isolation, isolation_attach, isolation_filter_value
from .models import CaseOrigin, CaseStatus, ClusterKind

CLUSTER_STATUSES = (("open", gettext_lazy("open")), ("closed", gettext_lazy("closed")))


@staff_view(Perm.CASES_VIEW)
def case_list(request):
    # The status filter is the isolation state today, as the list shows it (lachan.cases.isolation).
    status = isolation_filter_value(request.GET.get("status", ""))
    origin = request.GET.get("origin", "")
    queryset = selectors.case_list(user=request.user, query=request.GET.get("q", ""), isolation=status,
                                   origin=origin if origin in CaseOrigin.values else "")
    params = request.GET.copy()
    params.pop("page", None)
    page = page_of(queryset, page=request.GET.get("page"), size=50)
    selectors.cases_audited(user=request.user, cases=page.items)
    isolation_attach(list(page.items))
    return render(request, "cases/list.html", {
        "page": page, "query_string": params.urlencode(),
        "statuses": Isolation.choices, "origins": CaseOrigin.choices, "q": request.GET.get("q", ""),
        "status": status, "origin": origin, "can_edit": request.user.has_perm_code(Perm.CASES_EDIT),
    })


@staff_view(Perm.CASES_VIEW)
def case_detail(request, case_id):
    case = selectors.case_get(user=request.user, case_id=case_id)
    isolation_attach([case])
    clusters = list(selectors.cluster_list(user=request.user, status="open")[:200])
    if case.cluster is not None and case.cluster_id not in {c.pk for c in clusters}:
        clusters.append(case.cluster)  # closed, or beyond the first 200
    return render(request, "cases/detail.html", {
        "case": case, "history": case.status_changes.all(), "statuses": CaseStatus.choices,
        "clusters": clusters, "cluster_kinds": ClusterKind.choices,
        "can_edit": request.user.has_perm_code(Perm.CASES_EDIT),
        "can_isolate": request.user.has_perm_code(Perm.QUARANTINE_EDIT) and case.is_active,
    })


@require_POST
@staff_view(Perm.CASES_EDIT)
def case_status(request, case_id):
    case = selectors.case_get(user=request.user, case_id=case_id, audit=False)
    since = instant_parse(request.POST.get("since")) if request.POST.get("since") else None
    try:
        services.case_set_status(case=case, status=request.POST.get("status", ""), since=since,
                                 note=request.POST.get("note", ""), by=request.user)
        messages.success(request, _("Status changed."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases:detail", case_id=case.pk)


@require_POST
@staff_view(Perm.CASES_EDIT)
def case_cluster(request, case_id):
    case = selectors.case_get(user=request.user, case_id=case_id, audit=False)
    try:
        if request.POST.get("new_name"):
            cluster = services.cluster_create(
                name=request.POST["new_name"], kind=request.POST.get("kind", ""),
                source_description=request.POST.get("source_description", ""),
                commune=case.person.commune, by=request.user)
        elif request.POST.get("cluster"):
            cluster = selectors.cluster_get(user=request.user, cluster_id=request.POST["cluster"])
        else:
            cluster = None
        services.case_add_to_cluster(case=case, cluster=cluster, by=request.user)
        messages.success(request, _("Cluster saved."))
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", _("Unknown cluster.")))
    return redirect("cases:detail", case_id=case.pk)


def _int_or_none(value) -> int | None:
    return int_or_none(value)


@staff_view(Perm.CASES_VIEW)
def cluster_list(request):
    return _cluster_list_page(request)


def _cluster_list_page(request, create_form: ClusterForm | None = None):
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    commune = _int_or_none(request.GET.get("commune"))
    queryset = selectors.cluster_list(user=request.user, query=request.GET.get("q", ""),
                                      kind=kind if kind in ClusterKind.values else "", commune_id=commune,
                                      status=status if status in dict(CLUSTER_STATUSES) else "")
    params = request.GET.copy()
    params.pop("page", None)
    can_edit = request.user.has_perm_code(Perm.CASES_EDIT)
    if can_edit and create_form is None:
        create_form = ClusterForm(user=request.user)
    return render(request, "cases/cluster_list.html", {
        "page": page_of(queryset, page=request.GET.get("page"), size=50), "query_string": params.urlencode(),
        "kinds": ClusterKind.choices, "statuses": CLUSTER_STATUSES,
        "communes": selectors.cluster_communes(user=request.user), "q": request.GET.get("q", ""),
        "kind": kind, "status": status, "commune": commune, "can_edit": can_edit, "form": create_form,
    })


@require_POST
@staff_view(Perm.CASES_EDIT)
def cluster_create(request):
    form = ClusterForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            cluster = services.cluster_create(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Cluster created. Add its cases by their codes."))
            return redirect("cases:cluster_detail", cluster_id=cluster.pk)
    return _cluster_list_page(request, create_form=form)


def _cluster_page(request, cluster, **forms):
    """The cluster detail page, with the bound form of a failed POST in place of its empty one."""
    cases = selectors.cluster_cases(user=request.user, cluster=cluster)
    page = page_of(cases, page=request.GET.get("page"), size=100)
    selectors.cases_audited(user=request.user, cases=page.items, action="cluster.cases")
    visible = cases.count() if page.has_next or page.number > 1 else len(page.items)
    can_edit = request.user.has_perm_code(Perm.CASES_EDIT)
    today = timezone.localdate()
    context = {
        "cluster": cluster, "page": page, "hidden_cases": max(cluster.case_count - visible, 0),
        "curve": epicurve_svg(selectors.cluster_daily_counts(cluster=cluster, until=cluster.closed_on or today)),
        "can_edit": can_edit, "can_manage": can_edit and services.cluster_managed_by(cluster, request.user),
        "open_form": forms.get("open_form"),
    }
    if can_edit:
        context.update({
            "edit_form": forms.get("edit_form") or ClusterForm(user=request.user, cluster=cluster, initial={
                "name": cluster.name, "kind": cluster.kind, "commune": cluster.commune_id,
                "source_description": cluster.source_description}),
            "close_form": forms.get("close_form") or ClusterCloseForm(),
            "reopen_form": forms.get("reopen_form") or ClusterReopenForm(),
            "cases_form": forms.get("cases_form") or ClusterCasesForm(),
        })
    return render(request, "cases/cluster_detail.html", context)


@staff_view(Perm.CASES_VIEW)
def cluster_detail(request, cluster_id):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id, audit=True)
    return _cluster_page(request, cluster)


def _cluster_post(request, cluster, form, action, success, name):
    """Run a cluster service on a valid form; back to the page, or the page again with the errors."""
    if form.is_valid():
        try:
            result = action(cluster, form.cleaned_data)
        except (NotFound, PermissionDenied):
            raise  # 404 / 403, by staff_view
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, success(result) if callable(success) else success)
            return redirect("cases:cluster_detail", cluster_id=cluster.pk)
    return _cluster_page(request, cluster, open_form=name, **{name: form})


@require_POST
@staff_view(Perm.CASES_EDIT)
def cluster_edit(request, cluster_id):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    form = ClusterForm(request.POST, user=request.user, cluster=cluster)
    return _cluster_post(request, cluster, form, lambda c, data: services.cluster_update(
        cluster=c, by=request.user, **data), _("Cluster saved."), "edit_form")


@require_POST
@staff_view(Perm.CASES_EDIT)
def cluster_close(request, cluster_id):
    def close(cluster, data):
        closed = services.cluster_close(cluster=cluster, closed_on=data["closed_on"], reason=data["reason"],
                                        by=request.user)
        if cluster.active_count:
            messages.warning(request, ngettext("%(n)s case of this cluster is still active.",
                                               "%(n)s cases of this cluster are still active.",
                                               cluster.active_count) % {"n": cluster.active_count})
        return closed

    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    return _cluster_post(request, cluster, ClusterCloseForm(request.POST), close, _("Cluster closed."),
                         "close_form")


@require_POST
@staff_view(Perm.CASES_EDIT)
def cluster_reopen(request, cluster_id):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    return _cluster_post(request, cluster, ClusterReopenForm(request.POST), lambda c, data: services.cluster_reopen(
        cluster=c, reason=data["reason"], by=request.user), _("Cluster reopened."), "reopen_form")


@require_POST
@staff_view(Perm.CASES_EDIT)
def cluster_add_cases(request, cluster_id):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    return _cluster_post(
        request, cluster, ClusterCasesForm(request.POST),
        lambda c, data: services.cluster_add_cases(cluster=c, codes=data["codes"], move=data["move"], by=request.user),
        lambda added: ngettext("%(n)s case added to the cluster.", "%(n)s cases added to the cluster.",
                               len(added)) % {"n": len(added)}, "cases_form")
