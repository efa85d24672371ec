"""Pages for the case-confirmation workflow: the confirm form and "trace again"."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lachan.accounts.roles import Perm
from lachan.cases.errors import CaseErrorCode
from lachan.cases.models import CaseOrigin
from lachan.cases.selectors import case_get
from lachan.core.dates import instant_parse
from lachan.core.decorators import staff_view
from lachan.core.errors import CommonErrorCode, DomainError
from lachan.core.parsers import day_field, uuid_or_none
from lachan.people.access import people_in_scope
from lachan.people.selectors import person_candidates

from .services import case_confirm_and_trace, case_retrace


@staff_view(Perm.CASES_EDIT)
def case_confirm(request):
    error, field = None, None
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        person_id = uuid_or_none(data.get("person"))
        person = people_in_scope(request.user).filter(pk=person_id).first() if person_id else None
        confirmed_at = instant_parse(data.get("confirmed_at")) if data.get("confirmed_at") else None
        try:
            if person is None:
                raise DomainError(CaseErrorCode.PERSON_NOT_FOUND, _("Choose the person."), field="person")
            result = case_confirm_and_trace(
                person=person,
                onset_date=day_field(data.get("onset_date"), field="onset_date", code=CommonErrorCode.INVALID),
                sample_date=day_field(data.get("sample_date"), field="sample_date", code=CommonErrorCode.INVALID),
                origin=data.get("origin", ""), confirmed_at=confirmed_at, notes=data.get("notes", ""), by=request.user)
            messages.success(request, _("Case %(code)s confirmed: %(f1)s F1, %(notices)s exposure notices.") % {
                "code": result.case.code, "f1": result.run.counts.get("f1", 0),
                "notices": result.run.counts.get("notices", 0)})
            return redirect("tracing:report", case_id=result.case.pk)
        except DomainError as exc:
            error, field = exc.message, exc.field
    query = data.get("q", "")
    # Name, CCCD or phone, as the people search finds them (audited as a search).
    candidates = person_candidates(user=request.user, query=query[:100], purpose="case_confirm") if query else []
    return render(request, "cases/confirm.html", {
        "error": error, "field": field, "q": query, "candidates": candidates, "origins": CaseOrigin.choices,
        "data": data, "selected": data.get("person", ""),
    })


@require_POST
@staff_view(Perm.CASES_EDIT)
def case_retrace_view(request, case_id):
    case = case_get(user=request.user, case_id=case_id, audit=False)
    try:
        result = case_retrace(case=case, by=request.user)
        messages.success(request, _("Traced again: %(f1)s F1, %(f2)s F2, %(notices)s exposure notices.") % {
            "f1": result.run.counts.get("f1", 0), "f2": result.run.counts.get("f2", 0),
            "notices": result.run.counts.get("notices", 0)})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("tracing:report", case_id=case.pk)

