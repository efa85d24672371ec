"""The historic `risk` policy versions (DESIGN §5, "Risk levels") as data; lachan.risk.policy describes the rules.

- Decision 2686/QĐ-BCĐQG (31/05/2021): levels by the nature of clusters. The window of 14 days, the distance
  that stands for "bordering" when no boundaries are imported and the district rules (shares of communes) are our
  reading: marked "?".
- Resolution 128/NQ-CP with Decision 4800/QĐ-BYT (12/10/2021): the matrix of DESIGN §5. Its published results
  (< 20 met → 1, < 20 not met → 2, 20–< 50 met → 2, ≥ 150 met → 3) are certain; the other cells are DESIGN's "?".
  Capacity not met: the level is not lowered below the unit's latest level of the week before. Districts and the
  province are assessed on their own totals ("?").
- Decision 218/QĐ-BYT (27/01/2022) replaced 4800 with a matrix whose first criterion also counts patients on
  oxygen and deaths (not modelled here). Only "very high from 600 cases per 100,000 per week" and the coverage
  thresholds (75 % fully vaccinated, 90 % of the vulnerable) come from a press report of the decision; the other
  bands, the groups behind the thresholds and the capacity rule are "?": check the decision before relying on it.

The last version is open-ended; a province adds its own through core.policies (policy_supersede)."""

import datetime

from django.db import migrations

CLUSTERS_2686 = {
    "method": "clusters_2686",
    "window_days": 14,
    "very_high_cluster_kinds": ["unknown", "industrial_park", "school", "supermarket"],
    "high_if_untraceable_case": True,
    "high_if_bordering_very_high": True,
    "neighbour_within_km": 3,
    "upward": {"method": "shares", "otherwise": 1, "rules": [
        {"level": 4, "min_level": 4, "share": 0.5},
        {"level": 3, "min_level": 3, "share": 0.5},
        {"level": 2, "min_level": 2, "share": 0.5},
        {"level": 2, "min_level": 3, "count": 1},
    ]},
}

MATRIX_4800 = {
    "method": "matrix_4800",
    "window_days": 7,
    "per": 100000,
    "bands": [
        {"from": 0, "to": 20, "met": 1, "not_met": 2},
        {"from": 20, "to": 50, "met": 2, "not_met": 3},
        {"from": 50, "to": 150, "met": 3, "not_met": 4},
        {"from": 150, "to": None, "met": 3, "not_met": 4},
    ],
    "vaccination": [{"input": "vax_adults_1dose", "min_percent": 70}, {"input": "vax_elderly_full", "min_percent": 80}],
    "capacity": {"when_not_met": "not_lowered", "lookback_days": 7, "when_missing": "ignore"},
    "upward": {"method": "matrix"},
}

MATRIX_218 = {
    "method": "matrix_218",
    "window_days": 7,
    "per": 100000,
    "bands": [
        {"from": 0, "to": 50, "met": 1, "not_met": 2},
        {"from": 50, "to": 150, "met": 2, "not_met": 3},
        {"from": 150, "to": 600, "met": 3, "not_met": 3},
        {"from": 600, "to": None, "met": 4, "not_met": 4},
    ],
    "vaccination": [{"input": "vax_adults_full", "min_percent": 75}, {"input": "vax_elderly_full", "min_percent": 90}],
    "capacity": {"when_not_met": "not_lowered", "lookback_days": 7, "when_missing": "ignore"},
    "upward": {"method": "matrix"},
}

POLICIES = [
    ("2686/QĐ-BCĐQG (05/2021)", datetime.date(2021, 5, 31), datetime.date(2021, 10, 11), CLUSTERS_2686,
     "Decision 2686/QĐ-BCĐQG, DESIGN §5: clusters of unknown source or in industrial parks, schools, supermarkets "
     "→ 4; untraceable case or bordering a 4 → 3; known-source cases → 2. ? 14-day window, 3 km, district shares"),
    ("128/NQ-CP + 4800/QĐ-BYT (10/2021)", datetime.date(2021, 10, 12), datetime.date(2022, 1, 26), MATRIX_4800,
     "Resolution 128/NQ-CP, Decision 4800/QĐ-BYT, DESIGN §5 (published cells certain). ? cells 20–<50 not met, "
     "50–<150, ≥150 not met; capacity: not lowered vs the week before; districts and province on own totals"),
    ("218/QĐ-BYT (01/2022) ?", datetime.date(2022, 1, 27), None, MATRIX_218,
     "Decision 218/QĐ-BYT (replaced 4800). ? only ≥ 600 → 4 and coverage 75 % / 90 % from a press report; other "
     "bands, age groups and capacity rule unverified; oxygen and death components not modelled"),
]


def seed(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for version, start, end, rules, source in POLICIES:
        Policy.objects.update_or_create(kind="risk", version=version, defaults={
            "valid_from": start, "valid_to": end, "rules": rules, "source": source})


def unseed(apps, schema_editor):
    apps.get_model("core", "Policy").objects.filter(kind="risk", version__in=[p[0] for p in POLICIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial"), ("core", "0002_policy")]
    operations = [migrations.RunPython(seed, unseed)]
