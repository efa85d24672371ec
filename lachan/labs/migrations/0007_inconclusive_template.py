"""A message for an inconclusive or invalid result: the person must be swabbed again (the pool re-test text
speaks of a pooled sample)."""

from django.db import migrations

TEMPLATES = [  # SMS: ASCII; sensitive (health data)
    ("labs.result_inconclusive", "vi",
     "La Chan: Mau {{ code }} ngay {{ date }} chua cho ket qua ro rang. Hay den tram y te de lay mau lai."),
    ("labs.result_inconclusive", "en",
     "La Chan: Sample {{ code }} of {{ date }} gave no clear result. Please come to the health station for a new swab."),
]


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, language, body in TEMPLATES:
        MessageTemplate.objects.update_or_create(code=code, channel="sms", language=language, version=1, defaults={
            "subject": "", "body": body, "sensitive": True, "description": "Laboratory result", "active": True})


def unseed(apps, schema_editor):
    apps.get_model("notifications", "MessageTemplate").objects.filter(
        code__in={t[0] for t in TEMPLATES}, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("labs", "0006_pool_constraint_skips_rejected"), ("notifications", "0002_seed_templates")]
    operations = [migrations.RunPython(seed, unseed)]
