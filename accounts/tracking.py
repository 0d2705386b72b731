"""A guard for models with history: no write may bypass simple-history.

``QuerySet.update()``, ``bulk_create()`` and ``bulk_update()`` write rows
without calling ``save()``, so django-simple-history never sees them and the
audit trail would silently miss changes. Every model with history uses
``TrackedManager``, whose queryset refuses those calls. (The benchmark data
generator, which needs bulk speed, says so explicitly with ``untracked``.)
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth.base_user import BaseUserManager
from django.db import models

_allow_untracked = ContextVar("allow_untracked_writes", default=False)


class UntrackedWriteError(RuntimeError):
    pass


@contextmanager
def untracked():
    """Allow bulk writes that skip history (synthetic benchmark data only)."""
    token = _allow_untracked.set(True)
    try:
        yield
    finally:
        _allow_untracked.reset(token)


def _refuse(queryset, method: str) -> None:
    if not _allow_untracked.get():
        raise UntrackedWriteError(
            f"{queryset.model.__name__}.objects.{method}() would bypass the audit history; "
            "save each object through its service instead."
        )


class TrackedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        _refuse(self, "update")
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        _refuse(self, "bulk_create")
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        _refuse(self, "bulk_update")
        return super().bulk_update(objs, *args, **kwargs)

    def update_or_create(self, *args, **kwargs):
        _refuse(self, "update_or_create")
        return super().update_or_create(*args, **kwargs)


class TrackedManager(models.Manager.from_queryset(TrackedQuerySet)):
    pass


class TrackedUserManager(BaseUserManager.from_queryset(TrackedQuerySet)):
    pass
