"""Recompute every client's derived name columns (``search_text``,
``name_key``, ``name_latin_key``) with the current rules of
``casework.names``: scripts without a hand-written table (Cyrillic, Ge'ez,
Georgian, Devanagari…) are transliterated by anyascii, and a word keeps its
combining vowel signs. Only the derived columns change; names and history are
untouched.

It calls the live functions on purpose: the columns are a cache of them, and
the next change of the rules recomputes them the same way."""

from django.db import migrations

BATCH = 2000


def recompute_name_keys(apps, schema_editor):
    from casework.names import name_key, search_text

    Client = apps.get_model("casework", "Client")
    clients = Client.objects.using(schema_editor.connection.alias).order_by("pk")
    last = None
    while True:
        batch = clients if last is None else clients.filter(pk__gt=last)
        rows = list(batch.values_list("pk", "name", "name_latin", "preferred_name")[:BATCH])
        if not rows:
            return
        changed = [
            Client(
                pk=pk,
                search_text=search_text(name, name_latin, preferred_name),
                name_key=name_key(name),
                name_latin_key=name_key(name_latin),
            )
            for pk, name, name_latin, preferred_name in rows
        ]
        clients.bulk_update(changed, ["search_text", "name_key", "name_latin_key"])
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0009_search_text_articles"),
    ]

    operations = [
        migrations.RunPython(recompute_name_keys, migrations.RunPython.noop, elidable=True),
    ]
