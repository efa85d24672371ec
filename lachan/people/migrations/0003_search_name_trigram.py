"""On PostgreSQL, a trigram index lets name searches that match inside a name ("van an") use an index.
SQLite has no pg_trgm; there the ordered search_name index serves prefix queries."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS people_person_search_name_trgm "
        "ON people_person USING gin (search_name gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS people_person_search_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("people", "0002_phone_alt_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
