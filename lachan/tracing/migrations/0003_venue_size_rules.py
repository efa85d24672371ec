"""The venue size rules of the tracing policy (issue 12, item 17) written into the versions that lack them, with the
values that applied to them anyway (the defaults of lachan.tracing.policy), so that the policy pages show them."""

from django.db import migrations

SIZE_RULES = {
    "venue_kind_min_people": {"market": 200, "supermarket": 200, "bus_station": 200, "hospital": 200},
    "large_venue_min_capacity": 50,
    "large_venue_min_area_m2": 150,
}


def add(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for policy in Policy.objects.filter(kind="tracing"):
        missing = {key: value for key, value in SIZE_RULES.items() if key not in (policy.rules or {})}
        if missing:
            policy.rules = {**(policy.rules or {}), **missing}
            policy.save(update_fields=["rules"])


class Migration(migrations.Migration):
    dependencies = [("tracing", "0002_seed_policies_and_templates"), ("core", "0005_policy_changed_at")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
