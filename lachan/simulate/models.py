from django.db import models


class SyntheticRun(models.Model):
    """One generation of the synthetic province, so a re-run with the same seed and size is skipped
    and `--fresh` knows what to remove."""

    seed = models.BigIntegerField()
    people = models.PositiveIntegerField()
    tree = models.CharField(max_length=4)
    province_code = models.CharField(max_length=10)
    as_of = models.DateField()
    counts = models.JSONField(default=dict)
    seconds = models.FloatField(default=0)
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"seed {self.seed}, {self.people} people, {self.tree}/{self.province_code}"
