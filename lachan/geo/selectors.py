"""Reads of administrative units. Units are public data; scoping narrows lists to the user's area."""

from django.conf import settings
from django.db.models import Q, QuerySet

from lachan.core.errors import NotFound

from .models import AdminLevel, AdminUnit


def deployment_tree() -> str:
    return settings.LACHAN_ADMIN_TREE


def deployment_units() -> QuerySet[AdminUnit]:
    """Units of the deployment's tree and province."""
    tree = settings.LACHAN_ADMIN_TREE
    root = f"{tree}/{settings.LACHAN_PROVINCE_CODE}"
    return AdminUnit.objects.filter(Q(path=root) | Q(path__startswith=root + "/"), tree=tree)


def unit_list(*, tree: str | None = None, parent_code: str | None = None, level: int | None = None,
              query: str = "") -> QuerySet[AdminUnit]:
    tree = tree or settings.LACHAN_ADMIN_TREE
    qs = AdminUnit.objects.filter(tree=tree)
    if parent_code:
        qs = qs.filter(parent__code=parent_code, parent__tree=tree)
    if level:
        qs = qs.filter(level=level)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(short_name__icontains=query) | Q(code=query))
    return qs.order_by("path")


def unit_get(*, tree: str | None = None, code: str) -> AdminUnit:
    try:
        return AdminUnit.objects.select_related("parent").get(tree=tree or settings.LACHAN_ADMIN_TREE, code=code)
    except AdminUnit.DoesNotExist:
        raise NotFound("geo_unknown_unit", "Unknown administrative unit.", field="code") from None


def communes_of(unit: AdminUnit) -> QuerySet[AdminUnit]:
    return AdminUnit.objects.filter(
        Q(path=unit.path) | Q(path__startswith=unit.path + "/"), level=AdminLevel.COMMUNE
    ).order_by("path")


def unit_labels(unit_ids) -> dict[int, str]:
    """Each unit's unambiguous label (AdminUnit.label), for rows read as values: one query for all."""
    ids = {pk for pk in unit_ids if pk}
    if not ids:
        return {}
    return {unit.pk: unit.label for unit in AdminUnit.objects.filter(pk__in=ids).select_related("parent")}
