"""Writing records with their history: actor and reason on every change.

Every service saves through ``save_with_history`` so that django-simple-history
records who made the change and why, in the same transaction as the change.
"""

from django.db import models


def save_with_history(
    instance: models.Model,
    *,
    actor,
    reason: str = "",
    update_fields: list[str] | None = None,
) -> None:
    """Validate and save ``instance``; its history row names ``actor`` and ``reason``.

    ``full_clean`` runs on every save, so a unique or check constraint becomes a
    ValidationError naming the field (a 400), never an IntegrityError (a 500).
    """
    instance.full_clean()
    instance._history_user = actor
    instance._change_reason = reason
    try:
        if update_fields is not None and not instance._state.adding:
            auto_now = [
                f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)
            ]
            instance.save(update_fields=[*update_fields, *auto_now])
        else:
            instance.save()
    finally:
        del instance._history_user
        del instance._change_reason
