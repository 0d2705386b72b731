"""On PostgreSQL the access log refuses UPDATE and DELETE, whoever asks: a
trigger raises, so even the application's own database role cannot rewrite
history. (TRUNCATE is left to the table owner for test-database flushes;
an emptied log or a cut tail is not detectable from the chain alone: keep the
chain heads printed by verify_access_log somewhere else to anchor them.)"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION sanad_access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE ON accounts_accesslog
    FOR EACH ROW EXECUTE FUNCTION sanad_access_log_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS access_log_append_only ON accounts_accesslog;
DROP FUNCTION IF EXISTS sanad_access_log_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_access_log")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
