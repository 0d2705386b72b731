"""A trigram index on clients' ``search_text`` (PostgreSQL's pg_trgm), so
that a name search which matches few clients or none does not walk every
client in scope: ``LIKE '% word%'`` is answered from the index. SQLite (the
embedded default, a few thousand clients) has no such index and needs none.

Built CONCURRENTLY (the migration is not atomic): on a database in use the
table stays writable while the index is made. pg_trgm is a trusted extension
(PostgreSQL 13+): the database's owner may create it.
"""

from django.db import migrations

INDEX = "client_search_text_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} "
        "ON casework_client USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("casework", "0010_name_keys_anyascii")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
