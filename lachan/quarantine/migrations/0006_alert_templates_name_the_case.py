"""The station's alert about a case without an order read "Quyết định: F0-…" (the case's code where an order's
number goes): such alerts now say "Ca bệnh: F0-…" / "Case: F0-…" (the `case` of the alert's context, empty when
there is an order). Templates are editable data: only the rows still equal to the text seeded by 0003 change."""

from importlib import import_module

from django.db import migrations

SEEDED = import_module("lachan.quarantine.migrations.0003_monitoring_templates")
CODE = "quarantine.alert"

# (channel, language) → (the text 0003 seeded, what replaces it). The SMS keep "{{ name }} ({{ code }})": a bare
# "(F0-…)" names no order, and one SMS has no room for the condition (notifications' test of the seeded SMS).
REPLACE = {
    ("email", "vi"): ("Quyết định: {{ code }}", "{% if case %}Ca bệnh: {{ case }}{% else %}Quyết định: {{ code }}{% endif %}"),
    ("email", "en"): ("Order: {{ code }}", "{% if case %}Case: {{ case }}{% else %}Order: {{ code }}{% endif %}"),
}


def _bodies():
    for code, channel, language, _subject, body, _description in SEEDED.TEMPLATES:
        if code == CODE and (channel, language) in REPLACE:
            old, new = REPLACE[(channel, language)]
            assert body.count(old) == 1, (channel, language)
            yield channel, language, body, body.replace(old, new)


def forward(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for channel, language, seeded, named in _bodies():
        MessageTemplate.objects.filter(code=CODE, channel=channel, language=language, body=seeded).update(body=named)


def backward(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for channel, language, seeded, named in _bodies():
        MessageTemplate.objects.filter(code=CODE, channel=channel, language=language, body=named).update(body=seeded)


class Migration(migrations.Migration):
    dependencies = [("quarantine", "0005_alert_without_order")]
    operations = [migrations.RunPython(forward, backward)]
