"""Result pages of the laboratory's own: result files (history, summary or row errors, the error report),
file layouts mapped once per laboratory, the re-tests due per commune and registering one. Pages that enter,
release or import results set off cases, so they are in lachan.workflows.lab_results.views."""

from __future__ import annotations

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.core.exports import XlsxExport
from lachan.core.jsontext import json_read
from lachan.core.pagination import page_of
from lachan.geo.models import AdminLevel, AdminUnit

from ..models import ImportStatus, Result
from . import files, imports
from . import selectors as results_selectors
from . import services as results
from .api import errors_csv_response
from .forms import RetestForm, SampleFileForm, apply_errors

ERRORS_SHOWN = 500
MAX_EXPORT = 20_000


def _query_string(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@staff_view(Perm.LABS_RESULT)
def import_list(request):
    status = request.GET.get("status", "")
    status = status if status in ImportStatus.values else ""
    laboratories = list(results_selectors.laboratories_for(request.user))
    queryset = results_selectors.import_list(user=request.user, status=status, laboratory=request.GET.get("laboratory"))
    return render(request, "labs/imports.html", {
        "page": page_of(queryset, page=request.GET.get("page"), size=50), "query_string": _query_string(request),
        "statuses": ImportStatus.choices, "status": status, "laboratories": laboratories,
        "laboratory": request.GET.get("laboratory", ""),
    })


@staff_view(Perm.LABS_RESULT)
def import_detail(request, import_id):
    record = results_selectors.import_get(user=request.user, import_id=import_id)
    return render(request, "labs/import_detail.html", import_context(record))


def import_context(record) -> dict:
    summary = record.summary or {}
    return {
        "record": record, "error_rows": record.errors[:ERRORS_SHOWN], "more_errors": max(0, record.error_count - ERRORS_SHOWN),
        "summary": summary, "mapping": record.mapping,
        "outcomes": [(label, summary.get(key, 0)) for key, label in (
            ("negative", _("negative")), ("positive", _("positive")), ("retest", _("positive pool: re-test")),
            ("inconclusive", _("inconclusive: sample again"))) if summary.get(key)],
    }


@staff_view(Perm.LABS_RESULT)
def import_errors_csv(request, import_id):
    return errors_csv_response(results_selectors.import_get(user=request.user, import_id=import_id))


# ---- file layouts ----------------------------------------------------------------------------------------------

@staff_view(Perm.LABS_RESULT)
def mapping_list(request):
    return render(request, "labs/mapping_list.html", {
        "mappings": results_selectors.mapping_list(user=request.user), "field_labels": files.FIELD_LABELS,
        "fields": files.FIELDS, "laboratories": results_selectors.laboratories_for(request.user),
    })


@staff_view(Perm.LABS_RESULT)
def mapping_edit(request, mapping_id=None):
    """A lab's layout from an example of its file: upload it, then say which heading is which and what its
    result words mean. Editing works without the file (the headings are typed), or with a new example."""
    mapping = results_selectors.mapping_get(user=request.user, mapping_id=mapping_id) if mapping_id else None
    laboratories = list(results_selectors.laboratories_for(request.user))
    upload = SampleFileForm()
    data = request.POST
    step = data.get("step", "") if request.method == "POST" else ""
    example = {"headings": [], "rows": [], "header_row": mapping.header_row if mapping else 1}
    chosen = dict(mapping.columns) if mapping else {}
    words = {w: r for w, r in (mapping.result_words or {}).items()} if mapping else {}
    errors: list[str] = []
    if step == "upload":
        upload = SampleFileForm(data, request.FILES)
        if upload.is_valid():
            handle = upload.cleaned_data["file"]
            try:
                header_row, headings, rows = files.headings_of(handle.read(), handle.name,
                                                               header_row=upload.cleaned_data["header_row"])
            except DomainError as exc:
                upload.add_error("file", str(exc.message))
            else:
                example = {"headings": headings, "rows": rows, "header_row": header_row}
                guessed = files.guess_columns(headings)
                chosen = {name: headings[i] for name, i in guessed.items()} | {
                    k: v for k, v in chosen.items() if v in headings}
    elif step in ("save", "refresh"):
        try:
            example = json_read(data.get("example") or "{}")
            example = {"headings": [str(h) for h in example.get("headings", [])][:200],
                       "rows": [[str(c) for c in r][:200] for r in example.get("rows", [])][:200],
                       "header_row": int(example.get("header_row") or 1)}
        except (ValueError, TypeError, AttributeError):
            example = {"headings": [], "rows": [], "header_row": 1}
        chosen = {name: data.get(f"column_{name}", "").strip() for name in files.FIELDS}
        words = {}
        for word, value in zip(data.getlist("word"), data.getlist("word_result"), strict=False):
            if word.strip():
                words[word.strip()] = value
        if step == "save":
            try:
                laboratory = (mapping.laboratory if mapping else
                              imports.import_laboratory(laboratory_id=data.get("laboratory"), by=request.user))
                header_row = int(data.get("header_row") or 1)
                mapping = files.mapping_save(
                    laboratory=laboratory, name=data.get("name", ""), columns=chosen, result_words=words,
                    date_format=data.get("date_format", ""), header_row=header_row, mapping=mapping, by=request.user)
            except (ValueError, TypeError):
                errors.append(_("The row of the headings is a number."))
            except (NotFound, PermissionDenied) as exc:
                errors.append(str(exc.message))
            except DomainError as exc:
                errors.extend(str(e.message) for e in getattr(exc, "errors", [exc]))
            else:
                messages.success(request, _("File layout “%(name)s” saved.") % {"name": mapping.name})
                return redirect("labresults:mapping_list")
    result_column = chosen.get("result", "")
    seen = []
    if result_column in example["headings"]:
        index = example["headings"].index(result_column)
        for row in example["rows"]:
            value = row[index].strip() if index < len(row) else ""
            if value and value not in seen:
                seen.append(value)
    defaults = files.result_words_default(seen[:30])
    word_rows = [(w, words.get(w, defaults.get(w, ""))) for w in seen[:30]]
    word_rows += [(w, r) for w, r in words.items() if w not in seen]
    word_rows += [("", "")] * 3
    return render(request, "labs/mapping_form.html", {
        "mapping": mapping, "upload": upload, "example": example, "example_json": json.dumps(example),
        "chosen": chosen, "fields": [(name, files.FIELD_LABELS[name], name in files.REQUIRED) for name in files.FIELDS],
        "word_rows": word_rows, "results": Result.choices, "date_formats": files.DATE_FORMATS.items(),
        "errors": errors, "laboratories": laboratories,
        "name": data.get("name", "") if step else (mapping.name if mapping else ""),
        "date_format": data.get("date_format", "") if step in ("save", "refresh") else (
            mapping.date_format if mapping else ""),
        "laboratory": data.get("laboratory", "") if step else "",
        "show_choices": bool(example["headings"]) or mapping is not None or step in ("save", "refresh"),
    })


# ---- re-tests due ----------------------------------------------------------------------------------------------

def _communes_of(user):
    scope = scope_for(user)
    if scope.kind != "unit":
        return AdminUnit.objects.none()
    return AdminUnit.objects.filter(pk__in=scope.commune_ids(), level=AdminLevel.COMMUNE).order_by("name")


@staff_view(Perm.LABS_VIEW)
def retest_list(request):
    communes = list(_communes_of(request.user))
    commune = next((c for c in communes if str(c.pk) == request.GET.get("commune", "")), None)
    query = request.GET.get("q", "").strip()[:100]
    page = page_of(results_selectors.retests_due(user=request.user, commune=commune, query=query),
                   page=request.GET.get("page"), size=100)
    results_selectors.retests_audited(user=request.user, swabs=page.items)
    return render(request, "labs/retests.html", {
        "page": page, "query_string": _query_string(request), "communes": communes if len(communes) > 1 else [],
        "commune": commune, "q": query, "can_register": request.user.has_perm_code(Perm.LABS_SAMPLE),
    })


@staff_view(Perm.LABS_SAMPLE)
def retest_register(request, swab_id):
    swab = results_selectors.retest_swab_get(user=request.user, swab_id=swab_id)
    form = RetestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sample = results.retest_register(swab=swab, code=form.cleaned_data["code"],
                                             generate_code=form.cleaned_data["generate_code"],
                                             collected_at=form.cleaned_data["collected_at"], by=request.user)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Re-test sample %(code)s registered for %(name)s.")
                             % {"code": sample.code, "name": swab.person.full_name})
            return redirect("labresults:retests")
    return render(request, "labs/retests_register.html", {"swab": swab, "form": form})



@staff_view(Perm.LABS_VIEW)
def retest_export(request):
    """The re-test list as a workbook, for the station's callers (at most MAX_EXPORT rows, oldest first)."""
    communes = list(_communes_of(request.user))
    commune = next((c for c in communes if str(c.pk) == request.GET.get("commune", "")), None)
    swabs = list(results_selectors.retests_due(user=request.user, commune=commune,
                                               query=request.GET.get("q", "").strip()[:100])[:MAX_EXPORT])
    results_selectors.retests_audited(user=request.user, swabs=swabs)
    sheet = XlsxExport().sheet(_("Re-tests due"), [_("Full name"), _("Year of birth"), _("Phone"), _("Commune"), _("Address"), _("Sample"),
                  _("Collected"), _("Why"), _("Released")])
    for swab in swabs:
        person, sample = swab.person, swab.sample
        released = sample.released_at or sample.rejected_at
        sheet.append([person.full_name, person.birth_year, person.phone, person.commune.label, person.address_line,
                      sample.code, timezone.localtime(sample.collected_at).strftime("%d/%m/%Y %H:%M"),
                      str(swab.get_outcome_display()),
                      timezone.localtime(released).strftime("%d/%m/%Y %H:%M") if released else ""])
    return sheet.response(f"xet-nghiem-lai-{timezone.localdate():%Y%m%d}.xlsx")
