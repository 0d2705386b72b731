"""No code may write a model with history behind simple-history's back."""

import pytest
from django.apps import apps

from accounts.tracking import TrackedQuerySet, UntrackedWriteError
from casework.models import Case

pytestmark = pytest.mark.django_db


def models_with_history():
    return [
        model
        for model in apps.get_models()
        if hasattr(model, "history")
        and not model.__name__.startswith("Historical")
        and model._meta.app_label in {"accounts", "casework", "referrals", "reports"}
    ]


def test_every_model_with_history_refuses_untracked_writes():
    models = models_with_history()
    assert {m.__name__ for m in models} >= {
        "User",
        "Agency",
        "Membership",
        "Client",
        "Case",
        "CaseNote",
        "FollowUp",
        "Document",
        "ClientSensitive",
        "IdentityDocument",
    }
    for model in models:
        manager = model._default_manager
        assert isinstance(manager.all(), TrackedQuerySet), model.__name__
        for related in model._meta.related_objects:
            # Related managers (case.notes.update()) use the same queryset class.
            assert isinstance(
                related.related_model._default_manager.all(), TrackedQuerySet
            ) or not hasattr(related.related_model, "history")


def test_update_and_bulk_writes_raise(case):
    with pytest.raises(UntrackedWriteError):
        Case.objects.filter(pk=case.pk).update(risk_level="high")
    with pytest.raises(UntrackedWriteError):
        case.notes.update(body="x")
    with pytest.raises(UntrackedWriteError):
        Case.objects.bulk_update([case], ["risk_level"])
    with pytest.raises(UntrackedWriteError):
        Case.objects.bulk_create([])
    case.refresh_from_db()
    assert case.risk_level == "medium"
