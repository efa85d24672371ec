"""How well the platform's tracing finds the true transmissions of a simulated outbreak (issue 3).

The confirmed cases go through the real workflow (confirm → trace → notices), in confirmation order,
each traced at its confirmation time. Then, for every true transmission from a confirmed F0:
- through a traced channel (household, small venue, proximity): was the infectee in that F0's F1 list?
- in a large venue: did the infectee get an exposure notice (or better, an F1) from that F0?
Burden: F1 per F0, and people quarantined (F1) per truly infected person among them.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from uuid import UUID

from django.utils import timezone

from lachan.cases.models import Case, CaseOrigin
from lachan.people.models import Person
from lachan.tracing.models import Contact, Tier
from lachan.workflows.case_confirmation import case_confirm_and_trace

from .outbreak import HOUSEHOLD, LARGE_VENUE, PROXIMITY, SMALL_VENUE, TRACED, Outbreak, Transmission


@dataclass
class Recall:
    found: int = 0
    total: int = 0

    @property
    def value(self) -> float | None:
        return self.found / self.total if self.total else None

    def text(self) -> str:
        return "–" if not self.total else f"{self.value:.3f} ({self.found}/{self.total})"


@dataclass
class Evaluation:
    infections: int = 0
    cases: int = 0
    in_quarantine: int = 0
    recall: dict[str, Recall] = field(default_factory=lambda: defaultdict(Recall))
    f1_total: int = 0
    f2_total: int = 0
    notices_total: int = 0
    f1_people: int = 0
    f1_people_infected: int = 0
    trace_ms: list[float] = field(default_factory=list)
    misses: list[Transmission] = field(default_factory=list)

    @property
    def f1_per_f0(self) -> float:
        return self.f1_total / self.cases if self.cases else 0.0

    @property
    def quarantined_per_infection(self) -> float | None:
        return self.f1_people / self.f1_people_infected if self.f1_people_infected else None

    def rows(self) -> list[tuple[str, str]]:
        r = self.recall
        q = self.quarantined_per_infection
        return [
            ("true infections (incl. index)", f"{self.infections:,}"),
            ("confirmed F0 (traced)", f"{self.cases:,} ({self.in_quarantine} detected in quarantine)"),
            ("recall, household", r[HOUSEHOLD].text()),
            ("recall, small venue", r[SMALL_VENUE].text()),
            ("recall, proximity", r[PROXIMITY].text()),
            ("recall, all traced channels", r["traced"].text()),
            ("exposure-notice recall, large venue", r[LARGE_VENUE].text()),
            ("F1 per F0", f"{self.f1_per_f0:.1f}"),
            ("F2 per F0 / notices per F0", f"{self.f2_total / max(self.cases, 1):.1f} / "
                                           f"{self.notices_total / max(self.cases, 1):.1f}"),
            ("people quarantined (F1) per true infection among them",
             "–" if q is None else f"{q:.1f} ({self.f1_people:,} F1, {self.f1_people_infected:,} infected)"),
        ]


def cases_confirm_and_trace(outbreak: Outbreak, *, by, log=None) -> tuple[dict[UUID, Case], list[float]]:
    """Every detected infection confirmed through the workflow, in confirmation order, each traced as of
    its confirmation."""
    log = log or (lambda msg: None)
    people = Person.objects.in_bulk([i.person for i in outbreak.confirmed()])
    cases: dict[UUID, Case] = {}
    timings = []
    confirmed = outbreak.confirmed()
    for n, infection in enumerate(confirmed, start=1):
        tz = timezone.get_default_timezone()
        onset = infection.onset_at.astimezone(tz).date()
        sample = infection.sample_at.astimezone(tz).date()
        began = time.perf_counter()
        done = case_confirm_and_trace(
            person=people[infection.person], onset_date=onset, sample_date=max(sample, onset),
            origin=CaseOrigin.IN_QUARANTINE if infection.in_quarantine else CaseOrigin.COMMUNITY,
            confirmed_at=infection.confirmed_at, by=by, now=infection.confirmed_at,
        )
        timings.append((time.perf_counter() - began) * 1000)
        cases[infection.person] = done.case
        if n % 25 == 0:
            log(f"  traced {n}/{len(confirmed)} cases")
    return cases, timings


def tracing_evaluate(outbreak: Outbreak, cases: dict[UUID, Case]) -> Evaluation:
    """Compare the contacts written by the platform with the true transmissions."""
    ev = Evaluation(infections=len(outbreak.infections), cases=len(cases))
    ev.in_quarantine = sum(c.origin == CaseOrigin.IN_QUARANTINE for c in cases.values())
    case_ids = {c.pk: person for person, c in cases.items()}
    tiers: dict[tuple[UUID, UUID], int] = {}
    counts = Counter()
    f1_people = set()
    for index_case_id, person_id, tier in Contact.objects.filter(index_case_id__in=list(case_ids)).values_list(
            "index_case_id", "person_id", "tier"):
        tiers[(case_ids[index_case_id], person_id)] = tier
        counts[tier] += 1
        if tier == Tier.F1:
            f1_people.add(person_id)
    ev.f1_total, ev.f2_total, ev.notices_total = counts[Tier.F1], counts[Tier.F2], counts[Tier.NOTICE]
    ev.f1_people = len(f1_people)
    ev.f1_people_infected = sum(p in outbreak.infections for p in f1_people)
    for t in outbreak.transmissions:
        if t.infector not in cases:
            continue
        tier = tiers.get((t.infector, t.infectee))
        if t.channel in TRACED:
            hit = tier == Tier.F1
            for key in (t.channel, "traced"):
                ev.recall[key].total += 1
                ev.recall[key].found += hit
            if not hit:
                ev.misses.append(t)
        elif t.channel == LARGE_VENUE:
            ev.recall[LARGE_VENUE].total += 1
            ev.recall[LARGE_VENUE].found += tier in (Tier.F1, Tier.NOTICE)
    return ev
