"""Paper.first_seen: when the catalog first had the paper. Added nullable and without a database default,
so that SQLite adds the column in place (rebuilding catalog_paper would drop search's trigger on it);
existing papers take their creation time, the best record there is of when they arrived."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_codelink_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="first_seen",
            field=models.DateTimeField(blank=True, db_index=True, editable=False, null=True),
        ),
        migrations.RunSQL(
            "UPDATE catalog_paper SET first_seen = created_at WHERE first_seen IS NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
