"""The citizens' result look-up and the laboratory's dashboard at scale (issue 4: a look-up's p95 ≤ 100 ms at
1,000,000 people), run inside a child process on a benchmark database that holds the synthetic province
(`simulate_province`; `bench_lookup` and `bench_labs --only lookup` start the child).

`tubes_generate` writes straight to the tables a few hundred thousand tubes of the province's people over
the last four weeks (70 % pools of 5–10 people of one commune, the rest individual; collected at one site per
commune, tested by three benchmark laboratories; most released, the newest still waiting, a few rejected;
0.5 % of people positive). `measure_lookup` then posts look-ups to POST /api/labs/results/lookup through
Django's test client (the whole request: middleware, rate limits, the query, the audit event): right dates of
birth of random people of random tubes, wrong dates of birth on real tubes and unknown codes (whose answers
must not differ in time either), each from its own client address so the rate limit never answers instead.
`measure_pages` times the dashboard and the advice page for the province, a district and a laboratory, with
the cached per-commune figures cleared (cold) and kept (warm). Everything written is deleted at the end.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from lachan.accounts.models import AuditEvent, User
from lachan.accounts.roles import Role
from lachan.core.db import bulk_insert, chunked
from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind
from lachan.labs.dashboard.stats import result_stats_reset
from lachan.labs.models import (
    Campaign,
    CampaignKind,
    Laboratory,
    Result,
    Sample,
    SampleStatus,
    SamplingSite,
    Swab,
)
from lachan.labs.results.release import outcome_for
from lachan.people.models import Person

from . import bench_labs
from .bench import percentile
from .province import SYNTH_ID_LIMIT

LABS = ("Benchmark lab A", "Benchmark lab B", "Benchmark lab C")
CAMPAIGN = "Benchmark look-up screening"
POOL_SHARE = 0.7
POOL_SIZES = (5, 6, 7, 8, 9, 10)
PERSON_POSITIVE = 0.005
CLIENT_NET = "198.18."  # the benchmarking range (RFC 2544): the look-ups' audit events are found by it
BATCH = 50_000


def _setup():
    """Three laboratories, a province-wide campaign with a site in every commune, and a user per scope."""
    province = AdminUnit.objects.get(tree=settings.LACHAN_ADMIN_TREE, code=settings.LACHAN_PROVINCE_CODE)
    communes = list(AdminUnit.objects.filter(level=AdminLevel.COMMUNE, path__startswith=province.path + "/")
                    .order_by("path"))
    labs = []
    for n, name in enumerate(LABS):
        place, _new = Place.objects.get_or_create(kind=PlaceKind.LABORATORY, name=name,
                                                  defaults={"commune": communes[n * 37 % len(communes)]})
        labs.append(Laboratory.objects.get_or_create(place=place)[0])
    campaign, _new = Campaign.objects.get_or_create(name=CAMPAIGN, defaults={
        "kind": CampaignKind.SCREENING, "unit": province, "starts_on": timezone.localdate() - timedelta(days=30),
        "pool_size": 7})
    have = set(SamplingSite.objects.filter(campaign=campaign).values_list("commune_id", flat=True))
    bulk_insert(SamplingSite, [{"campaign_id": campaign.pk, "name": f"Điểm lấy mẫu {c.name}", "commune_id": c.pk}
                               for c in communes if c.pk not in have])
    sites = dict(SamplingSite.objects.filter(campaign=campaign).values_list("commune_id", "pk"))
    district = communes[0].parent
    users = {}
    for key, role, unit, place in (("province", Role.PROVINCE_ADMIN, province, None),
                                   ("district", Role.DISTRICT_OFFICER, district, None),
                                   ("laboratory", Role.LAB_STAFF, None, labs[0].place)):
        users[key], _new = User.objects.get_or_create(username=f"bench-lookup-{key}", defaults={
            "role": role, "jurisdiction_unit": unit, "jurisdiction_place": place})
    return labs, campaign, sites, users


def _people(seed: int) -> list[tuple]:
    """(id, commune id, date of birth) of the synthetic people with a date of birth, shuffled within their
    commune (a pool's people live in one commune)."""
    qn = connection.ops.quote_name
    column = "id" if connection.vendor == "sqlite" else "id::text"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}, commune_id, birth_date FROM {qn(Person._meta.db_table)} "
                       "WHERE id < %s AND merged_into_id IS NULL AND birth_date IS NOT NULL",
                       [SYNTH_ID_LIMIT.hex if connection.vendor == "sqlite" else SYNTH_ID_LIMIT])
        rows = cursor.fetchall()
    random.Random(seed).shuffle(rows)
    rows.sort(key=lambda r: r[1])  # stable: still shuffled within a commune
    return rows


def tubes_generate(*, samples: int, seed: int, days: int, tag: str, picks: int) -> tuple[dict, list[tuple]]:
    """`samples` tubes collected over the last `days` days. Returns figures and `picks` random (code, date of
    birth) of people alone with their date of birth in a released tube."""
    labs, campaign, sites, _users = _setup()
    rng = random.Random(seed)
    people = _people(seed)
    if not people:
        raise RuntimeError("no synthetic people: run simulate_province first")
    now = timezone.now()
    began = time.perf_counter()
    tubes, swabs, candidates = [], [], []
    cursor, round_ = 0, 1
    for i in range(samples):
        size = rng.choice(POOL_SIZES) if rng.random() < POOL_SHARE else 1
        if cursor >= len(people):  # everyone swabbed: the campaign's next round
            cursor, round_ = 0, round_ + 1
        commune = people[cursor][1]
        members = [p for p in people[cursor:cursor + size] if p[1] == commune]  # not across two communes
        cursor += len(members)
        pooled = len(members) > 1
        collected = now - timedelta(seconds=rng.uniform(0, days * 86400))
        age_h = (now - collected).total_seconds() / 3600
        row = {"code": f"{tag}-{i:07d}", "pooled": pooled, "test_type": "rt_pcr", "campaign_id": campaign.pk,
               "site_id": sites.get(commune), "round": round_, "laboratory_id": labs[i % len(labs)].pk,
               "collected_at": collected, "status": SampleStatus.COLLECTED}
        outcome = "pending"
        if rng.random() < 0.005:
            row.update(status=SampleStatus.REJECTED, rejected_at=collected + timedelta(hours=8),
                       received_at=collected + timedelta(hours=6), rejected_reason="benchmark")
            outcome = "rejected"
        elif age_h > 6:
            received = collected + timedelta(hours=min(age_h, rng.uniform(2, 6)))
            row.update(status=SampleStatus.RECEIVED, received_at=received)
            turnaround = rng.uniform(8, 60)
            if age_h > turnaround:
                positive = rng.random() < 1 - (1 - PERSON_POSITIVE) ** len(members)
                result = Result.POSITIVE if positive else Result.NEGATIVE
                released = collected + timedelta(hours=turnaround)
                row.update(status=SampleStatus.RELEASED, result=result, tested_at=released, released_at=released)
                outcome = outcome_for(result, pooled)
        tubes.append(row)
        swabs.append([{"person_id": pid, "campaign_id": campaign.pk, "round": round_, "pooled": pooled,
                       "position": n, "outcome": outcome, **Swab.flags(outcome)} for n, (pid, _c, _b) in enumerate(members, start=1)])
        if row["status"] == SampleStatus.RELEASED and rng.random() < 0.05:
            births = [b for _p, _c, b in members]
            alone = [b for b in births if births.count(b) == 1]
            if alone:
                candidates.append((row["code"], rng.choice(alone)))
    with transaction.atomic():
        ids = []
        for batch in chunked(tubes, BATCH):
            ids.extend(bulk_insert(Sample, batch))
        rows = [{**swab, "sample_id": sample_id} for sample_id, members in zip(ids, swabs, strict=True)
                for swab in members]
        for batch in chunked(rows, BATCH):
            bulk_insert(Swab, batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Sample._meta.db_table}; ANALYZE {Swab._meta.db_table}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result_stats_reset()  # past release times were written straight to the tables
    rng.shuffle(candidates)
    statuses = {}
    for row in tubes:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return {"tubes": len(tubes), "swabs": len(rows), "rounds": round_, "statuses": statuses,
            "generate_s": round(time.perf_counter() - began, 1)}, candidates[:picks]


def tubes_delete(tag: str) -> None:
    """The tubes written (as bench_labs deletes its own), the look-ups' audit events, the counts."""
    bench_labs.tubes_delete(tag)
    AuditEvent.objects.filter(ip__startswith=CLIENT_NET).delete()
    result_stats_reset()


def _summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": round(statistics.median(values), 1), "p95": round(percentile(values, 0.95), 1),
            "p99": round(percentile(values, 0.99), 1), "max": round(max(values), 1)}


def measure_lookup(picks: list[tuple], *, lookups: int, seed: int, tag: str) -> dict:
    """Look-ups through the API: 80 % right date of birth, 10 % a wrong one on a real tube, 10 % unknown
    codes; and a few through the phone page. Milliseconds per request."""
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    rng = random.Random(seed)
    timings: dict[str, list[float]] = {"found": [], "wrong_birth_date": [], "unknown_code": [], "page": []}
    statuses: dict[str, dict[int, int]] = {k: {} for k in timings}
    cache.clear()

    def post(kind: str, n: int, url: str, body, **kwargs) -> None:
        address = f"{CLIENT_NET}{n // 250 % 250}.{n % 250 + 1}"
        began = time.perf_counter()
        response = client.post(url, body, REMOTE_ADDR=address, **kwargs)
        elapsed = (time.perf_counter() - began) * 1000
        if n >= 0:  # negative: warm-up
            timings[kind].append(elapsed)
            statuses[kind][response.status_code] = statuses[kind].get(response.status_code, 0) + 1

    api = "/api/labs/results/lookup"
    for n in range(-20, lookups):
        code, born = picks[n % len(picks)]
        draw = rng.random()
        if draw < 0.8:
            kind, body = "found", {"code": code, "birth_date": born.isoformat()}
        elif draw < 0.9:
            kind, body = "wrong_birth_date", {"code": code, "birth_date": (born + timedelta(days=1)).isoformat()}
        else:
            kind, body = "unknown_code", {"code": f"{tag}-X{n:06d}", "birth_date": born.isoformat()}
        post(kind, n, api, body, content_type="application/json")
    for n in range(min(200, lookups // 10)):
        code, born = picks[rng.randrange(len(picks))]
        post("page", lookups + n, "/ket-qua/", {"code": code, "birth_date": born.strftime("%d/%m/%Y")})
    cache.clear()
    return {kind: {**_summary(values), "status": statuses[kind]} for kind, values in timings.items()}


def measure_pages(*, repeat: int = 5) -> dict:
    """The dashboard and the advice page per scope: the first read after the counts were forgotten (four weeks
    of results counted), then cold (the turnaround's cache cleared) and warm, medians."""
    from django.core.cache import cache
    from django.test import Client

    _labs, _campaign, _sites, users = _setup()
    out = {}
    for key, user in users.items():
        client = Client()
        client.force_login(user)

        def timed(url, *, _client=client, _user=user) -> float:
            began = time.perf_counter()
            response = _client.get(url)
            elapsed = (time.perf_counter() - began) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{url} as {_user.username}: {response.status_code}")
            return elapsed

        result_stats_reset()
        cache.clear()
        first = timed("/labs/dashboard/")
        figures: dict[str, list[float]] = {"dashboard_cold": [], "dashboard_warm": [], "advice_warm": []}
        for _n in range(repeat):
            cache.clear()
            figures["dashboard_cold"].append(timed("/labs/dashboard/"))
            figures["dashboard_warm"].append(timed("/labs/dashboard/"))
            figures["advice_warm"].append(timed("/labs/advice/"))
        out[key] = {"dashboard_first": round(first, 1),
                    **{name: round(statistics.median(v), 1) for name, v in figures.items()}}
    return out


def measure_all(*, samples: int, lookups: int, seed: int, days: int = 28, keep: bool = False) -> dict:
    tag = f"BQ{int(time.time()) % 10**6:06d}"
    result = {"people": Person.objects.filter(id__lt=SYNTH_ID_LIMIT).count()}
    result["file"], picks = tubes_generate(samples=samples, seed=seed, days=days, tag=tag, picks=max(lookups, 100))
    if not picks:
        return {**result, "error": "no released tube to look up"}
    try:
        result["lookup"] = measure_lookup(picks, lookups=lookups, seed=seed, tag=tag)
        result["pages"] = measure_pages()
        result["load"] = round(os.getloadavg()[0], 1)
    finally:
        if not keep:
            tubes_delete(tag)
    return result


def _cell(figures: dict | None) -> str:
    if not figures or not figures.get("n"):
        return "–"
    return f"{figures['p50']:.0f} / {figures['p95']:.0f} / {figures['p99']:.0f} ms"


def doc_section(machine: dict, entries: list[dict]) -> str:
    first = next((e for e in entries if "file" in e), {})
    file = first.get("file", {})
    lines = [
        f"\n## Result look-up and lab dashboard — {machine['date']} — {first.get('people', 0):,} people, "
        f"{file.get('tubes', 0):,} tubes\n",
        f"`python manage.py bench_lookup` on the province already generated; machine: {machine['nproc']} cores "
        f"({machine['cpu']}), {machine['ram_gb']} GB RAM, Python {machine['python']}. Tubes written for the run "
        f"over the last 28 days ({file.get('swabs', 0):,} people swabbed, {file.get('rounds', 1)} round(s); "
        f"{', '.join(f'{n:,} {status}' for status, n in file.get('statuses', {}).items())}), deleted afterwards. Look-ups: POST /api/labs/results/lookup through Django's "
        "test client (rate limits, query, audit event), each from its own address; p50 / p95 / p99. "
        "Target: p95 ≤ 100 ms.\n",
        "| database | right date of birth | wrong date of birth | unknown code | the /ket-qua/ page | load |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for e in entries:
        if "lookup" not in e:
            lines.append(f"| {e['vendor']} | {e.get('error', '?')} | | | | |")
            continue
        look = e["lookup"]
        lines.append(f"| {e['vendor']} | {_cell(look['found'])} | {_cell(look['wrong_birth_date'])} "
                     f"| {_cell(look['unknown_code'])} | {_cell(look['page'])} | {e.get('load', '–')} |")
    lines += ["", "Dashboard (/labs/dashboard/) and advice page (/labs/advice/) per user: the first dashboard after "
              "the counts were forgotten (four weeks of results counted, once), then medians of 5: cold (the "
              "turnaround's 5-minute cache cleared) and warm. Target: a fraction of a second.", "",
              "| database | user | first dashboard (counting) | dashboard cold | dashboard warm | advice page |",
              "| --- | --- | --- | --- | --- | --- |"]
    for e in entries:
        for user, pages in e.get("pages", {}).items():
            lines.append(f"| {e['vendor']} | {user} | {pages['dashboard_first']:.0f} ms | "
                         f"{pages['dashboard_cold']:.0f} ms | {pages['dashboard_warm']:.0f} ms | "
                         f"{pages['advice_warm']:.0f} ms |")
    return "\n".join(lines) + "\n"
