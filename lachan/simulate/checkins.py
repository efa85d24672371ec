"""Synthetic venue check-ins and proximity encounters over the synthetic province (issue 3).

Deterministic for a seed: people and venues are read in id order and every draw comes from seeded
streams. Rows are produced day by day from small precomputed tables and streamed to `bulk_copy`
(COPY on PostgreSQL, executemany on SQLite), with the check-in indexes dropped during a big load and
built once afterwards, so 20,000,000 check-ins take minutes, not hours.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils.translation import gettext as _

from lachan.core.db import bulk_copy, is_sqlite
from lachan.core.errors import DomainError
from lachan.people.models import Person
from lachan.tracing.models import ProximityDevice, ProximityEncounter
from lachan.venues.models import CheckIn, Venue, VenueSize
from lachan.venues.policy import checkin_rules

from . import data
from .province import DEFAULT_AS_OF, SYNTH_ID_LIMIT, SimulateErrorCode
from .province.bulk import _bulk_mode, _cols, _indexes_rebuilt
from .province.common import _IdMaker

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# Visits for errands and leisure, by venue kind: (weight, earliest hour, latest hour of arrival).
LEISURE = {
    "cafe": (26, 6, 21), "restaurant": (18, 10, 20), "market": (16, 5, 10), "supermarket": (10, 8, 20),
    "barber": (4, 8, 19), "pharmacy": (6, 7, 20), "religious": (4, 5, 19), "karaoke": (3, 18, 22),
    "gym": (3, 5, 20), "clinic": (3, 7, 17), "other": (6, 7, 20), "bus_station": (1, 5, 18),
    "hospital": (1, 7, 15),
}
OFFICE_OCC = {"Công chức", "Nhân viên văn phòng"}
HEALTH_OCC = {"Nhân viên y tế"}
TEACHER_OCC = {"Giáo viên"}
CHECKOUT_MISSING = 0.35  # share of visits where nobody scans out: the default stay is assumed
STAY_SIGMA = 0.35  # log-normal spread of actual stays around the kind's typical stay


class CheckinErrorCode:
    NO_PROVINCE = "simulate_no_province"
    BAD_DAYS = "simulate_bad_days"


@dataclass
class CheckinReport:
    checkins: int = 0
    devices: int = 0
    encounters: int = 0
    seconds: float = 0.0
    start: datetime | None = None
    end: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)


def window_of(*, days: int, end: date) -> tuple[datetime, datetime]:
    """The simulated period: `days` whole local days ending the day before `end`."""
    stop = datetime(end.year, end.month, end.day, tzinfo=LOCAL)
    return stop - timedelta(days=days), stop


class _Minutes:
    """Database-ready text for minute n after the start: computed once per minute, not per row."""

    def __init__(self, start: datetime, span: int):
        base = start.astimezone(UTC).replace(tzinfo=None)
        fmt = "%Y-%m-%d %H:%M:%S" if is_sqlite() else "%Y-%m-%d %H:%M:%S+00"
        self.text = [(base + timedelta(minutes=m)).strftime(fmt) for m in range(span)]


def synthetic_checkins_delete() -> None:
    for model, column in ((CheckIn, "person_id"), (ProximityDevice, "person_id")):
        model.objects.filter(**{f"{column}__lt": SYNTH_ID_LIMIT})._raw_delete(model.objects.db)
    ProximityEncounter.objects.filter(reporter_id__lt=SYNTH_ID_LIMIT)._raw_delete(ProximityEncounter.objects.db)


def checkins_generate(
    *, seed: int, days: int = 21, end: date = DEFAULT_AS_OF, device_share: float = 0.3, fresh: bool = False,
    log=None,
) -> CheckinReport:
    """Check-ins of the synthetic people at the synthetic venues over `days` days before `end`, and
    proximity encounters between the phones of a `device_share` of them. One transaction."""
    log = log or (lambda msg: None)
    started = time.monotonic()
    if not 1 <= days <= 60:
        raise DomainError(CheckinErrorCode.BAD_DAYS, _("The number of days must be between 1 and 60."), field="days")
    people = list(Person.objects.filter(id__lt=SYNTH_ID_LIMIT).order_by("id").values_list(
        "id", "birth_year", "occupation", "commune_id", "household_id"))
    venues = list(Venue.objects.filter(id__lt=SYNTH_ID_LIMIT).order_by("id").values_list(
        "id", "kind", "size", "place__commune_id"))
    if not people or not venues:
        raise DomainError(CheckinErrorCode.NO_PROVINCE, _("Generate the synthetic province first (simulate_province)."))
    if (CheckIn.objects.filter(person_id__lt=SYNTH_ID_LIMIT).exists()
            or ProximityDevice.objects.filter(person_id__lt=SYNTH_ID_LIMIT).exists()) and not fresh:
        raise DomainError(SimulateErrorCode.ALREADY_GENERATED,
                          _("Synthetic check-ins are already in the database; use --fresh to replace them."))
    start, stop = window_of(days=days, end=end)
    rules = checkin_rules(start.date())
    gen = _CheckinGenerator(seed=seed, people=people, venues=venues, days=days, start=start, rules=rules,
                            device_share=device_share)
    report = CheckinReport(start=start, end=stop)
    with _bulk_mode(), transaction.atomic():
        if fresh:
            synthetic_checkins_delete()
        table = CheckIn._meta.db_table
        columns = _cols(CheckIn, ["venue", "person", "checked_in_at", "checked_out_at", "checkout_assumed", "source",
                                  "client_key"])
        with _indexes_rebuilt(table, rows=len(people) * days):
            report.checkins = bulk_copy(table, columns, gen.checkins(log))
            log(f"Wrote {report.checkins:,} check-ins ({time.monotonic() - started:.1f} s); building their indexes…")
        devices = gen.devices()
        report.devices = bulk_copy(ProximityDevice._meta.db_table, _cols(ProximityDevice, [
            "id", "created_at", "changed_at", "person", "anonymous_id", "consent_given_at"]), devices)
        report.encounters = bulk_copy(ProximityEncounter._meta.db_table, _cols(ProximityEncounter, [
            "reporter", "other_id", "started_at", "duration_minutes", "distance_m", "uploaded_at"]), gen.encounters())
    with connection.cursor() as cursor:
        for model in (CheckIn, ProximityDevice, ProximityEncounter):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    report.seconds = time.monotonic() - started
    report.counts = {"checkins": report.checkins, "proximity_devices": report.devices,
                     "proximity_encounters": report.encounters}
    return report


class _CheckinGenerator:
    def __init__(self, *, seed, people, venues, days, start, rules, device_share):
        self.seed = seed
        self.days = days
        self.start = start
        self.rules = rules
        self.max_stay = rules.max_stay_minutes
        self.minutes = _Minutes(start, days * 1440 + self.max_stay + 1440)
        self.rng = random.Random(f"{seed}:checkins")
        self.person_hex = [p[0].hex for p in people]
        self.venue_hex = [v[0].hex for v in venues]
        self.venue_kind = [v[1] for v in venues]
        self.venue_small = [v[2] == VenueSize.SMALL_ENCLOSED for v in venues]
        self.typical = {kind: rules.stay_minutes(kind) for kind in {v[1] for v in venues}}
        by_commune_kind: dict[tuple, list[int]] = defaultdict(list)
        by_kind: dict[str, list[int]] = defaultdict(list)
        for i, (_id, kind, _size, commune) in enumerate(venues):
            by_commune_kind[(commune, kind)].append(i)
            by_kind[kind].append(i)
        rng = random.Random(f"{seed}:checkin-profiles")
        as_of_year = (start + timedelta(days=days)).year
        kinds = list(LEISURE)
        kind_weights = [LEISURE[k][0] for k in kinds]

        def near(commune, kind):
            local = by_commune_kind.get((commune, kind))
            if local and rng.random() < 0.85:
                return rng.choice(local)
            anywhere = by_kind.get(kind)
            return rng.choice(anywhere) if anywhere else None

        # Per person: a workplace-like venue (or none), a few favourite places, visits a day.
        self.work: list[int | None] = []
        self.favourites: list[list[int]] = []
        self.rate: list[float] = []
        for _id, birth_year, occ, commune, _hh in people:
            age = as_of_year - (birth_year or as_of_year - 30)
            work = None
            if occ == data.OCC_PUPIL or occ in TEACHER_OCC:
                work = near(commune, "school")
            elif occ in OFFICE_OCC:
                work = near(commune, "office")
            elif occ in HEALTH_OCC:
                work = near(commune, "clinic" if rng.random() < 0.5 else "hospital")
            elif occ == data.OCC_STUDENT:
                work = near(commune, "school") if rng.random() < 0.5 else None
            self.work.append(work)
            favs = []
            for kind in rng.choices(kinds, kind_weights, k=4):
                v = near(commune, kind)
                if v is not None:
                    favs.append(v)
            self.favourites.append(favs)
            # Errand visits a day: few for small children, most for working-age adults.
            self.rate.append(0.15 if age < 6 else 0.35 if age < 18 else 0.72 if age < 65 else 0.55)
        self.household = [p[4] for p in people]
        drng = random.Random(f"{seed}:devices")
        self.has_device = [(p[1] is None or as_of_year - p[1] >= 14) and drng.random() < device_share for p in people]
        self.device_ids = _IdMaker(seed, "proximity_device")
        self.anon = [drng.randbytes(12).hex() if d else "" for d in self.has_device]
        self.copresent: list[tuple[int, int, int, int]] = []  # (reporter, other, start minute, minutes)

    def stay(self, kind: str) -> tuple[int, int, bool]:
        """(actual stay, recorded stay, check-out assumed) in minutes."""
        typical = self.typical.get(kind, 60)
        actual = max(5, min(self.max_stay, int(typical * math.exp(self.rng.gauss(0, STAY_SIGMA)))))
        if self.rng.random() < CHECKOUT_MISSING:
            return actual, typical, True
        return actual, actual, False

    def checkins(self, log):
        rng = self.rng
        text = self.minutes.text
        ph, vh, vkind = self.person_hex, self.venue_hex, self.venue_kind
        for day in range(self.days):
            base = day * 1440
            weekday = (self.start + timedelta(days=day)).weekday()
            working = weekday < 5
            present: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # venue → device holders' stays
            for p in range(len(ph)):
                visits = 0
                work = self.work[p]
                if work is not None and working and rng.random() < 0.85:
                    kind = vkind[work]
                    arrive = base + 420 + int(rng.random() * 90)
                    actual, recorded, assumed = self.stay(kind)
                    visits += 1
                    yield (vh[work], ph[p], text[arrive], text[arrive + recorded], assumed, "qr", "")
                    if self.has_device[p]:
                        present[work].append((p, arrive, arrive + actual))
                favs = self.favourites[p]
                if not favs:
                    continue
                r = self.rate[p]
                n = (rng.random() < r) + (rng.random() < r * 0.3) + (rng.random() < r * 0.08)
                for _k in range(min(n, 3 - visits)):
                    v = favs[int(rng.random() * len(favs))]
                    kind = vkind[v]
                    _w, lo, hi = LEISURE.get(kind, (0, 8, 20))
                    arrive = base + lo * 60 + int(rng.random() * (hi - lo) * 60)
                    actual, recorded, assumed = self.stay(kind)
                    yield (vh[v], ph[p], text[arrive], text[arrive + recorded], assumed, "qr", "")
                    if self.has_device[p]:
                        present[v].append((p, arrive, arrive + actual))
            self._encounters_at_venues(present)
            log(f"  day {day + 1}/{self.days}")

    def _encounters_at_venues(self, present):
        """Phones of people at the same venue at the same time see each other: everyone nearby in a small
        room, a couple of people in a large space."""
        rng = random.Random(f"{self.seed}:copresence:{len(self.copresent)}")
        for v, stays in present.items():
            if len(stays) < 2:
                continue
            stays.sort(key=lambda s: s[1])
            small = self.venue_small[v]
            for i, (p, a0, a1) in enumerate(stays):
                partners = stays[i + 1:] if small else rng.sample(stays[i + 1:], min(2, len(stays) - i - 1))
                for q, b0, b1 in partners:
                    if b0 >= a1:
                        if small:
                            break
                        continue
                    overlap = min(a1, b1) - max(a0, b0)
                    if overlap >= 5 and q != p and rng.random() < (0.8 if small else 0.3):
                        self.copresent.append((p, q, max(a0, b0), overlap))

    def devices(self):
        consent = self.minutes.text[0]
        self.device_hex = {}
        for p, has in enumerate(self.has_device):
            if has:
                did = self.device_ids()
                self.device_hex[p] = did
                yield (did, consent, consent, self.person_hex[p], self.anon[p], consent)

    def encounters(self):
        rng = random.Random(f"{self.seed}:encounters")
        text = self.minutes.text
        seen = set()
        upload = text[self.days * 1440]
        households = defaultdict(list)
        for p, has in enumerate(self.has_device):
            if has and self.household[p] is not None:
                households[self.household[p]].append(p)
        for members in households.values():  # evenings at home, every day
            for i, p in enumerate(members):
                for q in members[i + 1:]:
                    for day in range(self.days):
                        at = day * 1440 + 18 * 60 + int(rng.random() * 120)
                        yield (self.device_hex[p], self.anon[q], text[at], 120 + int(rng.random() * 120),
                               round(0.5 + rng.random(), 1), upload)
        for p, q, at, minutes in self.copresent:
            key = (p, q, at)
            if key in seen:
                continue
            seen.add(key)
            yield (self.device_hex[p], self.anon[q], text[at], minutes, round(0.5 + rng.random() * 3.5, 1), upload)
