from django.db import migrations, models


def create_unless_there(apps, schema_editor):
    # A deployment that set CACHE=db before made the table with `manage.py createcachetable`.
    model = apps.get_model("core", "CacheEntry")
    if model._meta.db_table not in schema_editor.connection.introspection.table_names():
        schema_editor.create_model(model)


def drop(apps, schema_editor):
    schema_editor.delete_model(apps.get_model("core", "CacheEntry"))


class Migration(migrations.Migration):
    dependencies = [("core", "0005_policy_changed_at")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CacheEntry",
                    fields=[
                        ("cache_key", models.CharField(max_length=255, primary_key=True, serialize=False)),
                        ("value", models.TextField()),
                        ("expires", models.DateTimeField(db_index=True)),
                    ],
                    options={"db_table": "lachan_cache"},
                ),
            ],
        ),
        migrations.RunPython(create_unless_there, drop),
    ]
