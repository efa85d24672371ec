"""search_name_rev (words last to first) for given-name searches, and on PostgreSQL the "C" collation on
both search keys: they are lower-case ASCII, and byte order makes prefix searches plain index ranges
(with a linguistic collation PostgreSQL cannot use a B-tree for LIKE 'x%')."""

from django.db import migrations, models


def fill_reversed(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    batch = []
    for pk, name in Person.objects.values_list("pk", "search_name").iterator(chunk_size=5000):
        batch.append(Person(pk=pk, search_name_rev=" ".join(reversed(name.split()))))
        if len(batch) >= 5000:
            Person.objects.bulk_update(batch, ["search_name_rev"])
            batch = []
    if batch:
        Person.objects.bulk_update(batch, ["search_name_rev"])


def byte_order_collation(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in ("search_name", "search_name_rev"):
        schema_editor.execute(f'ALTER TABLE people_person ALTER COLUMN {column} TYPE varchar(150) COLLATE "C"')


class Migration(migrations.Migration):
    dependencies = [("people", "0003_search_name_trigram")]

    operations = [
        migrations.AddField(
            model_name="person",
            name="search_name_rev",
            field=models.CharField(db_index=True, default="", editable=False, max_length=150),
        ),
        migrations.RunPython(fill_reversed, migrations.RunPython.noop),
        migrations.RunPython(byte_order_collation, migrations.RunPython.noop, elidable=False),
    ]
