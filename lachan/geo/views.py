"""Administrative units of the deployment: browse, export, and (geo.edit) set populations."""


from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lachan.core.decorators import NOT_FOUND, staff_view
from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.exports import XlsxExport
from lachan.core.numbers import int_or_none
from lachan.core.redirects import next_url

from . import selectors, services
from .models import AdminLevel

GEO_EDIT = "geo.edit"  # accounts.roles.Perm.GEO_EDIT (geo sits below accounts and names it by value)


@staff_view(citizens=NOT_FOUND)
def unit_list(request):
    units = list(selectors.deployment_units().select_related("parent"))
    parent_code = request.GET.get("parent", "")
    if parent_code:
        units = [u for u in units if u.code == parent_code or (u.parent and u.parent.code == parent_code)]
    districts = [u for u in selectors.deployment_units() if u.level == AdminLevel.DISTRICT]
    communes = [u for u in units if u.level == AdminLevel.COMMUNE]
    return render(request, "geo/units.html", {
        "units": units, "districts": districts, "parent_code": parent_code,
        "can_edit": request.user.has_perm_code(GEO_EDIT),
        "total_population": sum(u.population or 0 for u in communes),
        "missing_population": sum(1 for u in communes if u.population is None),
    })


@staff_view(citizens=NOT_FOUND)
def unit_export(request):
    sheet = XlsxExport().sheet(_("Administrative units"), [_("code"), _("name"), _("kind"), _("level"), _("parent code"), _("population"),
                  _("population year"), _("population source"), _("latitude"), _("longitude")])
    for u in selectors.deployment_units().select_related("parent"):
        sheet.append([u.code, u.name, u.kind, u.level, u.parent.code if u.parent else "", u.population,
                      u.population_year, u.population_source, u.latitude, u.longitude])
    return sheet.response("administrative-units.xlsx")


@staff_view(GEO_EDIT)
@require_POST
def unit_population(request, code: str):
    unit = selectors.unit_get(code=code)
    raw = request.POST.get("population", "").strip().replace(".", "").replace(",", "")
    try:
        if raw and int_or_none(raw, max_digits=12) is None:
            raise DomainError("geo_bad_row", _("Population must be a whole number."), field="population")
        year = request.POST.get("year", "").strip()
        services.admin_unit_set_population(
            unit=unit, population=int(raw) if raw else None, year=int_or_none(year, max_digits=4),
            source=request.POST.get("source", "").strip(),
        )
        messages.success(request, _("Population of %(unit)s saved.") % {"unit": unit.label})
    except DomainError as exc:
        messages.error(request, f"{unit.label}: {exc.message}")
    return redirect(next_url(request, "geo:units"))


@staff_view(GEO_EDIT)
def unit_population_import(request):
    errors = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = [_("Choose a CSV file.")]
        else:
            try:
                year = request.POST.get("year", "").strip()
                report = services.admin_unit_populations_import(
                    tree=selectors.deployment_tree(), data=upload.read(),
                    year=int_or_none(year, max_digits=4), source=request.POST.get("source", "").strip(),
                )
                messages.success(request, _("%(n)d populations imported.") % {"n": report.applied})
                return redirect("geo:units")
            except ValidationFailed as exc:
                errors = [f"{e.field}: {e.message}" for e in exc.errors]
            except DomainError as exc:
                errors = [str(exc.message)]
    return render(request, "geo/population_import.html", {"errors": errors})
