"""Pool size advice (issue 4, item 5): per commune, the recent positivity rate and the pool size that
minimises the tests used per person, by Dorfman's two-stage pooling (Dorfman 1943): a pool of k swabs is
tested once and, when positive, each of its k members is tested alone, so the expected tests per person are

    E(k) = 1/k + 1 − (1 − p)^k

for a positivity rate p. The advice is the k of the policy's range (min_pool_size..max_pool_size, Decision
3486/QĐ-BYT: 2–10) with the smallest E(k), the smallest such k on a tie (smaller pools dilute less); when even
that k gives E(k) ≥ 1, pooling saves nothing and the advice is individual testing (from p ≈ 0.31 for pools of
2–10). The kits saved per 1,000 people are 1000 · (1 − E(k)) against one test each.

The positivity rate p of a commune (its residents, Person.commune) is counted in individual-equivalent
results released over the policy's `positivity_days` (from local midnight `positivity_days − 1` days ago):
each person's own outcome (Swab.outcome, derived from the tube's result) —

- an individual sample's negative or positive result counts as one test (re-tests of pool members included);
- a negative pool counts each of its members as a negative test;
- a positive pool's members are not counted from the pool (the pool says someone is positive, not who): they
  count through their individual re-tests once those are released. Until then they are left out, which
  under-estimates p a little while re-tests are pending;
- inconclusive, invalid and rejected tubes, and results not yet released, do not count.

So p = individual positives / (individual results + members of negative pools). With fewer than MIN_TESTS
such results in a commune, its rate is too noisy: the province's rate is used instead, labelled as such (and
with fewer than MIN_TESTS in the whole province there is no advice). The counts per commune and day are kept
ahead (lachan.labs.dashboard.stats), so a province-wide table sums a few thousand rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from lachan.accounts.actors import is_person, is_system
from lachan.accounts.jurisdiction import scope_for
from lachan.geo.models import AdminLevel, AdminUnit

from ..policy import lab_rules
from . import stats

MIN_TESTS = 50
PER = 1000  # kits saved per this many people


# ---- Dorfman ---------------------------------------------------------------------------------------------

def tests_per_person(p: float, k: int) -> float:
    """Expected tests per person with pools of k (k = 1: individual testing, one test each)."""
    if k <= 1:
        return 1.0
    return 1 / k + 1 - (1 - p) ** k


def best_pool_size(p: float, *, min_size: int = 2, max_size: int = 10) -> int | None:
    """The pool size in min_size..max_size with the fewest expected tests per person; None when no pool size
    beats individual testing (E ≥ 1)."""
    if not 0 <= p <= 1:
        raise ValueError(f"a positivity rate is between 0 and 1, not {p}")
    best = min(range(max(2, min_size), max(2, max_size) + 1), key=lambda k: (tests_per_person(p, k), k))
    return best if tests_per_person(p, best) < 1 else None


def kits_saved(p: float, k: int | None, people: int = PER) -> int:
    """Test kits saved for `people` people with pools of k instead of one test each."""
    return 0 if k is None else round(people * (1 - tests_per_person(p, k)))


# ---- positivity ------------------------------------------------------------------------------------------

def first_day(days: int, today: date | None = None) -> date:
    """The first day of a window of `days` calendar days ending today."""
    return (today or timezone.localdate()) - timedelta(days=days - 1)


def positivity_by_commune(*, first_day: date, laboratory_id=None, commune_ids=None) -> dict[int, tuple[int, int]]:
    """commune id (residence) → (tests, positives) released from local midnight of `first_day` (counted ahead:
    lachan.labs.dashboard.stats)."""
    return stats.result_counts(first_day=first_day, by="commune", laboratory_id=laboratory_id,
                               commune_ids=commune_ids)


def province_positivity(days: int, today: date | None = None) -> dict[int, tuple[int, int]]:
    """Every commune's counts over the last `days` days."""
    return positivity_by_commune(first_day=first_day(days, today))


# ---- the advice ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Advice:
    tests: int
    positives: int
    rate: float | None  # the rate the advice used (the commune's or the province's), None: too few results
    source: str  # "commune", "province" (too few results in the commune) or "none" (too few anywhere)
    pool_size: int | None  # None: individual testing (or no advice when source is "none")
    per_person: float | None  # expected tests per person with that pool size
    saved: int  # kits saved per 1,000 people

    @property
    def individual(self) -> bool:
        return self.source != "none" and self.pool_size is None

    @property
    def percent(self) -> float | None:
        """The rate used, in %."""
        return None if self.rate is None else 100 * self.rate

    @property
    def own_percent(self) -> float | None:
        """The commune's own rate in %, however few its results."""
        return 100 * self.positives / self.tests if self.tests else None


@dataclass(frozen=True)
class CommuneAdvice:
    commune: AdminUnit
    advice: Advice


@dataclass(frozen=True)
class AdviceTable:
    rows: list[CommuneAdvice]
    province: Advice
    days: int
    min_size: int
    max_size: int
    min_tests: int = MIN_TESTS


def advise(tests: int, positives: int, *, fallback: Advice | None, min_size: int, max_size: int) -> Advice:
    if tests >= MIN_TESTS:
        rate, source = positives / tests, "commune" if fallback is not None else "province"
    elif fallback is not None and fallback.rate is not None:
        rate, source = fallback.rate, "province"
    else:
        return Advice(tests, positives, None, "none", None, None, 0)
    k = best_pool_size(rate, min_size=min_size, max_size=max_size)
    return Advice(tests, positives, rate, source, k, tests_per_person(rate, k or 1), kits_saved(rate, k))


def advice_table(communes, *, today: date | None = None) -> AdviceTable:
    """The advice for each of these communes (in the order given) and for the province."""
    rules = lab_rules(today)
    days, low, high = rules["positivity_days"], rules["min_pool_size"], rules["max_pool_size"]
    counts = province_positivity(days, today)
    tests = sum(t for t, _p in counts.values())
    positives = sum(p for _t, p in counts.values())
    province = advise(tests, positives, fallback=None, min_size=low, max_size=high)
    rows = [CommuneAdvice(c, advise(*counts.get(c.pk, (0, 0)), fallback=province, min_size=low, max_size=high))
            for c in communes]
    return AdviceTable(rows=rows, province=province, days=days, min_size=low, max_size=high)


def communes_of(unit: AdminUnit | None):
    """The communes of a unit (itself, for a commune); the deployment's province's for None."""
    queryset = AdminUnit.objects.filter(level=AdminLevel.COMMUNE).select_related("parent")
    if unit is None:
        path = f"{settings.LACHAN_ADMIN_TREE}/{settings.LACHAN_PROVINCE_CODE}"
        return queryset.filter(path__startswith=path + "/").order_by("path")
    return queryset.filter(Q(pk=unit.pk) | Q(path__startswith=unit.path + "/")).order_by("path")


def communes_for(user):
    """Whose advice a user reads: the communes of their unit; laboratory and other place staff, the province's
    (figures, no personal data); nobody (None, anonymous) none."""
    if not (is_system(user) or is_person(user)):
        return AdminUnit.objects.none()
    scope = scope_for(user)
    if scope.kind == "unit":
        return communes_of(AdminUnit.objects.get(pk=scope.unit_id))
    return communes_of(None)
