"""Recompute every client's ``search_text`` with the current rules of
``casework.names.search_text``: the Arabic article joined to the next word
and split off where it was written joined (al-Hassan, Alhasan, El Hassan find
each other). Only the derived column changes; names and history are untouched.

It calls the live function on purpose: the column is a cache of it, and the
next change of the rules recomputes it the same way."""

from django.db import migrations

BATCH = 2000


def recompute_search_text(apps, schema_editor):
    from casework.names import search_text

    Client = apps.get_model("casework", "Client")
    clients = Client.objects.using(schema_editor.connection.alias).order_by("pk")
    last = None
    while True:
        batch = clients if last is None else clients.filter(pk__gt=last)
        rows = list(batch.values_list("pk", "name", "name_latin", "preferred_name")[:BATCH])
        if not rows:
            return
        changed = [
            Client(pk=pk, search_text=search_text(name, name_latin, preferred_name))
            for pk, name, name_latin, preferred_name in rows
        ]
        clients.bulk_update(changed, ["search_text"])
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0008_move_data_protection_to_privacy"),
    ]

    operations = [
        migrations.RunPython(recompute_search_text, migrations.RunPython.noop, elidable=True),
    ]
