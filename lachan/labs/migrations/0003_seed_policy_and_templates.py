"""The laboratory policy (pool sizes, Ct range; DESIGN §5) and the result message templates."""

import datetime

from django.db import migrations

POLICIES = [
    ("3486/QĐ-BYT", datetime.date(2020, 1, 1), None,
     {"min_pool_size": 2, "max_pool_size": 10, "ct_min": 0.0, "ct_max": 45.0, "positivity_days": 14},
     "Decision 3486/QĐ-BYT: pools of 2–10 swabs, smaller where prevalence is higher"),
]

TEMPLATES = [  # SMS: ASCII; sensitive (health data), so the context is not kept after sending
    ("labs.result_negative", "vi", "La Chan: Mau {{ code }} ngay {{ date }}: AM TINH. Tra cuu va tai phieu ket qua tai {{ url }}"),
    ("labs.result_negative", "en", "La Chan: Sample {{ code }} of {{ date }}: NEGATIVE. Result slip at {{ url }}"),
    ("labs.result_positive", "vi",
     "La Chan: Mau {{ code }} ngay {{ date }}: DUONG TINH. Hay o nha, cach ly; tram y te se lien he ngay."),
    ("labs.result_positive", "en",
     "La Chan: Sample {{ code }} of {{ date }}: POSITIVE. Stay home and isolate; the health station will call you."),
    ("labs.pool_retest", "vi",
     "La Chan: Mau gop {{ code }} ngay {{ date }} can xet nghiem lai. Hay den tram y te de lay mau rieng."),
    ("labs.pool_retest", "en",
     "La Chan: Pooled sample {{ code }} of {{ date }} needs a re-test. Please come to the health station for a swab."),
]


def seed(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for version, start, end, rules, source in POLICIES:
        Policy.objects.update_or_create(kind="labs", version=version, defaults={
            "valid_from": start, "valid_to": end, "rules": rules, "source": source})
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, language, body in TEMPLATES:
        MessageTemplate.objects.update_or_create(code=code, channel="sms", language=language, version=1, defaults={
            "subject": "", "body": body, "sensitive": True, "description": "Laboratory result", "active": True})


def unseed(apps, schema_editor):
    apps.get_model("core", "Policy").objects.filter(kind="labs", version__in=[p[0] for p in POLICIES]).delete()
    apps.get_model("notifications", "MessageTemplate").objects.filter(
        code__in={t[0] for t in TEMPLATES}, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("labs", "0002_samples_swabs_results"), ("core", "0002_policy"),
                    ("notifications", "0002_seed_templates")]
    operations = [migrations.RunPython(seed, unseed)]
