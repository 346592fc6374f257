import papertide.catalog.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_paper_first_seen"),
    ]

    operations = [
        # Runs made before this migration have no owner (""), so none is taken for interrupted; new runs
        # record the process that makes them.
        migrations.AddField(
            model_name="ingestrun",
            name="owner",
            field=models.CharField(
                blank=True, default="", help_text="The process running it (host:pid).", max_length=200
            ),
        ),
        migrations.AlterField(
            model_name="ingestrun",
            name="owner",
            field=models.CharField(
                blank=True,
                default=papertide.catalog.models.this_process,
                help_text="The process running it (host:pid).",
                max_length=200,
            ),
        ),
    ]
