"""Issue 10: legal holds, retention periods and erasures moved from casework to
privacy with their tables. A database holding such rows at the previous head
(casework 0007, no privacy app) is migrated to the latest migrations, and the
rows — a legal hold's history row too — are read back through
``privacy.models``; their content types (and so the permissions on them) keep
their ids under the app label privacy."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from privacy.models import Erasure, LegalHold, RetentionPolicy

# The previous head: casework before the move, and no privacy app yet.
PREVIOUS_HEAD = [("casework", "0007_anonymised_at"), ("privacy", None)]
MOVED = (
    "legalhold",
    "historicallegalhold",
    "retentionpolicy",
    "historicalretentionpolicy",
    "erasure",
)


def _write_rows(old_apps) -> dict[str, uuid.UUID]:
    """An agency, its DPO, a client with a case under a legal hold (and the
    hold's history row), a retention period and an erasure, written with the
    models of the previous head."""
    Agency = old_apps.get_model("accounts", "Agency")
    User = old_apps.get_model("accounts", "User")
    Client = old_apps.get_model("casework", "Client")
    Case = old_apps.get_model("casework", "Case")
    OldLegalHold = old_apps.get_model("casework", "LegalHold")
    OldHistoricalLegalHold = old_apps.get_model("casework", "HistoricalLegalHold")
    OldRetentionPolicy = old_apps.get_model("casework", "RetentionPolicy")
    OldErasure = old_apps.get_model("casework", "Erasure")

    agency = Agency.objects.create(
        slug="amal", name="Amal Refugee Support", kind="ngo", country="IT"
    )
    dpo = User.objects.create(email="dpo@amal.example", display_name="Hana DPO", password="!")
    client = Client.objects.create(agency=agency, name="Client", registered_by=dpo)
    case = Case.objects.create(
        agency=agency, client=client, number="AMAL-2026-00001", case_type="housing", created_by=dpo
    )
    placed_at = timezone.now() - timedelta(days=3)
    hold = OldLegalHold.objects.create(
        client=client, case=case, reason="Court case", placed_by=dpo, placed_at=placed_at
    )
    OldHistoricalLegalHold.objects.create(
        id=hold.pk,
        client=client,
        case=case,
        reason="Court case",
        placed_by=dpo,
        placed_at=placed_at,
        history_date=placed_at,
        history_type="+",
        history_user=dpo,
        history_change_reason="legal hold placed",
    )
    policy = OldRetentionPolicy.objects.create(agency=agency, kind="closed_case", days=365)
    erasure = OldErasure.objects.create(
        client_id=uuid.uuid4(),
        agency=agency,
        cause="request",
        reason="Asked in writing",
        erased_by=dpo,
        counts={"clients": 1, "cases": 2},
    )
    # A role group granted the permission on legal holds at the previous head,
    # and a privacy content type for legal holds that a migrate run with the new
    # code left behind (after a rollback): the grant survives, the stray goes.
    Group = old_apps.get_model("auth", "Group")
    Permission = old_apps.get_model("auth", "Permission")
    ContentType = old_apps.get_model("contenttypes", "ContentType")
    add_hold = Permission.objects.get(content_type__app_label="casework", codename="add_legalhold")
    group = Group.objects.create(name="amal:dpo-before-the-move")
    group.permissions.add(add_hold)
    stray = ContentType.objects.create(app_label="privacy", model="legalhold")
    Permission.objects.create(content_type=stray, codename="add_legalhold", name="Can add")
    return {
        "group": group.pk,
        "add_hold": add_hold.pk,
        "stray": stray.pk,
        "client": client.pk,
        "case": case.pk,
        "dpo": dpo.pk,
        "hold": hold.pk,
        "policy": policy.pk,
        "erasure": erasure.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_rows_of_the_previous_head_are_read_through_privacy():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    content_type_ids = {
        model: ContentType.objects.get_or_create(app_label="privacy", model=model)[0].pk
        for model in MOVED
    }
    try:
        old_apps = executor.migrate(PREVIOUS_HEAD).apps
        # Backwards, the content types went back to casework, ids unchanged.
        OldContentType = old_apps.get_model("contenttypes", "ContentType")
        assert {
            model: OldContentType.objects.get(app_label="casework", model=model).pk
            for model in MOVED
        } == content_type_ids
        ids = _write_rows(old_apps)
    finally:
        executor.loader.build_graph()
        executor.migrate(latest)
        ContentType.objects.clear_cache()

    executor.loader.build_graph()
    assert executor.migration_plan(latest) == []  # the database is at the latest migrations

    hold = LegalHold.objects.get(pk=ids["hold"])
    assert (hold.client_id, hold.case_id, hold.placed_by_id) == (
        ids["client"],
        ids["case"],
        ids["dpo"],
    )
    assert hold.reason == "Court case" and hold.is_active
    assert list(hold.client.legal_holds.all()) == [hold]
    (history,) = LegalHold.history.filter(id=hold.pk)
    assert (history.history_type, history.reason) == ("+", "Court case")
    assert history.history_user_id == ids["dpo"]

    policy = RetentionPolicy.objects.get(pk=ids["policy"])
    assert (policy.kind, policy.days) == (RetentionPolicy.Kind.CLOSED_CASE, 365)
    erasure = Erasure.objects.get(pk=ids["erasure"])
    assert (erasure.cause, erasure.reason) == (Erasure.Cause.REQUEST, "Asked in writing")
    assert erasure.counts == {"clients": 1, "cases": 2}

    assert {
        model: ContentType.objects.get_for_model(model_class).pk
        for model, model_class in (
            ("legalhold", LegalHold),
            ("historicallegalhold", LegalHold.history.model),
            ("retentionpolicy", RetentionPolicy),
            ("historicalretentionpolicy", RetentionPolicy.history.model),
            ("erasure", Erasure),
        )
    } == content_type_ids
    assert not ContentType.objects.filter(app_label="casework", model__in=MOVED).exists()
    add_hold = Permission.objects.get(codename="add_legalhold")
    assert add_hold.pk == ids["add_hold"]
    assert add_hold.content_type_id == content_type_ids["legalhold"]
    assert not ContentType.objects.filter(pk=ids["stray"]).exists()
    assert list(Group.objects.get(pk=ids["group"]).permissions.values_list("pk", flat=True)) == [
        add_hold.pk
    ]
