"""The risk levels benchmark (issue 6), run inside child processes on a database of its own.

generate(): the whole 2021 tree of the country (63 provinces, ~700 districts, ~10,600 communes) with synthetic
populations; N people (default 1,000,000) living in the province with the most communes, M cases (default
100,000) among them confirmed from 01/08/2021 to 15/11/2021 (70 % community, half of those in a cluster),
1,500 clusters in that province and 3,000 across the country (a tenth of each of unknown source, a few percent in
schools, industrial parks, supermarkets), vaccination coverage entered per province and for 2,000 communes, and
500 communes whose treatment capacity is not met. Written straight to the tables.

measure(): the whole daily computation (lachan.workflows.risk_levels.risk_levels_compute: the aggregate queries
over cases and clusters, the entered values, the rules for every unit, the day's rows replaced) for that province
and for the whole country, under Decision 4800 (15/11/2021) and Decision 2686 (20/08/2021), each after the day
before was computed (the capacity rule reads it). Target: ≤ 5 s each."""

from __future__ import annotations

import math
import random
import statistics
import time
from collections import Counter
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.cases.models import Case, Cluster, ClusterKind
from lachan.core.db import bulk_insert, chunked
from lachan.core.text import fold, reverse_words
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.geo.services import admin_units_load
from lachan.people.models import Person
from lachan.risk.levels import policy_window_days, risk_policy
from lachan.risk.models import RiskAssessment, RiskInput
from lachan.workflows.risk_levels import risk_inputs_gather, risk_levels_compute

TREE = "2021"
CASES_FROM = date(2021, 8, 1)
DAYS = {"4800": date(2021, 11, 15), "2686": date(2021, 8, 20)}
KINDS = [(ClusterKind.HOUSEHOLD, 35), (ClusterKind.WORKPLACE, 15), (ClusterKind.VENUE, 10), (ClusterKind.SCHOOL, 4),
         (ClusterKind.INDUSTRIAL_PARK, 3), (ClusterKind.SUPERMARKET, 3), (ClusterKind.HOSPITAL, 5),
         (ClusterKind.COMMUNITY, 15), (ClusterKind.UNKNOWN, 10)]


ACTOR = system_actor("bench_risk")

def _largest_province() -> AdminUnit:
    counts = Counter(AdminUnit.objects.filter(tree=TREE, level=AdminLevel.COMMUNE).values_list("path", flat=True)
                     .iterator())
    by_province = Counter()
    for path, n in counts.items():
        by_province[path.split("/")[1]] += n
    code = by_province.most_common(1)[0][0]
    return AdminUnit.objects.get(tree=TREE, code=code)


def _populations(rng: random.Random) -> None:
    """Communes: log-normal around 9,000 people (≈ 96 million in all); districts and provinces: their sums."""
    units = list(AdminUnit.objects.filter(tree=TREE).values_list("id", "parent_id", "level", "path"))
    population: dict[int, int] = Counter()
    parent = {uid: pid for uid, pid, _level, _path in units}
    leaves = {uid for uid, *_ in units} - set(parent.values())
    sigma = 0.6
    mu = math.log(9000) - sigma ** 2 / 2
    for uid in leaves:
        n = min(150_000, max(500, int(rng.lognormvariate(mu, sigma))))
        population[uid] += n
        up = parent[uid]
        while up is not None:
            population[up] += n
            up = parent[up]
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE geo_adminunit SET population = %s, population_source = 'synthetic' WHERE id = %s",
                           [(n, uid) for uid, n in population.items()])


def generate(*, people: int, cases: int, seed: int) -> dict:
    rng = random.Random(seed)
    figures: dict = {}
    began = time.perf_counter()
    admin_units_load(tree=TREE, province_code=None)
    figures["units_load_s"] = round(time.perf_counter() - began, 1)
    with transaction.atomic():
        _populations(rng)
        province = _largest_province()
        communes = list(AdminUnit.objects.filter(tree=TREE, level=AdminLevel.COMMUNE,
                                                 path__startswith=province.path + "/")
                        .values_list("id", "population"))
        all_communes = list(AdminUnit.objects.filter(tree=TREE, level=AdminLevel.COMMUNE).values_list("id", flat=True))
        ids, weights = [c[0] for c in communes], [c[1] for c in communes]

        began = time.perf_counter()
        case_people = sorted(rng.sample(range(people), cases))
        wanted = iter(case_people)
        next_wanted = next(wanted, None)
        chosen: list = []
        for start in range(0, people, 100_000):
            homes = rng.choices(ids, weights=weights, k=min(100_000, people - start))
            rows = []
            for i, home in enumerate(homes, start=start):
                name = f"Người thử {i:07d}"
                search = fold(name)
                rows.append({"full_name": name, "search_name": search, "search_name_rev": reverse_words(search),
                             "commune_id": home})
            keys = bulk_insert(Person, rows)
            while next_wanted is not None and next_wanted < start + len(rows):
                chosen.append((keys[next_wanted - start], homes[next_wanted - start]))
                next_wanted = next(wanted, None)
        figures["people_s"] = round(time.perf_counter() - began, 1)

        began = time.perf_counter()
        last = DAYS["4800"]
        span = (last - CASES_FROM).days + 1
        cluster_rows = []
        kinds, kind_weights = [k for k, _w in KINDS], [w for _k, w in KINDS]
        for i, home in enumerate([*(rng.choice(ids) for _ in range(1500)), *(rng.choice(all_communes)
                                                                             for _ in range(3000))]):
            opened = CASES_FROM - timedelta(days=10) + timedelta(days=rng.randrange(span + 10))
            closed = opened + timedelta(days=rng.randrange(14, 45)) if rng.random() < 0.5 else None
            cluster_rows.append({"name": f"Ổ dịch {i}", "search_name": f"o dich {i}", "kind": rng.choices(
                kinds, weights=kind_weights)[0], "commune_id": home, "opened_on": opened, "closed_on": closed})
        cluster_ids = bulk_insert(Cluster, cluster_rows)[:1500]
        case_rows = []
        for i, (pid, home) in enumerate(chosen):
            day = CASES_FROM + timedelta(days=rng.randrange(span))
            at = timezone.make_aware(datetime(day.year, day.month, day.day, rng.randrange(7, 22), rng.randrange(60)))
            community = rng.random() < 0.7
            case_rows.append({
                "person_id": pid, "commune_id": home, "code": f"BR{i:07d}", "confirmed_at": at, "sample_date": day, "origin":
                "community" if community else "in_quarantine", "status": "isolating_home", "status_since": at,
                "infectious_from": day - timedelta(days=2), "isolated_at": at,
                "cluster_id": rng.choice(cluster_ids) if community and rng.random() < 0.5 else None})
        for batch in chunked(case_rows, 20_000):
            bulk_insert(Case, batch)
        figures["cases_s"] = round(time.perf_counter() - began, 1)

        provinces = list(AdminUnit.objects.filter(tree=TREE, level=AdminLevel.PROVINCE).values_list("id", flat=True))
        entered = []
        for uid in provinces:
            for kind, low, high in (("vax_adults_1dose", 60, 98), ("vax_elderly_full", 70, 95),
                                    ("vax_adults_full", 50, 90)):
                entered.append({"unit_id": uid, "kind": kind, "value": rng.uniform(low, high), "as_of": CASES_FROM})
            entered.append({"unit_id": uid, "kind": "capacity_met", "value": 1.0, "as_of": CASES_FROM})
        for uid in rng.sample(all_communes, 2000):
            entered.append({"unit_id": uid, "kind": "vax_adults_1dose", "value": rng.uniform(40, 99),
                            "as_of": CASES_FROM})
        for uid in rng.sample(all_communes, 500):
            entered.append({"unit_id": uid, "kind": "capacity_met", "value": 0.0, "as_of": CASES_FROM})
        bulk_insert(RiskInput, entered, same={"note": "bench_risk"})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics for the planners, as after a real import
    figures.update({"province": f"{province.code} {province.name}", "people": people, "cases": cases})
    return figures


def _timed(func, repeat: int = 3) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - began)
    return times, result


def measure(*, repeat: int = 3) -> dict:
    province = _largest_province()
    out: dict = {
        "province": f"{province.code} {province.name}",
        "province_communes": AdminUnit.objects.filter(tree=TREE, level=AdminLevel.COMMUNE,
                                                      path__startswith=province.path + "/").count(),
        "province_districts": AdminUnit.objects.filter(tree=TREE, level=AdminLevel.DISTRICT,
                                                       path__startswith=province.path + "/").count(),
        "country_units": AdminUnit.objects.filter(tree=TREE).count(),
        "country_communes": AdminUnit.objects.filter(tree=TREE, level=AdminLevel.COMMUNE).count(),
        "people": Person.objects.count(), "cases": Case.objects.count(), "clusters": Cluster.objects.count(),
    }
    for method, day in DAYS.items():
        days = policy_window_days(day, risk_policy(day))
        gather, found = _timed(lambda day=day, days=days: risk_inputs_gather(on=day, days=days), repeat)
        out[f"gather_{method}_s"] = round(min(gather), 3)
        out[f"community_cases_{method}"] = found[1]["community_cases"]
        for scope, root in (("province", province), ("country", None)):
            # The day before first: the capacity rule reads it; this is also the warm-up.
            risk_levels_compute(on=day - timedelta(days=1), tree=TREE, root=root, by=ACTOR)
            times, summary = _timed(lambda day=day, root=root: risk_levels_compute(on=day, tree=TREE, root=root, by=ACTOR),
                                    repeat)
            out[f"{scope}_{method}"] = {
                "units": summary.units, "total_s_min": round(min(times), 3),
                "total_s_median": round(statistics.median(times), 3),
                "levels_compute_s": round(summary.seconds, 3),
                "levels": {str(k): v for k, v in sorted(summary.levels.items())},
                "not_assessed": summary.not_assessed,
                "rows": RiskAssessment.objects.filter(on=day).count(),
            }
    out["clusters_open_by_kind_2686"] = dict(
        Cluster.objects.filter(opened_on__lte=DAYS["2686"]).values_list("kind").annotate(n=Count("id")).order_by())
    return out
