"""The call list read newest exposure first off an index (it sorted every contact in the jurisdiction); a case's
contacts by tier off another (the tracing report's pages, the transmission chain)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracing', '0003_venue_size_rules'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['exposed_at', 'id'], name='tracing_contact_recent'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['call_status', 'exposed_at', 'id'], name='tracing_contact_status_recent'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['index_case', 'tier', 'id', 'commune'], name='tracing_contact_case_tier'),
        ),
        # Statistics for the new indexes: without them SQLite drives a province's page from the commune index and
        # sorts every contact.
        migrations.RunSQL("ANALYZE tracing_contact", migrations.RunSQL.noop),
    ]
