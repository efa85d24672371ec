from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.core.models import BaseModel
from lachan.core.text import fold, reverse_words
from lachan.geo.models import AdminUnit


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")
    UNKNOWN = "U", _("unknown")


class Household(BaseModel):
    """People who live at one address (hộ gia đình): the first exposure source of tracing."""

    code = models.CharField(_("household code"), max_length=32, blank=True, db_index=True)
    commune = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    address_line = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.address_line or self.code or str(self.pk)


class PersonQuerySet(models.QuerySet):
    def active(self):
        return self.filter(merged_into__isnull=True)


class Person(BaseModel):
    """One human, once (SORMAS): cases, contacts, samples, workers, accounts all point here."""

    full_name = models.CharField(_("full name"), max_length=150)
    # Lower-case ASCII of the name (diacritics folded) for search: "nguyen van an".
    search_name = models.CharField(max_length=150, editable=False)
    # The same words last to first ("an van nguyen"): searching a given name is a prefix search too.
    search_name_rev = models.CharField(max_length=150, editable=False, default="")
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    national_id = models.CharField(_("national ID (CCCD)"), max_length=12, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=10, blank=True, db_index=True)
    phone_alt = models.CharField(_("other phone"), max_length=10, blank=True, db_index=True)
    commune = models.ForeignKey(
        AdminUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune of residence")
    )
    address_line = models.CharField(_("address (house, street, hamlet)"), max_length=300, blank=True)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name=_("household")
    )
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person",
        verbose_name=_("citizen account"),
    )
    # A merged duplicate is kept as a tombstone pointing at the record that absorbed it.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["commune", "search_name"], name="people_person_commune_name"),
            models.Index(fields=["search_name", "birth_date"], name="people_person_name_birth"),
            # (key, id) matches the list order exactly, so a page is read off the index with no sort.
            models.Index(fields=["search_name", "id"], name="people_person_name_id"),
            models.Index(fields=["search_name_rev", "id"], name="people_person_rev_name_id"),
            # Few people are merged: a partial index finds tombstones (merges, deletions) without a scan.
            models.Index(fields=["merged_into"], name="people_person_merged", condition=models.Q(merged_into__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.search_name = fold(self.full_name)
        self.search_name_rev = reverse_words(self.search_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name", "search_name_rev"}
        super().save(*args, **kwargs)

    @property
    def effective_birth_year(self) -> int | None:
        return self.birth_date.year if self.birth_date else self.birth_year


class DuplicateReason(models.TextChoices):
    SAME_NATIONAL_ID = "same_national_id", _("same national ID")
    SAME_NAME_BIRTH_COMMUNE = "same_name_birth_commune", _("same name, date of birth and commune")
    SAME_PHONE_SIMILAR_NAME = "same_phone_similar_name", _("same phone and a similar name")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("to review")
    MERGED = "merged", _("merged")
    DISMISSED = "dismissed", _("not the same person")


class DuplicateCandidate(models.Model):
    """A pair that is probably one human twice. person_a is the older record (kept by default)."""

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=32, choices=DuplicateReason.choices)
    score = models.FloatField(default=1.0)
    status = models.CharField(max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN, db_index=True)
    found_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person_a", "person_b"], name="people_duplicate_pair")]
        ordering = ["-score", "found_at"]


class PersonMerge(models.Model):
    """What a merge did, so it can be explained (and undone by hand) later."""

    kept = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged_id = models.UUIDField()
    snapshot = models.JSONField(help_text="The merged record as it was.")
    moved = models.JSONField(default=dict, help_text="How many linked records moved, by kind.")
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
