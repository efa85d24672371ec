"""Tracing policy versions (DESIGN §5, ADR 0002) and the exposure-notice message templates."""

import datetime

from django.db import migrations

STAYS = {"market": 60, "supermarket": 45, "restaurant": 60, "cafe": 60, "office": 480, "school": 300,
         "religious": 90, "bus_station": 60, "hospital": 120, "clinic": 60, "pharmacy": 15, "gym": 90,
         "karaoke": 120, "barber": 45, "other": 60}


def rules(distance):
    return {
        "infectious_days_before_onset": 2, "horizon_days": 21, "f1_min_minutes_small_room": 15,
        "f1_max_distance_m": distance, "f1_min_minutes_proximity": 15, "household_is_f1": True,
        "large_venue_is_notice": True, "trace_f2": True, "trace_f3": False, "default_stay_minutes": STAYS,
        "max_stay_minutes": 8 * 60 + 30, "dedupe_minutes": 30,
    }


POLICIES = [
    ("2021-05 (15 min / 2 m)", datetime.date(2021, 5, 1), datetime.date(2021, 11, 30), rules(2.0),
     "Ministry of Health guidance in force 05–11/2021 (DESIGN §5)"),
    ("11042/BYT-DP", datetime.date(2021, 12, 1), datetime.date(2022, 4, 3), rules(2.0),
     "Official Dispatch 11042/BYT-DP (12/2021)"),
    ("1909/BYT-DP", datetime.date(2022, 4, 4), None, rules(1.0), "Official Dispatch 1909/BYT-DP (04/2022)"),
]

TEMPLATES = [  # SMS: ASCII, at most 130 characters before the variables
    ("tracing.exposure_notice", "sms", "vi",
     "La Chan: Ban o {{ place }} luc {{ when }} cung luc voi ca benh. Theo doi suc khoe 14 ngay; co trieu chung goi {{ phone }}."),
    ("tracing.exposure_notice", "sms", "en",
     "La Chan: You were at {{ place }} at {{ when }} with a case. Watch your health 14 days; if ill call {{ phone }}."),
    ("tracing.f1_notice", "sms", "vi",
     "La Chan: Ban la F1 cua ca benh ({{ when }}). Hay o nha, han che tiep xuc; tram y te se goi huong dan."),
    ("tracing.f1_notice", "sms", "en",
     "La Chan: You are a close contact (F1) of a case ({{ when }}). Stay home; the health station will call you."),
]


def seed(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for version, start, end, rule_set, source in POLICIES:
        Policy.objects.update_or_create(kind="tracing", version=version, defaults={
            "valid_from": start, "valid_to": end, "rules": rule_set, "source": source})
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, channel, language, body in TEMPLATES:
        MessageTemplate.objects.update_or_create(code=code, channel=channel, language=language, version=1, defaults={
            "subject": "", "body": body, "sensitive": True, "description": "Tracing notice", "active": True})


def unseed(apps, schema_editor):
    apps.get_model("core", "Policy").objects.filter(kind="tracing", version__in=[p[0] for p in POLICIES]).delete()
    apps.get_model("notifications", "MessageTemplate").objects.filter(
        code__in=["tracing.exposure_notice", "tracing.f1_notice"], version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("tracing", "0001_initial"), ("core", "0002_policy"), ("notifications", "0002_seed_templates")]
    operations = [migrations.RunPython(seed, unseed)]
