"""The historic `quarantine` policy versions (DESIGN §5, "Quarantine of F1 over time") as data.

Contacts (F1): 14 days at home (03/2020); 21 days in a facility then 7 at home, tests on days 1, 14 and 20
(05/2021); 14 in a facility + 14 at home, tests 1, 7, 14 (07/2021); vaccinated or recovered 7 days at home,
tests 1 and 7, others 14 days, tests 1, 7, 14 (12/2021); 5 days (vaccinated / recovered) or 7 (02/2022);
no quarantine of contacts from 04/2022 (10 days of precautions, not an order). Day 1 is the day of the last
exposure. What DESIGN §5 does not give (exact first days, the tests of 2020, the isolation of cases) is our
best reading of the rules of the time and is marked "?" in `source`: check before relying on it.
The last version is open-ended; a province adds its own through core.policies (policy_supersede)."""

import datetime

from django.db import migrations

MONITORING = {"geofence_radius_m": 50, "silent_after_minutes": 60, "report_by": "20:00", "fever_from_c": 38.0,
              "spo2_below": 96}


def same(regime):
    return {"none": regime, "vaccinated": regime, "recovered": regime}


def reg(days, tests, *, facility=0, count_from="start"):
    return {"days": days, "facility_days": facility, "test_days": tests, "count_from": count_from}


def contacts(days, tests, *, facility=0):
    return reg(days, tests, facility=facility, count_from="exposure")


# Cases (F0): treated in a facility until negative, then monitored at home (2020 – 11/2021, "?"); isolation at
# home of 10 days for the vaccinated, 14 for others, with a rapid test at the end (12/2021, Decision 4689/QĐ-BYT
# "?"); 7 days, test on day 7, else up to 10 (02/2022, Decision 250/QĐ-BYT "?"); 7 days, no test to end
# (04/2022 "?").
ISOLATION_2020 = same(reg(28, [14], facility=14))
ISOLATION_2021_07 = same(reg(21, [14], facility=14))
ISOLATION_2021_12 = {"none": reg(14, [14]), "vaccinated": reg(10, [10]), "recovered": reg(10, [10])}
ISOLATION_2022_02 = {"none": reg(10, [7, 10]), "vaccinated": reg(7, [7]), "recovered": reg(7, [7])}
ISOLATION_2022_04 = same(reg(7, []))

POLICIES = [
    ("2020-03 (14 days at home)", datetime.date(2020, 3, 1), datetime.date(2021, 4, 30),
     {"quarantine": same(contacts(14, [1, 14])), "isolation": ISOLATION_2020, **MONITORING},
     "DESIGN §5: F1 14 days at home (03/2020). ? first day, tests on days 1 and 14, isolation of cases"),
    ("2021-05 (21 days facility + 7 home)", datetime.date(2021, 5, 1), datetime.date(2021, 6, 30),
     {"quarantine": same(contacts(28, [1, 14, 20], facility=21)), "isolation": ISOLATION_2020, **MONITORING},
     "DESIGN §5: 21 days in a facility then 7 at home, tests days 1, 14, 20 (05/2021). ? exact dates, isolation"),
    ("2021-07 (14 days facility + 14 home)", datetime.date(2021, 7, 1), datetime.date(2021, 11, 30),
     {"quarantine": same(contacts(28, [1, 7, 14], facility=14)), "isolation": ISOLATION_2021_07, **MONITORING},
     "DESIGN §5: 14 days in a facility + 14 at home, tests days 1, 7, 14 (07/2021). ? exact dates, isolation"),
    ("11042/BYT-DP (12/2021)", datetime.date(2021, 12, 1), datetime.date(2022, 1, 31),
     {"quarantine": {"none": contacts(14, [1, 7, 14]), "vaccinated": contacts(7, [1, 7]),
                     "recovered": contacts(7, [1, 7])},
      "isolation": ISOLATION_2021_12, **MONITORING},
     "Official Dispatch 11042/BYT-DP (12/2021), DESIGN §5: vaccinated or recovered 7 days at home, tests 1 and 7; "
     "others 14 days, tests 1, 7, 14. ? others at home, isolation of cases"),
    ("2022-02 (5 or 7 days)", datetime.date(2022, 2, 1), datetime.date(2022, 4, 3),
     {"quarantine": {"none": contacts(7, [7]), "vaccinated": contacts(5, [5]), "recovered": contacts(5, [5])},
      "isolation": ISOLATION_2022_02, **MONITORING},
     "DESIGN §5: 5 days (vaccinated or recovered) or 7 (02/2022). ? the dispatch number, tests on the last day, "
     "isolation of cases"),
    ("1909/BYT-DP (04/2022)", datetime.date(2022, 4, 4), None,
     {"quarantine": None, "isolation": ISOLATION_2022_04, **MONITORING},
     "DESIGN §5: no quarantine of contacts, 10 days of precautions (04/2022). ? first day as the tracing policy "
     "1909/BYT-DP, isolation of cases 7 days"),
]


def seed(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for version, start, end, rules, source in POLICIES:
        Policy.objects.update_or_create(kind="quarantine", version=version, defaults={
            "valid_from": start, "valid_to": end, "rules": rules, "source": source})


def unseed(apps, schema_editor):
    apps.get_model("core", "Policy").objects.filter(kind="quarantine", version__in=[p[0] for p in POLICIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("quarantine", "0001_initial"), ("core", "0002_policy")]
    operations = [migrations.RunPython(seed, unseed)]
