"""Rate-limit buckets keep a keyed hash of their key, not the e-mail or IP address in it, and when they are
full again (full_at) so that housekeeping can prune them. The rows kept so far had raw keys: deleted, which
loses nothing but their spent tokens (every limit starts full again)."""

import django.utils.timezone
from django.db import migrations, models


def forget_raw_keys(apps, schema_editor):
    apps.get_model("accounts", "RateBucket").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens"),
    ]

    operations = [
        migrations.RunPython(forget_raw_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ratebucket",
            name="key",
            field=models.CharField(
                help_text="HMAC-SHA256 of the action and client", max_length=64, unique=True
            ),
        ),
        migrations.AddField(
            model_name="ratebucket",
            name="full_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]
