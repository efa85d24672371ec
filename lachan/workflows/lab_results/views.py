"""Result pages that set off cases and tracing: a sample's result (enter, release, correct), a lab's file
(upload, see the summary or the row errors with their report), releasing a file imported as tested."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from lachan.accounts.roles import Perm
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.labs.errors import LabErrorCode
from lachan.labs.models import SampleStatus
from lachan.labs.results import files, imports
from lachan.labs.results import selectors as results_selectors
from lachan.labs.results.forms import CorrectionForm, ImportForm, ResultForm, apply_errors
from lachan.labs.results.views import import_context

from .services import (
    FollowUp,
    lab_import_release,
    lab_result_correct,
    lab_result_enter,
    lab_result_release,
    lab_results_import,
)


def _follow_up_messages(request, follow: FollowUp) -> None:
    for case in follow.confirmed:
        messages.warning(request, _("Case %(code)s confirmed for %(name)s; tracing has started.")
                         % {"code": case.code, "name": case.person.full_name})
    if follow.linked:
        messages.info(request, ngettext("%(n)d positive joined the case the person already has.",
                                        "%(n)d positives joined the cases the people already have.", follow.linked)
                      % {"n": follow.linked})


@staff_view(Perm.LABS_RESULT)
def result_find(request):
    """A result by hand, starting from the tube's code (scanned or typed)."""
    code = request.GET.get("code", "").strip()
    if code:
        try:
            sample = results_selectors.result_sample_get(user=request.user, code=code)
        except NotFound:
            messages.error(request, _("No sample %(code)s in your reach.") % {"code": code[:40]})
        else:
            return redirect("labresults:sample_result", sample_id=sample.pk)
    return redirect("labresults:import")


@staff_view(Perm.LABS_RESULT)
def sample_result(request, sample_id):
    sample = results_selectors.result_sample_get(user=request.user, sample_id=sample_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = ResultForm(request.POST if action == "enter" else None)
    correction = CorrectionForm(request.POST if action == "correct" else None)
    if not form.is_bound and sample.status == SampleStatus.TESTED:
        form.initial = {"result": sample.result, "ct_value": sample.ct_value, "release": True,
                        "tested_at": timezone.localtime(sample.tested_at) if sample.tested_at else None}
    try:
        if action == "enter" and form.is_valid():
            tested_at = form.cleaned_data["tested_at"]
            if tested_at is not None and timezone.is_naive(tested_at):
                tested_at = timezone.make_aware(tested_at)
            outcome = lab_result_enter(sample=sample, result=form.cleaned_data["result"],
                                       ct_value=form.cleaned_data["ct_value"], tested_at=tested_at,
                                       release=form.cleaned_data["release"], by=request.user)
            messages.success(request, _("Result released: %(n)d people told.") % {"n": outcome.released.notified}
                             if outcome.released else _("Result recorded; release it when it is checked."))
            _follow_up_messages(request, outcome.follow_up)
            return redirect("labresults:sample_result", sample_id=sample.pk)
        if action == "release":
            outcome = lab_result_release(sample=sample, by=request.user)
            messages.success(request, _("Result released: %(n)d people told.") % {"n": outcome.released.notified})
            _follow_up_messages(request, outcome.follow_up)
            return redirect("labresults:sample_result", sample_id=sample.pk)
        if action == "correct" and correction.is_valid():
            outcome = lab_result_correct(sample=sample, result=correction.cleaned_data["result"],
                                         ct_value=correction.cleaned_data["ct_value"],
                                         reason=correction.cleaned_data["reason"], by=request.user)
            messages.success(request, _("Result corrected: %(n)d people told.") % {"n": outcome.released.notified})
            _follow_up_messages(request, outcome.follow_up)
            return redirect("labresults:sample_result", sample_id=sample.pk)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        if action == "correct":
            apply_errors(correction, exc)
        elif action == "enter":
            apply_errors(form, exc)
        else:
            messages.error(request, exc.message)
    swabs = results_selectors.result_sample_swabs(user=request.user, sample=sample)
    return render(request, "labs/results_sample.html", {
        "sample": sample, "form": form, "correction": correction, "swabs": swabs,
        "corrections": sample.corrections.select_related("created_by"),
        "can_enter": sample.status in (SampleStatus.COLLECTED, SampleStatus.RECEIVED, SampleStatus.TESTED),
        "can_release": sample.status == SampleStatus.TESTED and bool(sample.result),
        "is_released": sample.status == SampleStatus.RELEASED,
    })


@staff_view(Perm.LABS_RESULT)
def results_import(request):
    """Upload a lab's file; it is imported whole (and the page goes to its summary) or not at all (the row
    errors are shown here, with the report to download)."""
    laboratories = results_selectors.laboratories_for(request.user)
    mappings = results_selectors.mapping_list(user=request.user)
    form = ImportForm(request.POST or None, request.FILES or None, laboratories=laboratories, mappings=mappings)
    refused = earlier = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        laboratory = form.cleaned_data["laboratory"]
        mapping = form.cleaned_data["mapping"]
        try:
            if mapping is not None and mapping.laboratory_id != laboratory.pk:
                raise DomainError(LabErrorCode.MAPPING_NOT_FOUND, _("This layout belongs to another laboratory."),
                                  field="mapping")
            if upload.size > files.MAX_BYTES:
                raise DomainError(LabErrorCode.IMPORT_FILE, _("The file is larger than %(mb)d MB.")
                                  % {"mb": files.MAX_BYTES // 2**20}, field="file")
            outcome = lab_results_import(laboratory=laboratory, data=upload.read(), filename=upload.name,
                                         mapping=mapping, release=form.cleaned_data["release"], by=request.user)
        except imports.AlreadyImported as exc:
            form.add_error("file", str(exc.message))
            earlier = exc.params.get("import_id")
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            if outcome.ok:
                record = outcome.record
                messages.success(request, _("%(n)d results imported from %(file)s.")
                                 % {"n": record.applied, "file": record.filename})
                _follow_up_messages(request, outcome.follow_up)
                return redirect("labresults:import_detail", import_id=record.pk)
            refused = import_context(outcome.record)
    return render(request, "labs/import.html", {
        "form": form, "refused": refused, "earlier": earlier, "has_mappings": mappings.exists(),
        "recent": results_selectors.import_list(user=request.user)[:5],
    })


@require_POST
@staff_view(Perm.LABS_RESULT)
def import_release(request, import_id):
    record = results_selectors.import_get(user=request.user, import_id=import_id)
    try:
        follow = lab_import_release(result_import=record, by=request.user)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        record.refresh_from_db()
        messages.success(request, _("Results released: %(n)d people told.") % {"n": record.summary.get("notified", 0)})
        _follow_up_messages(request, follow)
    return redirect("labresults:import_detail", import_id=record.pk)
