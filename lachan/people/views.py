"""People pages: thin; every read goes through a selector, every write through a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lachan.accounts.roles import Perm
from lachan.core.decorators import staff_view as core_staff_view
from lachan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.core.exports import XlsxExport

from . import selectors, services
from .forms import PersonFilterForm, PersonForm
from .models import Person

PAGE_SIZE = 50


def staff_view(perm: str):
    return core_staff_view(perm, citizens="people:mine")  # a citizen is sent to their own record


@staff_view(Perm.PEOPLE_VIEW)
def person_list(request):
    form = PersonFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound else PersonFilterForm.filters_empty()
    page = selectors.page_of(
        selectors.person_list(user=request.user, **filters), page=request.GET.get("page"), size=PAGE_SIZE
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "people/list.html", {
        "form": form, "page": page, "query_string": params.urlencode(),
        "can_edit": request.user.has_perm_code(Perm.PEOPLE_EDIT),
        "can_export": request.user.has_perm_code(Perm.PEOPLE_EXPORT),
    })


@staff_view(Perm.PEOPLE_EXPORT)
def person_export(request):
    form = PersonFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound else PersonFilterForm.filters_empty()
    try:
        rows = selectors.person_export_rows(user=request.user, **filters)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("people:list") + "?" + request.GET.urlencode())
    sheet = XlsxExport().sheet(_("People"), [
        _("Full name"), _("Date of birth"), _("Year of birth"), _("Sex"), _("National ID (CCCD)"), _("Phone"),
        _("Other phone"), _("Province"), _("District"), _("Commune"), _("Address"), _("Occupation"), _("Record id"),
    ])
    sheet.extend(rows)
    return sheet.response(f"people-{timezone.localdate():%Y%m%d}.xlsx")


@staff_view(Perm.PEOPLE_VIEW)
def person_detail(request, person_id):
    person = _person_or_tombstone(request, person_id)
    if not isinstance(person, Person):
        return person
    return render(request, "people/detail.html", {
        "person": person,
        "members": selectors.household_members(user=request.user, person=person),
        "duplicates": list(selectors.duplicate_list(user=request.user, person=person)[:20]),
        "can_edit": request.user.has_perm_code(Perm.PEOPLE_EDIT),
        "can_audit": request.user.has_perm_code(Perm.AUDIT_VIEW),
        "can_merge": request.user.has_perm_code(Perm.PEOPLE_MERGE),
    })


def _person_or_tombstone(request, person_id):
    try:
        return selectors.person_get(user=request.user, person_id=person_id)
    except NotFound:
        # A merged record's old address leads to the record that absorbed it (if the user may see it).
        kept = Person.objects.filter(pk=person_id, merged_into__isnull=False).values_list("merged_into", flat=True).first()
        if kept and selectors.people_in_scope(request.user).filter(pk=kept).exists():
            return redirect("people:detail", person_id=kept)
        raise


def _apply_errors(form, exc: DomainError) -> None:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    for err in errors:
        form.add_error(err.field if err.field in form.fields else None, str(err.message))


@staff_view(Perm.PEOPLE_EDIT)
def person_create(request):
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": person.full_name})
            return redirect("people:detail", person_id=person.pk)
    return render(request, "people/form.html", {"form": form, "person": None})


@staff_view(Perm.PEOPLE_EDIT)
def person_edit(request, person_id):
    person = selectors.person_get(user=request.user, person_id=person_id)
    initial = {f: getattr(person, f) for f in PersonForm.base_fields}
    form = PersonForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if v != initial.get(k)}
        try:
            services.person_update(person=person, by=request.user, **changes)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("people:detail", person_id=person.pk)
    return render(request, "people/form.html", {"form": form, "person": person})


@staff_view(Perm.PEOPLE_VIEW)
def duplicate_queue(request):
    page = selectors.page_of(selectors.duplicate_list(user=request.user), page=request.GET.get("page"), size=20)
    return render(request, "people/duplicates.html", {
        "page": page, "can_merge": request.user.has_perm_code(Perm.PEOPLE_MERGE),
        "fields": ["full_name", "birth_date", "birth_year", "sex", "national_id", "phone", "phone_alt", "commune",
                   "address_line", "occupation", "created_at"],
    })


@require_POST
@staff_view(Perm.PEOPLE_MERGE)
def duplicate_merge(request, candidate_id: int):
    try:
        record = services.duplicate_merge(candidate=candidate_id, keep_id=request.POST.get("keep", ""), by=request.user)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("people:duplicates")
    messages.success(request, _("Merged into %(name)s.") % {"name": record.kept.full_name})
    return redirect("people:duplicates")


@require_POST
@staff_view(Perm.PEOPLE_MERGE)
def duplicate_dismiss(request, candidate_id: int):
    try:
        services.duplicate_dismiss(candidate=candidate_id, by=request.user)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as different people."))
    return redirect("people:duplicates")


@login_required
def person_mine(request):
    """A citizen's own record, and only theirs."""
    person = selectors.person_mine(user=request.user)
    return render(request, "people/mine.html", {"person": person})
