"""A simulated outbreak over the synthetic province's households, check-ins and proximity encounters.

The truth the tracing is measured against: every transmission (infector, infectee, channel, time) is
recorded in memory. Infections spread in time order (a heap of candidate infections, the earliest
wins), so a person is infected once, by the first exposure that succeeds. Deterministic for a seed.

Model (minutes since the start of the check-in period):
- incubation log-normal (median ≈ 5 days, at least 3); infectious from 48 h before onset (the
  platform's policy assumes 2 days) until isolation, or 8 days after onset if never isolated;
- household: a constant daily hazard while infectious; venues: 1 − exp(−β·overlap minutes), β much
  higher in a small enclosed room than in a large space; proximity: the same with β by distance;
- a share of the infected is detected: sample 0–3 days after onset, confirmed the next day, isolated
  at confirmation. Someone infected through a traced channel by a case confirmed before them is
  quarantined from that confirmation: more often detected, "detected in quarantine", and no longer
  transmitting outside the household.

Limitations (said in docs/benchmarks.md): exposures are those of the recorded check-ins (an assumed
check-out counts as the real stay); people without a check-in are not exposed at venues.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from lachan.people.models import Person
from lachan.tracing.models import ProximityDevice, ProximityEncounter
from lachan.venues.models import CheckIn, Venue, VenueSize

from .province import SYNTH_ID_LIMIT

HOUSEHOLD, SMALL_VENUE, LARGE_VENUE, PROXIMITY, INDEX = "household", "small_venue", "large_venue", "proximity", "index"
TRACED = (HOUSEHOLD, SMALL_VENUE, PROXIMITY)
DAY = 1440


@dataclass(frozen=True)
class Params:
    index_infections: int = 10
    household_daily: float = 0.05
    beta_small: float = 0.0006  # per minute together in a small enclosed room
    beta_large: float = 0.00003  # per minute in the same large space
    beta_near: float = 0.004  # phones within 2 m
    beta_far: float = 0.0008
    detect: float = 0.6
    detect_quarantined: float = 0.95
    infectious_before_onset: int = 2 * DAY
    infectious_after_onset: int = 8 * DAY


@dataclass(frozen=True)
class Transmission:
    infector: UUID | None
    infectee: UUID
    channel: str
    at: datetime
    venue: UUID | None = None


@dataclass
class Infection:
    person: UUID
    infected_at: datetime
    onset_at: datetime
    infectious_from: datetime
    infectious_to: datetime
    confirmed_at: datetime | None = None  # None: never detected (within the period)
    sample_at: datetime | None = None
    in_quarantine: bool = False


@dataclass
class Outbreak:
    start: datetime
    end: datetime
    transmissions: list[Transmission] = field(default_factory=list)
    infections: dict[UUID, Infection] = field(default_factory=dict)

    def confirmed(self) -> list[Infection]:
        return sorted((i for i in self.infections.values() if i.confirmed_at is not None and i.confirmed_at < self.end),
                      key=lambda i: i.confirmed_at)


def _minutes(at: datetime, start: datetime) -> int:
    return int((at - start).total_seconds() // 60)


def outbreak_simulate(*, seed: int, start: datetime, end: datetime, params: Params | None = None,
                      people_filter=None) -> Outbreak:
    """Simulate over the synthetic people (or `people_filter`, a Person queryset filter) between start
    and end, from a few index infections in the first days."""
    rng = random.Random(f"{seed}:outbreak")
    contacts = _contacts_load(start, end, people_filter)
    return _Spread(contacts=contacts, params=params or Params(), rng=rng, start=start, end=end).run()


@dataclass
class _Contacts:
    """Who meets whom: people as row numbers of `people`, times in minutes since the start."""

    people: list[tuple[UUID, UUID | None]]  # (person, household)
    household: list[UUID | None]  # by row number
    members: dict[UUID, list[int]]  # household → its people
    small: dict[UUID, bool]  # venue → a small enclosed room
    by_venue: dict[UUID, list[tuple[int, int, int]]]  # venue → (arrival, departure, person), by arrival
    arrivals: dict[UUID, list[int]]  # venue → the arrivals of by_venue
    own: dict[int, list[tuple[UUID, int, int]]]  # person → (venue, arrival, departure)
    longest: int  # the longest stay
    near: dict[int, list[tuple[int, int, int, float]]]  # person → (other, start, minutes, metres)


def _contacts_load(start: datetime, end: datetime, people_filter) -> _Contacts:
    qs = Person.objects.filter(**(people_filter or {"id__lt": SYNTH_ID_LIMIT})).order_by("id")
    people = list(qs.values_list("id", "household_id"))
    index = {pid: i for i, (pid, _h) in enumerate(people)}
    members = defaultdict(list)
    for i, (_pid, hid) in enumerate(people):
        if hid is not None:
            members[hid].append(i)
    small = {v: s == VenueSize.SMALL_ENCLOSED for v, s in Venue.objects.values_list("id", "size")}
    by_venue, own, longest = _checkins_load(start, end, index)
    return _Contacts(
        people=people, household=[hid for _pid, hid in people], members=members, small=small, by_venue=by_venue,
        arrivals={vid: [v[0] for v in visits] for vid, visits in by_venue.items()}, own=own, longest=longest,
        near=_encounters_load(start, end, index))


def _checkins_load(start: datetime, end: datetime, index: dict[UUID, int]):
    """Check-ins by venue sorted by arrival, each person's own, and the longest stay."""
    by_venue: dict[UUID, list[tuple[int, int, int]]] = defaultdict(list)
    own: dict[int, list[tuple[UUID, int, int]]] = defaultdict(list)
    longest = 0
    for vid, pid, cin, cout in CheckIn.objects.filter(checked_in_at__gte=start, checked_in_at__lt=end).values_list(
            "venue_id", "person_id", "checked_in_at", "checked_out_at").iterator(chunk_size=20000):
        p = index.get(pid)
        if p is None:
            continue
        a, b = _minutes(cin, start), _minutes(cout, start)
        by_venue[vid].append((a, b, p))
        own[p].append((vid, a, b))
        longest = max(longest, b - a)
    for visits in by_venue.values():
        visits.sort()
    return by_venue, own, longest


def _encounters_load(start: datetime, end: datetime, index: dict[UUID, int]):
    """Proximity encounters, both ways: person → (other, start, minutes, metres)."""
    near: dict[int, list[tuple[int, int, int, float]]] = defaultdict(list)
    raw = list(ProximityEncounter.objects.filter(started_at__gte=start, started_at__lt=end).values_list(
        "reporter__person_id", "other_id", "started_at", "duration_minutes", "distance_m"))
    if raw:
        anon = dict(ProximityDevice.objects.filter(anonymous_id__in={r[1] for r in raw}).values_list(
            "anonymous_id", "person_id"))
        for rp, op, at, minutes, dist in raw:
            a, b = index.get(rp), index.get(anon.get(op))
            if a is None or b is None:
                continue
            m = _minutes(at, start)
            near[a].append((b, m, minutes, dist))
            near[b].append((a, m, minutes, dist))
    return near


class _Spread:
    """Infections in time order: a heap of candidate infections (minute, person, source, channel, venue), the
    earliest wins. Every draw comes from one seeded stream, in this order: reordering them changes the outbreak
    of a seed."""

    def __init__(self, *, contacts: _Contacts, params: Params, rng: random.Random, start: datetime, end: datetime):
        self.c, self.params, self.rng, self.start = contacts, params, rng, start
        self.horizon = _minutes(end, start)
        self.out = Outbreak(start=start, end=end)
        self.state: dict[int, Infection] = {}
        self.heap: list[tuple[int, int, int, str, UUID | None]] = []

    def run(self) -> Outbreak:
        rng, n = self.rng, len(self.c.people)
        for p in rng.sample(range(n), min(self.params.index_infections, n)):
            heapq.heappush(self.heap, (int(rng.random() * 2 * DAY), p, -1, INDEX, None))
        while self.heap:
            t, p, source, channel, venue = heapq.heappop(self.heap)
            if p in self.state:
                continue
            inf_from, inf_to, out_to = self._infect(t, p, source, channel, venue)
            self._household(p, inf_from, inf_to)
            self._venues(p, inf_from, out_to)
            self._proximity(p, inf_from, out_to)
        return self.out

    def _at(self, m: int) -> datetime:
        return self.start + timedelta(minutes=m)

    def _offer(self, t, target, source, channel, venue=None, *, lo, hi):
        if target in self.state or not (lo <= t < hi) or t >= self.horizon:
            return
        heapq.heappush(self.heap, (t, target, source, channel, venue))

    def _infect(self, t, p, source, channel, venue) -> tuple[int, int, int]:
        """Person p infected at minute t: onset, infectious period, detection. Returns the infectious period and
        when it ends outside the household (a quarantined person no longer meets anyone)."""
        params, rng, at = self.params, self.rng, self._at
        incubation = max(3 * DAY, int(math.exp(rng.gauss(math.log(5 * DAY), 0.4))))
        onset = t + incubation
        inf_from = onset - params.infectious_before_onset
        inf_to = onset + params.infectious_after_onset
        q_at = None
        if source >= 0 and channel in TRACED:
            src = self.state[source]
            if src.confirmed_at is not None:
                q_at = max(_minutes(src.confirmed_at, self.start), t)
        detected = rng.random() < (params.detect_quarantined if q_at is not None else params.detect)
        delay = DAY + int(rng.random() * 3 * DAY)
        confirm = onset + delay if detected else None
        if confirm is not None:
            # Confirmations happen in office hours: 08:00–17:00 local on the day reached.
            confirm = (confirm // DAY) * DAY + 8 * 60 + int(rng.random() * 9 * 60)
            confirm = max(confirm, onset + DAY)
            inf_to = min(inf_to, confirm)
        people = self.c.people
        infection = Infection(
            person=people[p][0], infected_at=at(t), onset_at=at(onset), infectious_from=at(inf_from),
            infectious_to=at(inf_to), confirmed_at=at(confirm) if confirm is not None else None,
            sample_at=at(confirm - DAY) if confirm is not None else None,
            in_quarantine=q_at is not None and confirm is not None and q_at <= confirm,
        )
        self.state[p] = infection
        self.out.infections[infection.person] = infection
        self.out.transmissions.append(Transmission(
            infector=people[source][0] if source >= 0 else None, infectee=infection.person, channel=channel,
            at=at(t), venue=venue))
        return inf_from, inf_to, (min(inf_to, q_at) if q_at is not None else inf_to)

    def _household(self, p, inf_from, inf_to) -> None:
        hid = self.c.household[p]
        if hid is None:
            return
        days = max(0.0, (inf_to - inf_from) / DAY)
        chance = 1 - math.exp(-self.params.household_daily * days)
        rng = self.rng
        for q in self.c.members[hid]:
            if q != p and rng.random() < chance:
                self._offer(inf_from + int(rng.random() * (inf_to - inf_from)), q, p, HOUSEHOLD, lo=inf_from, hi=inf_to)

    def _venues(self, p, inf_from, out_to) -> None:
        c, rng = self.c, self.rng
        for vid, a, b in c.own.get(p, ()):
            lo, hi = max(a, inf_from), min(b, out_to)
            if hi <= lo:
                continue
            is_small = c.small.get(vid, False)
            beta = self.params.beta_small if is_small else self.params.beta_large
            visits = c.by_venue[vid]
            for i in range(bisect_left(c.arrivals[vid], lo - c.longest), len(visits)):
                c_in, c_out, q = visits[i]
                if c_in >= hi:
                    break
                if q == p:
                    continue
                s, e = max(lo, c_in), min(hi, c_out)
                if e <= s:
                    continue
                if rng.random() < 1 - math.exp(-beta * (e - s)):
                    self._offer(s + int(rng.random() * (e - s)), q, p, SMALL_VENUE if is_small else LARGE_VENUE, vid,
                                lo=s, hi=e)

    def _proximity(self, p, inf_from, out_to) -> None:
        household, hid, rng = self.c.household, self.c.household[p], self.rng
        for q, m, minutes, dist in self.c.near.get(p, ()):
            if household[q] is not None and household[q] == hid:
                continue  # at home: the household channel
            s, e = max(m, inf_from), min(m + minutes, out_to)
            if e <= s:
                continue
            beta = self.params.beta_near if dist <= 2.0 else self.params.beta_far
            if rng.random() < 1 - math.exp(-beta * (e - s)):
                self._offer(s + int(rng.random() * (e - s)), q, p, PROXIMITY, lo=s, hi=e)
