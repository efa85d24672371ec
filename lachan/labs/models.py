"""Laboratory: sampling campaigns and sites, samples (a tube: one person's swab or a pool of 2–10), the
swabs in them, results and the lab files they come from.

A `Sample` is what the lab tests (one tube, one code, one result). A `Swab` is one person's specimen in a
sample: one swab for an individual test, 2–10 for a pool (gộp mẫu). A person's own result is on the swab:
a negative pool is negative for everyone in it; a positive pool asks each member for an individual re-test.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lachan.core.models import BaseModel
from lachan.geo.models import AdminUnit, Place
from lachan.people.models import Person


class Laboratory(BaseModel):
    place = models.OneToOneField(Place, on_delete=models.PROTECT, related_name="laboratory")
    does_rt_pcr = models.BooleanField(_("RT-PCR"), default=True)
    daily_capacity = models.PositiveIntegerField(_("tests per day"), null=True, blank=True)

    class Meta:
        verbose_name = _("laboratory")
        verbose_name_plural = _("laboratories")

    def __str__(self) -> str:
        return self.place.name


class TestType(models.TextChoices):
    RT_PCR = "rt_pcr", _("RT-PCR")
    RAPID_ANTIGEN = "rapid_antigen", _("rapid antigen test")


class CampaignKind(models.TextChoices):
    SCREENING = "screening", _("community screening")
    ENTERPRISE = "enterprise", _("enterprise")
    CHECKPOINT = "checkpoint", _("checkpoint")
    QUARANTINE = "quarantine", _("quarantine tests")
    HOSPITAL = "hospital", _("hospital")
    OTHER = "other", _("other")


class Campaign(BaseModel):
    """A sampling campaign (đợt lấy mẫu): a commune-wide screening, a factory, a checkpoint. Screenings run
    in rounds (lần 1, lần 2, …); a person is swabbed once per round."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=CampaignKind.choices)
    unit = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    test_type = models.CharField(_("test"), max_length=20, choices=TestType.choices, default=TestType.RT_PCR)
    pool_size = models.PositiveSmallIntegerField(_("planned pool size"), default=1)  # 1: individual samples
    laboratory = models.ForeignKey(Laboratory, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("laboratory"))
    current_round = models.PositiveSmallIntegerField(_("round"), default=1)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("sampling campaign")

    def __str__(self) -> str:
        return self.name


class SamplingSite(BaseModel):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    commune = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("place"))  # an enterprise, a checkpoint, a school
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sampling site")

    def __str__(self) -> str:
        return self.name


class SampleStatus(models.TextChoices):
    COLLECTED = "collected", _("collected")
    RECEIVED = "received", _("received by the lab")
    TESTED = "tested", _("tested")
    RELEASED = "released", _("result released")
    REJECTED = "rejected", _("rejected by the lab")


class Result(models.TextChoices):
    POSITIVE = "positive", _("positive")
    NEGATIVE = "negative", _("negative")
    INCONCLUSIVE = "inconclusive", _("inconclusive")
    INVALID = "invalid", _("invalid")


class CodeKey(models.Func):
    """A tube code without its separators (-, . and /), as a citizen may type it: "82-211122-0001" and
    "822111220001" have the same key. The constants are in the SQL text, not parameters, so that the query and the
    index labs_sample_code_bare are the same expression (SQLite matches an index expression only then)."""

    template = "REPLACE(REPLACE(REPLACE(%(expressions)s, '-', ''), '.', ''), '/', '')"
    output_field = models.CharField()


class Sample(BaseModel):
    """One tube: what the lab receives, tests and reports on."""

    code = models.CharField(_("sample code"), max_length=40, unique=True)
    pooled = models.BooleanField(_("pooled"), default=False)
    test_type = models.CharField(_("test"), max_length=20, choices=TestType.choices)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="samples")
    site = models.ForeignKey(SamplingSite, null=True, blank=True, on_delete=models.PROTECT, related_name="samples")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    laboratory = models.ForeignKey(Laboratory, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="samples", verbose_name=_("laboratory"))
    status = models.CharField(_("status"), max_length=12, choices=SampleStatus.choices, default=SampleStatus.COLLECTED)
    collected_at = models.DateTimeField(_("collected at"))
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", db_index=False)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    tested_at = models.DateTimeField(_("tested at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices, blank=True)
    ct_value = models.FloatField(_("Ct value"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    result_import = models.ForeignKey("ResultImport", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="samples", db_index=False)
    rejected_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)

    class Meta:
        ordering = ["-collected_at"]
        verbose_name = _("sample")
        indexes = [
            models.Index(fields=["laboratory", "status", "collected_at"], name="labs_sample_lab_queue"),
            models.Index(fields=["status", "collected_at"], name="labs_sample_status"),
            # Covers the dashboard's turnaround of a week of tubes (SQLite reads the index alone, not the rows).
            models.Index(fields=["released_at", "laboratory", "collected_at", "site"], name="labs_sample_released_cov"),
            models.Index(fields=["campaign", "round"], name="labs_sample_campaign"),
            models.Index(CodeKey("code"), name="labs_sample_code_bare"),  # the result look-up (lookup.py)
            # The positive pools of a week (labs.stats.positive_pools, the dashboard's positivity): ~1,000 of
            # 300,000 tubes; without it SQLite walks every released tube (0.5 s at 300,000 tubes). The status
            # leads so that SQLite prefers it to labs_sample_status even without ANALYZE's statistics.
            models.Index(fields=["status", "released_at"], name="labs_sample_positive_pool",
                         condition=Q(pooled=True, result=Result.POSITIVE)),
        ]

    def __str__(self) -> str:
        return self.code


class SampleCodeCounter(models.Model):
    """The last number handed out for a code prefix ("82-211122-"): generated codes and blank
    pre-printed labels take their numbers from here, so two never get the same code."""

    prefix = models.CharField(max_length=30, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}{self.last:06d}"


class SwabReason(models.TextChoices):
    SCREENING = "screening", _("screening")
    CONTACT = "contact", _("contact of a case")
    QUARANTINE = "quarantine", _("quarantine test")
    SYMPTOMS = "symptoms", _("symptoms")
    TRAVEL = "travel", _("travel")
    POOL_RETEST = "pool_retest", _("re-test after a positive pool")
    OTHER = "other", _("other")


class SwabOutcome(models.TextChoices):
    PENDING = "pending", _("waiting for the result")
    NEGATIVE = "negative", _("negative")
    POSITIVE = "positive", _("positive")
    RETEST = "retest", _("positive pool: individual re-test needed")
    INCONCLUSIVE = "inconclusive", _("inconclusive: sample again")
    REJECTED = "rejected", _("sample rejected: sample again")


# What a commune station must sample again (a positive pool's members, an unclear result, a rejected tube), and
# the outcomes where the tube did not count at all (its pool does not take the person's place in the round).
RETEST_OUTCOMES = (SwabOutcome.RETEST, SwabOutcome.INCONCLUSIVE, SwabOutcome.REJECTED)
VOIDING_OUTCOMES = (SwabOutcome.REJECTED, SwabOutcome.INCONCLUSIVE)


class Swab(BaseModel):
    """One person's specimen in a sample. `outcome` is that person's result, derived from the sample's."""

    # No single-column indexes: (sample, person) and (person, outcome) below serve both look-ups, and every
    # index is rewritten when a result file updates 250,000 swabs.
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="swabs", db_index=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="swabs", db_index=False)
    # Copied from the sample: "once per round" is a constraint on these, and person look-ups need no join.
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 db_index=False)
    round = models.PositiveSmallIntegerField(default=1)
    pooled = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=1)
    reason = models.CharField(_("reason"), max_length=12, choices=SwabReason.choices, default=SwabReason.SCREENING)
    outcome = models.CharField(_("result"), max_length=12, choices=SwabOutcome.choices, default=SwabOutcome.PENDING)
    retest_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retests",
                                  db_index=False)
    retest_done = models.BooleanField(default=False)  # a re-test swab was taken for this one
    # Kept by the result services (and checked below) from the outcome, so that the partial indexes read these
    # and not `outcome`: turning a file's 250,000 pending swabs negative then rewrites no index entry.
    voided = models.BooleanField(default=False)  # rejected or unreadable: this tube does not count
    retest_due = models.BooleanField(default=False)  # to be swabbed again, and not yet re-swabbed
    notified_at = models.DateTimeField(null=True, blank=True)
    # The case this positive confirmed, or the person's case it was linked to (one case however many positives).
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             db_index=False, verbose_name=_("case"))

    class Meta:
        ordering = ["sample", "position"]
        verbose_name = _("swab")
        constraints = [
            models.UniqueConstraint(fields=["sample", "person"], name="labs_swab_once_per_sample"),
            # A person is in one pool per round of a campaign (an individual re-test is not a pool); a pool
            # the lab rejected, or could not read, does not count: its members are swabbed again.
            models.UniqueConstraint(fields=["campaign", "round", "person"], condition=Q(pooled=True, voided=False),
                                    name="labs_swab_one_pool_per_round"),
            models.CheckConstraint(condition=Q(voided=True, outcome__in=VOIDING_OUTCOMES)
                                   | (Q(voided=False) & ~Q(outcome__in=VOIDING_OUTCOMES)),
                                   name="labs_swab_voided_follows_outcome"),
            models.CheckConstraint(condition=Q(retest_due=True, outcome__in=RETEST_OUTCOMES,
                                               retest_done=False)
                                   | (Q(retest_due=False) & ~Q(outcome__in=RETEST_OUTCOMES,
                                                              retest_done=False)),
                                   name="labs_swab_retest_due_follows_outcome"),
        ]
        indexes = [
            models.Index(fields=["person"], name="labs_swab_person"),
            # The re-tests due, only: a result file turning 250,000 swabs negative does not touch it.
            models.Index(fields=["retest_due"], name="labs_swab_retest", condition=Q(retest_due=True)),
            # Deleting swabs (a tube removed, old data purged) checks who re-tests them: without an index,
            # one scan of the whole table per deleted swab. Partial: almost every swab re-tests nobody.
            models.Index(fields=["retest_of"], condition=Q(retest_of__isnull=False), name="labs_swab_retest_of"),
        ]

    def __str__(self) -> str:
        return f"{self.sample.code} · {self.person_id}"

    @staticmethod
    def flags(outcome: str, *, retest_done: bool = False) -> dict[str, bool]:
        """voided and retest_due as the constraints above require them for this outcome."""
        return {"voided": outcome in VOIDING_OUTCOMES, "retest_due": outcome in RETEST_OUTCOMES and not retest_done}


class ColumnMapping(BaseModel):
    """How one laboratory's result file is laid out, mapped once: which heading holds the sample code, the
    result, the Ct value and the test time, and which words mean positive or negative."""

    laboratory = models.ForeignKey(Laboratory, on_delete=models.CASCADE, related_name="column_mappings")
    name = models.CharField(_("name"), max_length=100)
    columns = models.JSONField(_("columns"), default=dict)  # field → heading in the file
    result_words = models.JSONField(_("result words"), default=dict)  # folded word → Result
    date_format = models.CharField(_("date format"), max_length=40, blank=True)  # blank: common formats
    header_row = models.PositiveSmallIntegerField(_("header row"), default=1)

    class Meta:
        ordering = ["laboratory", "name"]
        verbose_name = _("result file layout")
        constraints = [models.UniqueConstraint(fields=["laboratory", "name"], name="labs_mapping_name_once")]

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    APPLIED = "applied", _("imported")
    FAILED = "failed", _("refused: nothing imported")


class ResultImport(BaseModel):
    """One result file applied (or refused, kept with its row errors for the report). The same file (same
    content) imported again changes nothing."""

    laboratory = models.ForeignKey(Laboratory, on_delete=models.PROTECT, related_name="imports")
    mapping = models.ForeignKey(ColumnMapping, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.APPLIED)
    released = models.BooleanField(_("results released"), default=True)  # False: entered as tested, released later
    rows = models.PositiveIntegerField(default=0)
    applied = models.PositiveIntegerField(default=0)
    positives = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict)  # counts: negative, positive, retest, cases, linked, unchanged, notified
    errors = models.JSONField(default=list)  # refused files: [row, column, message], the first MAX_KEPT_ERRORS
    error_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["laboratory", "sha256"], condition=Q(status="applied"),
                                               name="labs_import_file_once")]
        indexes = [models.Index(fields=["laboratory", "created_at"], name="labs_import_lab")]


class ResultCorrection(BaseModel):
    """A released result changed afterwards: never silently, always with a reason (created_by: who)."""

    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="corrections")
    previous_result = models.CharField(max_length=12, choices=Result.choices, blank=True)
    previous_ct = models.FloatField(null=True, blank=True)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    ct_value = models.FloatField(_("Ct value"), null=True, blank=True)
    reason = models.CharField(_("reason for the correction"), max_length=300)

    class Meta:
        ordering = ["sample", "-created_at"]
        verbose_name = _("result correction")


class ResultStat(models.Model):
    """Released results counted ahead, per local day (or hour of a day not over yet), laboratory and commune of
    residence, in individual-equivalent results (see lachan.labs.dashboard.stats): what the dashboard and the
    pool size advice read instead of every swab."""

    ALL_DAY = 24  # `hour` of a row counting the whole day

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    laboratory = models.ForeignKey(Laboratory, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                   db_index=False)
    commune = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="+", db_index=False)
    tests = models.PositiveIntegerField(default=0)
    positives = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "hour"], name="labs_resultstat_day")]


class ResultStatPeriod(models.Model):
    """A day (hour ALL_DAY) or an hour whose results are counted in ResultStat, and when they were."""

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    counted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "hour"], name="labs_resultstat_period_once")]
