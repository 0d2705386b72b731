import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Idempotency records keep the created record's id, not the response body."""

    dependencies = [
        ("accounts", "0002_idempotencyrecord"),
    ]

    operations = [
        migrations.RemoveField(model_name="idempotencyrecord", name="response_body"),
        migrations.RemoveField(model_name="idempotencyrecord", name="headers"),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="resource_id",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="expires_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]
