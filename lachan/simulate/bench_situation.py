"""The map and dashboard benchmark (issue 6, "the dashboard and the map data p95 ≤ 300 ms each"), run inside child
processes on a database of its own.

generate(): bench_risk's data (the country's 2021 tree, N people and M cases in its largest province, Thanh Hóa,
clusters, entered vaccination inputs), made current — every case and cluster date shifted so that the last case day
is yesterday — and the rest of what the operations centre reads in that province, written straight to the tables:

- clusters recorded (created_at) a day or two after they opened, not all at once by the benchmark;
- places at their commune's centre: a test site per 5 communes, a health station per commune, an essential shop per
  2 communes, a declaration point per 5 communes; 40 quarantine facilities with rooms and beds;
- ~20,000 quarantine and isolation orders in force (the cases of the last 10 days isolated, the rest contacts, at home
  or in a facility room), 30,000 released earlier, and alerts on a third of the orders in force (a few thousand still
  open or acknowledged);
- ~300,000 tubes released over the last 60 days (70 % pools of 5–10, 5 % positive) from a screening campaign per
  commune, with their swabs (each person once per round of a campaign);
- 200 lockdown areas (small squares at commune centres, some ended or lifted);
- the province's risk levels of the last 14 days (lachan.workflows.risk_levels), the laboratory's counts kept ahead
  (as the nightly job leaves them), ANALYZE.

measure(): the dashboard page `/`, /api/operations/summary and /feed, every map layer and the public risk layer,
through Django's test Client (DEBUG off), as a province administrator and as the commune station of the commune
with the most cases; each URL warmed up twice, then N rounds over all the URLs (so the dashboard's per-process caches
of a minute expire now and then, as in use). A response other than 200 fails the run. Target: p95 ≤ 300 ms."""

from __future__ import annotations

import json
import math
import random
import statistics
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.accounts.models import User
from lachan.accounts.roles import Role
from lachan.cases.models import Case, Cluster
from lachan.core.db import bulk_insert, chunked
from lachan.core.models import Policy
from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind
from lachan.labs.models import (
    Campaign,
    CampaignKind,
    Laboratory,
    Result,
    Sample,
    SampleStatus,
    SamplingSite,
    Swab,
    SwabOutcome,
    TestType,
)
from lachan.people.models import Person
from lachan.quarantine.models import Alert, Facility, FacilityRoom, Order

from . import bench, bench_risk

TREE = bench_risk.TREE
TARGET_MS = 300
ACTIVE_ORDERS = 20_000
RELEASED_ORDERS = 30_000
FACILITIES = 40
TUBES = 300_000
TUBE_DAYS = 60
POSITIVE_RATE = 0.05
POOL_SHARE = 0.7
LOCKDOWNS = 200
RISK_DAYS = 14
LAYERS = ("risk", "cases", "test_sites", "health_stations", "quarantine_facilities", "lockdowns", "essential_shops",
          "declaration_points")
USERS = {"province": ("bench-province", Role.PROVINCE_ADMIN), "commune": ("bench-commune", Role.COMMUNE_STATION)}


# ---- generate ---------------------------------------------------------------------------------------------------

def _province_communes(province: AdminUnit) -> list[dict]:
    """The province's communes with a centre (their own, else their district's or the province's)."""
    units = {u["id"]: u for u in AdminUnit.objects.filter(tree=TREE, path__startswith=province.path + "/")
             .values("id", "parent_id", "level", "code", "name", "latitude", "longitude", "population")}
    out = []
    for unit in units.values():
        if unit["level"] != AdminLevel.COMMUNE:
            continue
        up = unit
        while up is not None and up["latitude"] is None:
            up = units.get(up["parent_id"])
        lat, lon = (up["latitude"], up["longitude"]) if up else (province.latitude, province.longitude)
        out.append({**unit, "latitude": lat, "longitude": lon})
    return sorted(out, key=lambda u: u["code"])


def _make_current(yesterday: date) -> int:
    """Shift every case's and cluster's dates so that the last case day is yesterday; returns the shift in days."""
    last = Case.objects.aggregate(last=Max("sample_date"))["last"]
    shift = timedelta(days=(yesterday - last).days)
    Case.objects.update(confirmed_at=F("confirmed_at") + shift, sample_date=F("sample_date") + shift,
                        infectious_from=F("infectious_from") + shift, isolated_at=F("isolated_at") + shift,
                        status_since=F("status_since") + shift)
    Cluster.objects.update(opened_on=F("opened_on") + shift, closed_on=F("closed_on") + shift)
    return shift.days


def _clusters_known(rng: random.Random, *, now: datetime) -> int:
    """A cluster is recorded (created_at, what the dashboard's feed reads) when it became known — a day or two after
    the day it is said to have opened — not when the benchmark wrote it."""
    clusters = list(Cluster.objects.only("pk", "opened_on", "created_at"))
    for cluster in clusters:
        known = datetime.combine(cluster.opened_on, datetime.min.time()) + timedelta(
            days=rng.randrange(3), hours=rng.randrange(7, 21), minutes=rng.randrange(60))
        cluster.created_at = min(timezone.make_aware(known), now)
    Cluster.objects.bulk_update(clusters, ["created_at"], batch_size=500)
    return sum(1 for c in clusters if c.created_at > now - timedelta(days=7))


def _near(rng: random.Random, commune: dict, spread: float = 0.01) -> tuple[float | None, float | None]:
    if commune["latitude"] is None:
        return None, None
    return (round(commune["latitude"] + rng.uniform(-spread, spread), 6),
            round(commune["longitude"] + rng.uniform(-spread, spread), 6))


def _places(rng: random.Random, communes: list[dict]) -> dict:
    rows = []
    for n, commune in enumerate(communes):
        wanted = [(PlaceKind.HEALTH_STATION, f"Trạm Y tế {commune['name']}")]
        if n % 5 == 0:
            wanted.append((PlaceKind.TEST_SITE, f"Điểm xét nghiệm {commune['name']}"))
            wanted.append((PlaceKind.DECLARATION_POINT, f"Điểm khai báo y tế {commune['name']}"))
        if n % 2 == 0:
            wanted.append((PlaceKind.ESSENTIAL_SHOP, f"Cửa hàng thiết yếu {commune['name']}"))
        for kind, name in wanted:
            lat, lon = _near(rng, commune, 0.004)
            rows.append({"kind": kind, "name": name, "commune_id": commune["id"], "address": f"Thôn {n % 9 + 1}",
                         "phone": f"0237{rng.randrange(10**6):06d}", "latitude": lat, "longitude": lon})
    bulk_insert(Place, rows)
    return dict(Counter(r["kind"] for r in rows))


def _facilities(rng: random.Random, communes: list[dict]) -> list[dict]:
    """40 facilities (a quarter for isolation) with 10–25 rooms of 4–12 beds; returns their rooms."""
    chosen = rng.sample(communes, FACILITIES)
    places, facilities = [], []
    for n, commune in enumerate(chosen):
        lat, lon = _near(rng, commune, 0.004)
        places.append({"kind": PlaceKind.QUARANTINE_FACILITY, "name": f"Khu cách ly tập trung số {n + 1}",
                       "commune_id": commune["id"], "address": f"Trường học {commune['name']}", "latitude": lat,
                       "longitude": lon})
    place_ids = bulk_insert(Place, places)
    for n, place_id in enumerate(place_ids):
        facilities.append({"place_id": place_id, "for_isolation": n % 4 == 0})
    facility_ids = bulk_insert(Facility, facilities)
    rooms = []
    for n, facility_id in enumerate(facility_ids):
        for k in range(rng.randrange(10, 26)):
            rooms.append({"facility_id": facility_id, "name": f"P{k + 1:02d}", "beds": rng.randrange(4, 13),
                          "commune_id": chosen[n]["id"], "isolation": n % 4 == 0,
                          "latitude": places[n]["latitude"], "longitude": places[n]["longitude"]})
    room_ids = bulk_insert(FacilityRoom, [{k: r[k] for k in ("facility_id", "name", "beds")} for r in rooms])
    for room, pk in zip(rooms, room_ids, strict=True):
        room["id"] = pk
    return rooms


def _person_ids_by_commune(commune_ids: set[int]) -> dict[int, list[str]]:
    """Person ids (32 hex digits, as bulk_insert takes them) by commune, read with plain SQL."""
    column = "id" if connection.vendor == "sqlite" else "replace(id::text, '-', '')"
    out: dict[int, list[str]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}, commune_id FROM {Person._meta.db_table}")
        for pid, commune_id in cursor.fetchall():
            if commune_id in commune_ids:
                out[commune_id].append(pid)
    return out


def _orders(rng: random.Random, *, today: date, now: datetime, people: dict[int, list[str]],
            communes: list[dict], rooms: list[dict], scale: float) -> dict:
    """Orders in force (isolation of the last 10 days' cases, quarantine of contacts; home or a facility room),
    orders released earlier, and their alerts."""
    active_n, released_n = int(ACTIVE_ORDERS * scale), int(RELEASED_ORDERS * scale)
    policy_id = Policy.objects.filter(kind="quarantine").order_by("-valid_from").values_list("pk", flat=True).first()
    centre = {c["id"]: c for c in communes}
    recent = list(Case.objects.filter(confirmed_at__gte=now - timedelta(days=10))
                  .values_list("pk", "person_id", "person__commune_id", "sample_date")
                  .order_by("confirmed_at")[:active_n // 2])
    case_people = {pid.hex for _pk, pid, _c, _d in recent}
    free = {room["id"]: room["beds"] for room in rooms}
    rooms_for = {True: [r for r in rooms if r["isolation"]], False: [r for r in rooms if not r["isolation"]]}
    pool = [(cid, pid) for cid, ids in people.items() for pid in ids]
    rng.shuffle(pool)
    picked = iter((cid, pid) for cid, pid in pool if pid not in case_people)
    rows, n = [], 0

    def order(*, person_id, commune_id, kind, starts_on, status, case_id, tier):
        nonlocal n
        n += 1
        row = {"code": f"QD{n:07d}", "person_id": person_id, "kind": kind, "setting": "home",
               "commune_id": commune_id, "geofence_radius_m": 50, "starts_on": starts_on,
               "ends_on": starts_on + timedelta(days=13 if kind == "quarantine" else 9), "status": status,
               "case_id": case_id, "contact_tier": tier, "policy_id": policy_id,
               "exposed_on": starts_on - timedelta(days=1) if kind == "quarantine" else None}
        if status != "active":
            row["ended_on"] = row["ends_on"]
        lat, lon = _near(rng, centre[commune_id])
        if status == "active" and rng.random() < 0.15:  # in a facility room with a free bed, when there is one
            candidates = [r for r in rng.sample(rooms_for[kind == "isolation"], 5) if free[r["id"]] > 0]
            if candidates:
                room = candidates[0]
                free[room["id"]] -= 1
                row.update(setting="facility", facility_id=room["facility_id"], room_id=room["id"],
                           commune_id=room["commune_id"])
                lat, lon = room["latitude"], room["longitude"]
        row.update(latitude=lat, longitude=lon)
        rows.append(row)

    recent_cases = [pk for pk, *_ in recent]
    for case_id, person_id, commune_id, sample_date in recent:
        order(person_id=person_id, commune_id=commune_id, kind="isolation", starts_on=max(sample_date, today
              - timedelta(days=9)), status="active", case_id=case_id, tier=None)
    while len(rows) < active_n:
        commune_id, person_id = next(picked)
        order(person_id=person_id, commune_id=commune_id, kind="quarantine",
              starts_on=today - timedelta(days=rng.randrange(14)), status="active", case_id=rng.choice(recent_cases),
              tier=1 if rng.random() < 0.85 else 2)
    active = list(rows)
    for _ in range(released_n):
        commune_id, person_id = next(picked)
        isolation = rng.random() < 0.3
        order(person_id=person_id, commune_id=commune_id, kind="isolation" if isolation else "quarantine",
              starts_on=today - timedelta(days=rng.randrange(24, 75)), status="released", case_id=None,
              tier=None if isolation else 1)
    ids = []
    for batch in chunked(rows, 10_000):
        ids += bulk_insert(Order, batch)
    # Alerts: on a third of the orders in force, one each (so the "one open per order and kind" rules hold), raised
    # over the last 7 days; about a third of them not handled yet.
    kinds = ["violation", "silent", "symptoms", "missed_report", "test_due"]
    alerts = []
    for row, pk in rng.sample(list(zip(active, ids[:len(active)], strict=True)), len(active) // 3):
        kind = rng.choices(kinds, weights=[20, 25, 10, 30, 15])[0]
        raised = now - timedelta(minutes=rng.randrange(10, 7 * 24 * 60))
        status = rng.choices(["open", "acknowledged", "handled", "closed"], weights=[22, 12, 40, 26])[0]
        alert = {"kind": kind, "order_id": pk, "commune_id": row["commune_id"], "raised_at": raised,
                 "status": status, "detail": {"distance_m": rng.randrange(60, 900)} if kind == "violation" else {},
                 "about_on": timezone.localtime(raised).date() if kind in ("missed_report", "test_due") else None,
                 "last_seen_at": raised}
        if status != "open":
            alert["acknowledged_at"] = raised + timedelta(minutes=20)
        if status in ("handled", "closed"):
            alert["handled_at"] = raised + timedelta(hours=2)
        if status == "closed":
            alert["closed_at"] = raised + timedelta(hours=3)
        alerts.append(alert)
    bulk_insert(Alert, alerts)
    return {"orders_active": len(active), "orders_isolation": len(recent),
            "orders_facility": sum(1 for r in active if r["setting"] == "facility"), "orders_released": released_n,
            "alerts": len(alerts), "alerts_open": sum(1 for a in alerts if a["status"] in ("open", "acknowledged"))}


def _tubes(rng: random.Random, *, now: datetime, people: dict[int, list[str]], communes: list[dict],
           tubes_n: int) -> dict:
    """TUBES tubes released over the last TUBE_DAYS days by three laboratories, from a screening campaign per
    commune with a site at its centre; pools take each person once per round."""
    labs = []
    for n, commune in enumerate(rng.sample(communes, 3)):
        lat, lon = _near(rng, commune, 0.004)
        place = Place.objects.create(kind=PlaceKind.LABORATORY, name=f"Phòng xét nghiệm số {n + 1}",
                                     commune_id=commune["id"], latitude=lat, longitude=lon)
        labs.append(Laboratory.objects.create(place=place, daily_capacity=8000).pk)
    with_people = [c for c in communes if people.get(c["id"])]
    start = timezone.localdate() - timedelta(days=TUBE_DAYS)
    campaign_ids = bulk_insert(Campaign, [
        {"name": f"Sàng lọc cộng đồng {c['name']}", "kind": CampaignKind.SCREENING, "unit_id": c["id"],
         "starts_on": start, "pool_size": 7, "laboratory_id": labs[n % 3]} for n, c in enumerate(with_people)])
    site_ids = bulk_insert(SamplingSite, [
        {"campaign_id": cid, "name": f"Nhà văn hoá {c['name']}", "commune_id": c["id"], "latitude": c["latitude"],
         "longitude": c["longitude"]} for cid, c in zip(campaign_ids, with_people, strict=True)])
    where = {c["id"]: (cid, sid, labs[n % 3]) for n, (c, cid, sid) in enumerate(
        zip(with_people, campaign_ids, site_ids, strict=True))}
    weights = [len(people[c["id"]]) for c in with_people]
    cursor = dict.fromkeys(where, 0)
    rounds = dict.fromkeys(where, 1)
    for ids in people.values():
        rng.shuffle(ids)
    span = TUBE_DAYS * 86400 - 3600
    picks = iter(rng.choices([c["id"] for c in with_people], weights=weights, k=tubes_n))
    figures = Counter()
    for first in range(0, tubes_n, 20_000):
        tubes, swabs = [], []
        for i in range(first, min(tubes_n, first + 20_000)):
            commune_id = next(picks)
            campaign_id, site_id, lab_id = where[commune_id]
            members_of = people[commune_id]
            size = rng.randrange(5, 11) if rng.random() < POOL_SHARE else 1
            size = min(size, len(members_of))
            if cursor[commune_id] + size > len(members_of):
                cursor[commune_id], rounds[commune_id] = 0, rounds[commune_id] + 1
            members = members_of[cursor[commune_id]:cursor[commune_id] + size]
            cursor[commune_id] += size
            released = now - timedelta(seconds=3600 + rng.randrange(span))
            positive = rng.random() < POSITIVE_RATE
            pooled = size > 1
            tubes.append({"code": f"BS-{i:07d}", "pooled": pooled, "test_type": TestType.RT_PCR,
                          "campaign_id": campaign_id, "site_id": site_id, "round": rounds[commune_id],
                          "laboratory_id": lab_id, "status": SampleStatus.RELEASED,
                          "collected_at": released - timedelta(hours=14), "received_at": released - timedelta(hours=9),
                          "tested_at": released - timedelta(hours=1),
                          "result": Result.POSITIVE if positive else Result.NEGATIVE,
                          "ct_value": round(rng.uniform(16, 35), 2) if positive else None, "released_at": released})
            outcome = (SwabOutcome.RETEST if pooled else SwabOutcome.POSITIVE) if positive else SwabOutcome.NEGATIVE
            swabs.append((members, campaign_id, rounds[commune_id], pooled, outcome))
            figures["tubes"] += 1
            figures["pools"] += pooled
            figures["positive"] += positive
        sample_ids = bulk_insert(Sample, tubes)
        rows = [{"sample_id": sid, "person_id": pid, "campaign_id": cid, "round": r, "pooled": pooled, "position": k,
                 "outcome": outcome, **Swab.flags(outcome)}
                for sid, (members, cid, r, pooled, outcome) in zip(sample_ids, swabs, strict=True)
                for k, pid in enumerate(members, start=1)]
        for batch in chunked(rows, 50_000):
            bulk_insert(Swab, batch)
        figures["swabs"] += len(rows)
    return dict(figures)


def _lockdowns(rng: random.Random, *, today: date, communes: list[dict]) -> dict:
    rows = []
    located = [c for c in communes if c["latitude"] is not None]
    for n, commune in enumerate(rng.sample(located, min(LOCKDOWNS, len(located)))):
        half = rng.uniform(0.002, 0.006)  # a square of 0.4–1.3 km a side
        lat, lon = commune["latitude"] + rng.uniform(-0.005, 0.005), commune["longitude"] + rng.uniform(-0.005, 0.005)
        ring = [[round(lon - half, 6), round(lat - half, 6)], [round(lon + half, 6), round(lat - half, 6)],
                [round(lon + half, 6), round(lat + half, 6)], [round(lon - half, 6), round(lat + half, 6)],
                [round(lon - half, 6), round(lat - half, 6)]]
        km2 = (2 * half * 111.32) ** 2 * math.cos(math.radians(lat))
        starts = today - timedelta(days=rng.randrange(0, 45))
        ends = starts + timedelta(days=rng.choice([14, 21, 28])) if rng.random() < 0.8 else None
        lifted = starts + timedelta(days=rng.randrange(3, 10)) if rng.random() < 0.1 else None
        if lifted is not None and lifted > today:
            lifted = None
        population = commune["population"] or 9000
        rows.append({"name": f"Phong tỏa thôn {n + 1}, {commune['name']}", "unit_id": commune["id"],
                     "geometry": {"type": "Polygon", "coordinates": [ring]}, "starts_on": starts, "ends_on": ends,
                     "residents_estimate": int(population * min(1.0, km2 / 20)), "area_km2": round(km2, 3),
                     "reason": "Ca cộng đồng chưa rõ nguồn lây", "source": "drawn", "lifted_on": lifted,
                     "lifted_reason": "Không phát hiện ca mới" if lifted else ""})
    from lachan.risk.models import LockdownArea

    bulk_insert(LockdownArea, rows)
    in_force = sum(1 for r in rows if r["starts_on"] <= today and (r["ends_on"] is None or r["ends_on"] >= today)
                   and (r["lifted_on"] is None or r["lifted_on"] > today))
    return {"lockdowns": len(rows), "lockdowns_in_force": in_force}


def generate(*, people: int, cases: int, seed: int) -> dict:
    figures = bench_risk.generate(people=people, cases=cases, seed=seed)
    rng = random.Random(seed + 6)
    province = bench_risk._largest_province()
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    now = timezone.now()
    scale = min(1.0, people / 1_000_000)  # orders and tubes in proportion below a million people
    began = time.perf_counter()
    with transaction.atomic():
        figures["shift_days"] = _make_current(yesterday)
        figures["clusters_recorded_7_days"] = _clusters_known(rng, now=now)
        communes = _province_communes(province)
        figures["places"] = _places(rng, communes)
        rooms = _facilities(rng, communes)
        figures["facility_beds"] = sum(r["beds"] for r in rooms)
        by_commune = _person_ids_by_commune({c["id"] for c in communes})
        figures.update(_orders(rng, today=today, now=now, people=by_commune, communes=communes, rooms=rooms,
                               scale=scale))
        figures["quarantine_s"] = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        figures.update(_tubes(rng, now=now, people=by_commune, communes=communes, tubes_n=int(TUBES * scale)))
        figures["tubes_s"] = round(time.perf_counter() - began, 1)
        figures.update(_lockdowns(rng, today=today, communes=communes))
    del by_commune
    began = time.perf_counter()
    from lachan.workflows.risk_levels import risk_levels_compute

    for n in range(RISK_DAYS - 1, -1, -1):
        risk_levels_compute(on=yesterday - timedelta(days=n), tree=TREE, root=province,
                            by=system_actor("bench_situation"))
    figures["risk_days"] = RISK_DAYS
    figures["risk_s"] = round(time.perf_counter() - began, 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # The laboratory's counts as the nightly job leaves them (the tubes were written with past release times).
    from lachan.labs.dashboard.stats import result_stats_count, result_stats_reset

    began = time.perf_counter()
    result_stats_reset()
    result_stats_count()
    figures["lab_counts_s"] = round(time.perf_counter() - began, 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    figures.update(generate_tracing(seed=seed))
    figures["province_code"] = province.code
    figures["today"] = today.isoformat()
    return figures


# ---- tracing data (issue 12: the transmission chain, a tracing report, the call list) -----------------------------

TRACED_DAYS = 21  # cases of the last three weeks have their contacts written
BIG_CASE = (69, 562)  # the F1s and F2s of the report measured (the case of issue 12's walk-through)
CALL_STATUSES = (("to_call", 55), ("reached", 30), ("not_reachable", 10), ("quarantined", 5))


def generate_tracing(*, seed: int) -> dict:
    """Contacts as tracing leaves them, written straight to the tables, for the cases confirmed in the last
    TRACED_DAYS days: 2–10 F1s each from the case's commune (a few became cases: a third of these cases were an F1 of
    an earlier one), 0–3 F2s through each F1, one exposure each, call results in every state; and one case (the
    newest of the busiest commune) with 69 F1s and 562 F2s. Skipped when the database has contacts already (a kept
    bench database gets them once)."""
    from lachan.tracing.models import Contact, Exposure, TracingRun

    if Contact.objects.exists():
        return {"tracing_skipped": "contacts present"}
    rng = random.Random(seed + 22)
    began = time.perf_counter()
    province = bench_risk._largest_province()
    commune, _n = _busiest_commune(province)
    now = timezone.now()
    cases = list(Case.objects.filter(confirmed_at__gte=now - timedelta(days=TRACED_DAYS))
                 .values_list("pk", "person_id", "person__commune_id", "confirmed_at").order_by("confirmed_at"))
    communes = {c for _pk, _p, c, _at in cases}
    people = _person_ids_by_commune(communes)
    big = max((c for c in cases if c[2] == commune.pk), key=lambda c: c[3], default=None)
    statuses, weights = zip(*CALL_STATUSES, strict=True)
    next_id = (Contact.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    contacts, exposures, runs = [], [], []
    recent_by_commune: dict[int, list] = defaultdict(list)

    pairs: set = set()  # (case, person): one contact each

    def contact(case_pk, person_id, *, tier, commune_id, exposed, via=None):
        nonlocal next_id
        if (case_pk, person_id) in pairs:
            return
        pairs.add((case_pk, person_id))
        contacts.append({"id": next_id, "index_case_id": case_pk, "person_id": person_id, "tier": tier,
                         "via_id": via, "exposed_at": exposed, "commune_id": commune_id,
                         "call_status": rng.choices(statuses, weights)[0]})
        exposures.append({"contact_id": next_id, "source": "household" if tier == 1 and rng.random() < 0.3 else
                          "venue", "grade": "close" if tier == 1 else "near", "start": exposed, "minutes": 30,
                          "text": "Cùng hộ gia đình" if tier == 1 else "Cùng địa điểm với F1"})
        next_id += 1

    for case_pk, person_uuid, commune_id, confirmed in cases:
        person_id = person_uuid.hex  # as the pools hold them (32 hex digits): one key per person
        pool = people.get(commune_id) or []
        if not pool:
            continue
        seen = {person_id}
        # A third were an F1 of an earlier case of their commune (of the last week): the chain's links.
        earlier = [c for c in recent_by_commune[commune_id] if confirmed - c[2] <= timedelta(days=7)]
        if earlier and rng.random() < 0.33:
            infector = rng.choice(earlier)
            contact(infector[0], person_id, tier=1, commune_id=commune_id,
                    exposed=infector[2] - timedelta(hours=rng.randrange(12, 72)))
        recent_by_commune[commune_id].append((case_pk, person_id, confirmed))
        f1n, per_f1 = (BIG_CASE[0], None) if big and case_pk == big[0] else (rng.randrange(2, 11), 3)
        f2_total = BIG_CASE[1] if per_f1 is None else None
        f1s = []
        for _ in range(f1n):
            pid = rng.choice(pool)
            if pid in seen:
                continue
            seen.add(pid)
            f1s.append(pid)
            contact(case_pk, pid, tier=1, commune_id=commune_id, exposed=confirmed - timedelta(hours=rng.randrange(
                24, 96)))
        f2_wanted = f2_total if f2_total is not None else sum(rng.randrange(per_f1 + 1) for _ in f1s)
        f2_made = 0
        for _ in range(f2_wanted * 2):
            if f2_wanted <= 0 or not f1s:
                break
            pid = rng.choice(pool)
            if pid in seen:
                continue
            seen.add(pid)
            f2_wanted -= 1
            f2_made += 1
            contact(case_pk, pid, tier=2, commune_id=commune_id, via=rng.choice(f1s),
                    exposed=confirmed - timedelta(hours=rng.randrange(12, 72)))
        runs.append({"case_id": case_pk, "policy_version": "bench", "window_start": confirmed - timedelta(days=4),
                     "window_end": confirmed, "counts": {"f1": len(f1s), "f2": f2_made, "f3": 0, "notices": 0}})
    with transaction.atomic():
        if connection.vendor == "postgresql":  # the exposures name their contacts by the ids given here, in order
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                               [Contact._meta.db_table, contacts[0]["id"] if contacts else 1])
                # Rows consistent by construction: without this, COMMIT checked 600,000 deferred foreign keys one
                # row at a time (over 15 minutes on a busy machine). A benchmark database only (needs a superuser).
                cursor.execute("SET LOCAL session_replication_role = replica")
        for batch in chunked(contacts, 20_000):
            bulk_insert(Contact, batch)
        for batch in chunked(exposures, 20_000):
            bulk_insert(Exposure, batch)
        bulk_insert(TracingRun, runs)
    with connection.cursor() as cursor:
        for model in (Contact, Exposure, TracingRun):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return {"traced_cases": len(runs), "contacts": len(contacts), "exposures": len(exposures),
            "big_case": str(big[0]) if big else None, "tracing_s": round(time.perf_counter() - began, 1)}


# ---- measure ----------------------------------------------------------------------------------------------------

def _user(name: str, role: str, unit: AdminUnit) -> User:
    user = User.objects.filter(username=name).first()
    if user is None:
        user = User.objects.create(username=name, role=role, jurisdiction_unit=unit)
    elif user.role != role or user.jurisdiction_unit_id != unit.pk:
        user.role, user.jurisdiction_unit = role, unit
        user.save(update_fields=["role", "jurisdiction_unit"])
    return user


def _busiest_commune(province: AdminUnit) -> tuple[AdminUnit, int]:
    commune_id, n = (Case.objects.filter(person__commune__path__startswith=province.path + "/")
                     .values_list("person__commune_id").annotate(n=Count("pk")).order_by("-n").first())
    return AdminUnit.objects.get(pk=commune_id), n


def urls(tracing: dict | None = None) -> list[tuple[str, str]]:
    """The URLs measured; `tracing` (from _tracing_targets): the tracing pages of issue 12 with their ids."""
    out = [("dashboard /", "/"), ("operations summary", "/api/operations/summary"),
           ("operations feed", "/api/operations/feed"),
           *((f"map {layer}", f"/api/map/layers/{layer}") for layer in LAYERS), ("public map risk", "/api/map/public/risk")]
    out.append(("case list, searched by name", "/cases/?q=nguyen"))
    out.append(("cluster list", "/cases/clusters/"))
    out.append(("laboratory home (campaigns)", "/labs/"))
    out.append(("laboratory dashboard", "/labs/dashboard/"))
    if tracing:
        out += [("transmission chain", "/tracing/chain/"),
                ("transmission chain, a commune", f"/tracing/chain/?commune={tracing['commune']}"),
                ("transmission chain, 14 days' list page 3", "/tracing/chain/?page=3")]
        if tracing.get("cluster"):
            out.append(("transmission chain, a cluster", f"/tracing/chain/?cluster={tracing['cluster']}"))
        if tracing.get("big_case"):
            out += [(f"tracing report ({tracing['f1']} F1 / {tracing['f2']} F2)", f"/tracing/cases/{tracing['big_case']}/"),
                    ("tracing report, F2 page 6", f"/tracing/cases/{tracing['big_case']}/?p2=6")]
        out += [("call list", "/tracing/calls/"), ("call list, to call, page 5", "/tracing/calls/?status=to_call&page=5")]
    return out


def _tracing_targets(commune: AdminUnit) -> dict | None:
    """The case with the most contacts in the busiest commune, and the cluster of the last two weeks with the most
    cases (None when no contacts were generated)."""
    from lachan.tracing.models import Contact

    top = (Contact.objects.filter(index_case__person__commune=commune).values("index_case_id")
           .annotate(n=Count("pk")).order_by("-n").first())
    if top is None:
        return None
    tiers = dict(Contact.objects.filter(index_case_id=top["index_case_id"]).values_list("tier")
                 .annotate(n=Count("pk")).values_list("tier", "n"))
    since = timezone.now() - timedelta(days=14)
    cluster = (Case.objects.filter(confirmed_at__gte=since, cluster__isnull=False).values("cluster_id")
               .annotate(n=Count("pk")).order_by("-n").first())
    return {"big_case": str(top["index_case_id"]), "f1": tiers.get(1, 0), "f2": tiers.get(2, 0),
            "commune": commune.pk, "cluster": str(cluster["cluster_id"]) if cluster else None}


LOGIN_PASSWORD = "bench-Situation-2026!"  # noqa: S105  (a benchmark account on a benchmark database)


def measure_login(*, username: str, samples: int) -> dict:
    """Log-in to the first dashboard, as a browser does it: POST /accounts/login/ (the password checked with the
    deployment's hasher), the redirect's page (the dashboard) and the two API calls its script makes at once; each
    round a new client (no session). The hasher's cost is a deliberate choice (Argon2id, 19 MiB, 2 passes: ADR 5): it
    is measured alone too, so the rest can be read apart from it."""
    from django.contrib.auth.hashers import check_password
    from django.test import Client

    user = User.objects.get(username=username)
    if not user.check_password(LOGIN_PASSWORD):  # (a hash of an older hasher is re-hashed, as at a log-in)
        user.set_password(LOGIN_PASSWORD)
        user.save(update_fields=["password"])
    stored = user.password
    steps = {"password check alone": [], "log-in POST": [], "dashboard after log-in": [],
             "its summary and feed calls": [], "log-in to dashboard, whole": []}
    for n in range(samples + 2):
        began = time.perf_counter()
        check_password(LOGIN_PASSWORD, stored)
        hashed = (time.perf_counter() - began) * 1000
        client = Client()
        began = time.perf_counter()
        response = client.post("/accounts/login/", {"username": username, "password": LOGIN_PASSWORD})
        posted = time.perf_counter()
        if response.status_code != 302:
            raise RuntimeError(f"log-in answered {response.status_code}")
        page = client.get(response["Location"])
        paged = time.perf_counter()
        calls = [client.get("/api/operations/summary"), client.get("/api/operations/feed")]
        done = time.perf_counter()
        if page.status_code != 200 or any(r.status_code != 200 for r in calls):
            raise RuntimeError("the dashboard after log-in did not answer 200")
        if n < 2:
            continue  # warm-up
        steps["password check alone"].append(hashed)
        steps["log-in POST"].append((posted - began) * 1000)
        steps["dashboard after log-in"].append((paged - posted) * 1000)
        steps["its summary and feed calls"].append((done - paged) * 1000)
        steps["log-in to dashboard, whole"].append((done - began) * 1000)
    return {name: {"p50": round(statistics.median(v), 1), "p95": round(bench.percentile(v, 0.95), 1),
                   "max": round(max(v), 1), "n": len(v)} for name, v in steps.items()}


def _check(name: str, url: str, response) -> dict:
    if response.status_code != 200:
        raise RuntimeError(f"{name}: GET {url} answered {response.status_code}: {response.content[:300]!r}")
    body = response.content
    out = {"bytes": len(body)}
    if url.startswith("/api/map/"):
        data = json.loads(body)
        if data.get("type") != "FeatureCollection":
            raise RuntimeError(f"{name}: GET {url} is not a FeatureCollection")
        out["features"] = len(data["features"])
    elif url.startswith("/api/operations/feed"):
        out["items"] = len(json.loads(body)["items"])
    elif url.startswith("/tracing/chain/"):
        text = body.decode()
        graph = text.split('<script id="chain-data" type="application/json">', 1)
        if len(graph) == 2:
            out["nodes"] = len(json.loads(graph[1].split("</script>", 1)[0])["nodes"])
        out["rows"] = text.count('data-testid="chain-row"')
    elif url.startswith("/tracing/"):
        out["rows"] = body.decode().count('data-testid="contact-row"') or body.decode().count('<select name="status"')
    return out


def _profile(client, url: str) -> dict:
    """One request with its queries captured: how many, their total time, the slowest three."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        began = time.perf_counter()
        client.get(url)
        total = (time.perf_counter() - began) * 1000
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    return {"ms": round(total, 1), "queries": len(queries),
            "db_ms": round(sum(float(q["time"]) for q in queries) * 1000, 1),
            "slowest": [{"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:600]} for q in queries[:3]]}


def measure(*, samples: int, profile: bool = True) -> dict:
    from django.test import Client

    province = bench_risk._largest_province()
    if settings.LACHAN_PROVINCE_CODE != province.code:
        raise RuntimeError(f"LACHAN_PROVINCE_CODE is {settings.LACHAN_PROVINCE_CODE}, the data is in {province.code}")
    commune, commune_cases = _busiest_commune(province)
    out: dict = {
        "province": f"{province.code} {province.name}", "commune": f"{commune.code} {commune.name}",
        "commune_cases": commune_cases, "people": Person.objects.count(), "cases": Case.objects.count(),
        "orders_active": Order.objects.filter(status="active").count(),
        "alerts_open": Alert.objects.filter(status__in=("open", "acknowledged")).count(),
        "tubes": Sample.objects.count(), "samples": samples, "users": {},
    }
    tracing = _tracing_targets(commune)
    out["tracing"] = tracing
    clients = {}
    for key, (username, role) in USERS.items():
        user = _user(username, role, province if key == "province" else commune)
        client = Client()
        client.force_login(user)
        client.bench_user = user
        clients[key] = client
    for key, client in clients.items():
        mine = dict(tracing) if tracing else None
        if mine and mine.get("cluster"):  # the cluster only where the user may see it (else its page is a 404)
            from lachan.cases.selectors import clusters_in_scope

            if not clusters_in_scope(client.bench_user).filter(pk=mine["cluster"]).exists():
                mine["cluster"] = None
        targets = urls(mine)
        shapes = {}
        for name, url in targets:  # warm-up: twice each
            for _ in range(2):
                shapes[name] = _check(name, url, client.get(url))
        times: dict[str, list[float]] = {name: [] for name, _url in targets}
        for _round in range(samples):
            for name, url in targets:
                began = time.perf_counter()
                response = client.get(url)
                times[name].append((time.perf_counter() - began) * 1000)
                _check(name, url, response)
        figures = {}
        for name, url in targets:
            values = times[name]
            figures[name] = {"url": url, "p50": round(statistics.median(values), 1),
                             "p95": round(bench.percentile(values, 0.95), 1), "max": round(max(values), 1),
                             "n": len(values), **shapes[name]}
            if profile:
                figures[name]["profile"] = _profile(client, url)
        out["users"][key] = figures
    out["login"] = {key: measure_login(username=username, samples=max(5, samples // 4))
                    for key, (username, _role) in USERS.items()}
    out["over_target"] = [f"{user} {name}: p95 {f['p95']:.0f} ms" for user, figs in out["users"].items()
                          for name, f in figs.items() if f["p95"] > TARGET_MS]
    return out


# ---- the run log ------------------------------------------------------------------------------------------------

def doc_section(*, machine: dict, entries: list[dict], people: int, cases: int, samples: int) -> str:
    lines = [
        f"\n## Map and dashboard benchmark — {machine['date']} — {people:,} people, {cases:,} cases\n",
        f"`python manage.py bench_situation`; machine: {machine['nproc']} cores ({machine['cpu']}), "
        f"{machine['ram_gb']} GB RAM, Python {machine['python']}. Thanh Hóa (2021 tree), data made current (last case "
        "day yesterday), ~20,000 orders in force, ~300,000 tubes over 60 days, 200 lockdown areas, 14 days of risk "
        f"levels. Test Client, DEBUG off, {samples} rounds over every URL after two warm-ups each. Target: p95 ≤ "
        f"{TARGET_MS} ms.\n",
    ]
    generated = []
    for e in entries:
        gen = e.get("bench_situation")
        generated.append(f"{e['vendor']} {gen:.0f} s" if gen is not None else
                         f"{e['vendor']} not run (data kept)" if e.get("generation_skipped") else
                         f"{e['vendor']} {e.get('error', 'failed')}")
    lines.append("Generation (bench_risk's data and the rest, migrations apart): " + "; ".join(generated) + ".\n")
    vendors = [e["vendor"] for e in entries]
    lines.append("| URL | user | " + " | ".join(f"{v} p50 / p95 / max" for v in vendors) + " | size |")
    lines.append("| --- | --- | " + " | ".join("---" for _ in vendors) + " | --- |")
    names = []
    for e in entries:
        for figures in (e.get("users") or {}).values():
            names += [name for name in figures if name not in names]
    names = names or [name for name, _url in urls()]
    missed = []
    for user in USERS:
        for name in names:
            cells, size = [], ""
            for e in entries:
                f = (e.get("users") or {}).get(user, {}).get(name)
                if f is None:
                    cells.append(e.get("error", "not measured"))
                    continue
                mark = " **over**" if f["p95"] > TARGET_MS else ""
                cells.append(f"{f['p50']:.0f} / {f['p95']:.0f} / {f['max']:.0f} ms{mark}")
                if f["p95"] > TARGET_MS:
                    missed.append(f"{name} ({user}) on {e['vendor']}: p95 {f['p95']:.0f} ms")
                if not size:
                    count = f.get("features", f.get("items"))
                    kb = f['bytes'] / 1024
                    size = (f"{kb:.0f} kB" if kb >= 10 else f"{kb:.1f} kB") + (
                        f", {count} {'features' if 'features' in f else 'items'}" if count is not None else "") + (
                        f", {f['nodes']} nodes drawn" if "nodes" in f else "") + (
                        f", {f['rows']} rows" if f.get("rows") else "")
            lines.append(f"| {name} | {user} | " + " | ".join(cells) + f" | {size} |")
    logins = [(e["vendor"], e.get("login") or {}) for e in entries]
    if any(login for _v, login in logins):
        lines.append("")
        lines.append("Log-in to the first dashboard (a new client each time: POST /accounts/login/, the dashboard it "
                     "redirects to, then the summary and feed calls its script makes), p50 / p95 / max:")
        lines.append("")
        lines.append("| step | user | " + " | ".join(v for v, _l in logins) + " |")
        lines.append("| --- | --- | " + " | ".join("---" for _ in logins) + " |")
        steps = next(iter(next(login for _v, login in logins if login).values()))
        for step in steps:
            for user in USERS:
                cells = []
                for _vendor, login in logins:
                    f = login.get(user, {}).get(step)
                    cells.append(f"{f['p50']:.0f} / {f['p95']:.0f} / {f['max']:.0f} ms" if f else "not measured")
                lines.append(f"| {step} | {user} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Over the target: " + ("; ".join(missed) + "." if missed else "none."))
    return "\n".join(lines) + "\n"
