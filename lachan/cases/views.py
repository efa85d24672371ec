"""Case pages: list, detail, status and cluster changes. Confirming a case is a workflow (it traces),
so its form lives in lachan.workflows.views."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lachan.accounts.decorators import staff_view
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError
from lachan.core.pagination import page_of

from . import selectors, services
from .models import CaseOrigin, CaseStatus, ClusterKind


@staff_view(Perm.CASES_VIEW)
def case_list(request):
    status = request.GET.get("status", "")
    origin = request.GET.get("origin", "")
    queryset = selectors.case_list(user=request.user, query=request.GET.get("q", ""),
                                   status=status if status in CaseStatus.values else "",
                                   origin=origin if origin in CaseOrigin.values else "")
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "cases/list.html", {
        "page": page_of(queryset, page=request.GET.get("page"), size=50), "query_string": params.urlencode(),
        "statuses": CaseStatus.choices, "origins": CaseOrigin.choices, "q": request.GET.get("q", ""),
        "status": status, "origin": origin, "can_edit": request.user.has_perm_code(Perm.CASES_EDIT),
    })


@staff_view(Perm.CASES_VIEW)
def case_detail(request, case_id):
    case = selectors.case_get(user=request.user, case_id=case_id)
    return render(request, "cases/detail.html", {
        "case": case, "history": case.status_changes.all(), "statuses": CaseStatus.choices,
        "clusters": selectors.cluster_list(user=request.user)[:200], "cluster_kinds": ClusterKind.choices,
        "can_edit": request.user.has_perm_code(Perm.CASES_EDIT),
    })


@require_POST
@staff_view(Perm.CASES_EDIT)
def case_status(request, case_id):
    case = selectors.case_get(user=request.user, case_id=case_id, audit=False)
    since = parse_datetime(request.POST.get("since", "") or "") if request.POST.get("since") else None
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
