from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .ids import uuid7


class BaseModel(models.Model):
    """Every domain record: a time-ordered uuid, and who created and last changed it, when."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    # No index: these are shown, not searched, and indexes slow bulk imports down.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False, editable=False,
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False, editable=False,
    )

    class Meta:
        abstract = True


class ScheduledRun(models.Model):
    """One row per run of a periodic job and period, so a job runs once even with several workers."""

    job = models.CharField(max_length=100)
    period = models.CharField(max_length=32)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    detail = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="core_scheduledrun_once")]
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"


class TaskRetry(models.Model):
    """A failed run of a retryable background task, handled (core.task_retries): queued again as retry_result_id,
    or given up (no retry). `attempt`: which run of the work failed (1: the first)."""

    failed_result_id = models.UUIDField(unique=True)
    task_path = models.CharField(max_length=200)
    attempt = models.PositiveSmallIntegerField()
    retry_result_id = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.task_path} #{self.attempt}"


class WorkerBeat(models.Model):
    """A background worker's sign of life (core.workers): written every few seconds while it runs, so a task left
    RUNNING by a worker that stopped beating (killed, out of memory, its machine gone) is known to be lost."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=100, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.worker_id


class Policy(models.Model):
    """One version of a government rule set (see core.policies)."""

    kind = models.CharField(_("kind"), max_length=40)
    version = models.CharField(_("version"), max_length=80)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    rules = models.JSONField(_("rules"))
    source = models.CharField(_("legal source"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Every save moves it: with the count of versions, the stamp other processes compare (core.policies).
    changed_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="core_policy_version")]
        indexes = [models.Index(fields=["kind", "valid_from"])]
        ordering = ["kind", "-valid_from"]
        verbose_name = _("policy version")

    def __str__(self) -> str:
        return f"{self.kind} {self.version}"


class CacheEntry(models.Model):
    """The table of Django's database cache (settings CACHES, core.cache.AtomicDatabaseCache), as
    `manage.py createcachetable` makes it: created by `migrate`, emptied between tests like any table."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "lachan_cache"
