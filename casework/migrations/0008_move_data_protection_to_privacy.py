"""Legal holds, retention periods and erasures now belong to privacy
(``privacy.0001``), with their tables unchanged: they leave casework's state
only. Their content types move to the app label privacy, so the permissions
on them (``privacy.add_legalhold``, ``privacy.change_retentionpolicy``…) and
anything pointing at those content types keep their rows."""

from django.db import migrations

MODELS = (
    "legalhold",
    "historicallegalhold",
    "retentionpolicy",
    "historicalretentionpolicy",
    "erasure",
)


def _move_content_types(apps, schema_editor, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        moving = content_types.filter(app_label=source, model=model).first()
        if moving is None:
            continue
        # A content type the target app has already (its post_migrate ran the
        # new code once, e.g. after a rollback) holds only the permissions that
        # migrate created for it and the role groups' copies of them, which
        # the refresh after migrate grants again: it gives way to the one that
        # has been there all along, whose id everything else points at.
        content_types.filter(app_label=target, model=model).delete()
        moving.app_label = target
        moving.save(update_fields=["app_label"])


def to_privacy(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, "casework", "privacy")


def to_casework(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, "privacy", "casework")


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0007_anonymised_at"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("privacy", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Erasure"),
                migrations.DeleteModel(name="HistoricalLegalHold"),
                migrations.DeleteModel(name="HistoricalRetentionPolicy"),
                migrations.DeleteModel(name="LegalHold"),
                migrations.DeleteModel(name="RetentionPolicy"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(to_privacy, to_casework, elidable=False),
    ]
