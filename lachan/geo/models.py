from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.core.models import BaseModel


class AdminTree(models.TextChoices):
    LEGACY_2021 = "2021", _("2021: province / district / commune")
    CURRENT_2025 = "2025", _("since 07/2025: province / commune")


class AdminLevel(models.IntegerChoices):
    PROVINCE = 1, _("province")
    DISTRICT = 2, _("district")
    COMMUNE = 3, _("commune")


class AdminUnit(models.Model):
    """An official administrative unit. The number of levels is data: the 2025 tree has no districts."""

    tree = models.CharField(_("tree"), max_length=4, choices=AdminTree.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=AdminLevel.choices)
    code = models.CharField(_("official code"), max_length=10)
    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=40, help_text=_("e.g. Tỉnh, Huyện, Thị xã, Xã, Phường"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Materialised path of codes, e.g. "82/815/28435": a subtree is one indexed prefix query.
    path = models.CharField(max_length=40, db_index=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("population year"), null=True, blank=True)
    population_source = models.CharField(_("population source"), max_length=200, blank=True)
    boundary = models.JSONField(_("boundary (GeoJSON geometry)"), null=True, blank=True)
    # An area drawn around the commune's centre (a Voronoi cell, lachan.geo.services.admin_unit_boundaries_approximate)
    # where no official boundary is imported yet: drawn on the map, never taken for a real border.
    boundary_approximate = models.BooleanField(_("boundary approximate"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tree", "code"], name="geo_adminunit_tree_code")]
        indexes = [models.Index(fields=["tree", "level"])]
        ordering = ["tree", "path"]
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The unit named without ambiguity in its province: a commune of the 2021 tree with its district
        ("Phường 1, TP. Mỹ Tho": three towns have a Phường 1). What every page, list and picker shows; select
        the parent with the unit (select_related("commune__parent")) in lists."""
        if self.level != AdminLevel.COMMUNE or not self.parent_id:
            return self.name
        parent = self.parent
        return unit_label(self.name, self.level, parent.level, parent.short_label)

    @property
    def address_label(self) -> str:
        """The unit with every unit above it, as written at the end of an address: "Phường 1, TP. Mỹ Tho, Tỉnh
        Tiền Giang" (2025 tree: "Phường X, Tỉnh Y"). For residences on a page or a printed decision; select the
        ancestors with the unit (select_related("commune__parent__parent"))."""
        parts, unit = [self.name], self.parent if self.parent_id else None
        while unit is not None:
            parts.append(unit.short_label)
            unit = unit.parent if unit.parent_id else None
        return ", ".join(parts)

    @property
    def short_label(self) -> str:
        """A district as written after a commune: "TP. Mỹ Tho", "H. Cái Bè", "TX. Gò Công"."""
        return unit_short_label(self.name, self.kind, self.short_name)


def unit_short_label(name: str, kind: str, short_name: str) -> str:
    """AdminUnit.short_label from the unit's fields (for lists read as values)."""
    prefix = UNIT_KIND_ABBREVIATIONS.get(kind)
    if not prefix or not short_name:
        return name
    # "Cai Lậy (Thị xã)" tells the town from the rural district of the same name: the prefix says it already.
    return f"{prefix} {short_name.removesuffix(f' ({kind})')}"


def unit_label(name: str, level: int, parent_level: int | None, parent_short_label: str) -> str:
    """AdminUnit.label from the unit's fields and its parent's (None: no parent)."""
    if level != AdminLevel.COMMUNE or parent_level is None:
        return name
    return f"{name}, {parent_short_label}" if parent_level == AdminLevel.DISTRICT else name


# The fields unit_label needs, through a relation to the unit ("" for the unit itself, "commune__" …).
def unit_label_fields(prefix: str = "") -> list[str]:
    return [f"{prefix}{f}" for f in ("name", "level", "parent__level", "parent__name", "parent__kind",
                                       "parent__short_name")]


def unit_label_of(row) -> str:
    """unit_label of the six values of unit_label_fields, in that order."""
    name, level, parent_level, parent_name, parent_kind, parent_short = row
    if parent_level is None:
        return unit_label(name, level, None, "")
    return unit_label(name, level, parent_level, unit_short_label(parent_name, parent_kind, parent_short))


# How Vietnamese addresses abbreviate a unit's kind before its short name.
UNIT_KIND_ABBREVIATIONS = {"Thành phố": "TP.", "Thị xã": "TX.", "Huyện": "H.", "Quận": "Q.", "Tỉnh": "Tỉnh"}


class PlaceKind(models.TextChoices):
    VENUE = "venue", _("venue")
    ENTERPRISE = "enterprise", _("enterprise")
    LABORATORY = "laboratory", _("laboratory")
    CHECKPOINT = "checkpoint", _("checkpoint")
    HEALTH_STATION = "health_station", _("commune health station")
    HOSPITAL = "hospital", _("hospital")
    QUARANTINE_FACILITY = "quarantine_facility", _("quarantine facility")
    TEST_SITE = "test_site", _("test site")
    ESSENTIAL_SHOP = "essential_shop", _("essential goods shop")  # open in lockdowns (điểm bán hàng thiết yếu)
    DECLARATION_POINT = "declaration_point", _("health declaration point")


class Place(BaseModel):
    """A located place or organisation. Domains extend it one-to-one (Venue, Enterprise, Laboratory…);
    a staff account can be bound to one as its jurisdiction."""

    kind = models.CharField(_("kind"), max_length=32, choices=PlaceKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    commune = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="places", verbose_name=_("commune"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=15, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")

    def __str__(self) -> str:
        return self.name
