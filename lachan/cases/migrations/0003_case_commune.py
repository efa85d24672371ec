# A case's commune, denormalised from its person's commune of residence (issue 12 item 22): jurisdiction reads
# a commune's cases as one index range (commune, confirmed_at) instead of through each case's person.

import django.db.models.deletion
from django.db import migrations, models


def fill_commune(apps, schema_editor):
    # One statement for every case (100,000 in the bench data), the same on SQLite and PostgreSQL.
    schema_editor.execute(
        "UPDATE cases_case SET commune_id = "
        "(SELECT people_person.commune_id FROM people_person WHERE people_person.id = cases_case.person_id)"
    )
    if schema_editor.connection.vendor == "postgresql":
        # The foreign key's deferred checks run now, so the table can be altered in the same transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0002_cluster_closing'),
        ('geo', '0001_initial'),
        ('people', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='commune',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name='+', to='geo.adminunit', verbose_name='commune'),
        ),
        migrations.RunPython(fill_commune, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='case',
            name='commune',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+',
                                    to='geo.adminunit', verbose_name='commune'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['commune', 'confirmed_at'], name='cases_case_commune_confirmed'),
        ),
        # Statistics for the new index: without them SQLite takes it for a province's 547 communes too (547 ranges
        # and a sort of two weeks' 13,000 cases) instead of walking the newest cases by confirmed_at.
        migrations.RunSQL("ANALYZE cases_case", migrations.RunSQL.noop),
    ]
