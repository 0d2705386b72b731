"""The access log's rows name the key that hashed them (HMAC-SHA256 with one of
ACCESS_LOG_KEYS). Rows already there keep key_id "" and their plain SHA-256:
they still verify, and verify_access_log reports them as hashed without a key.
Adding a column with a default rewrites no row, so PostgreSQL's append-only
trigger is not involved."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_emergency_access_agreement"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="key_id",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=16
            ),
        ),
    ]
