"""Erasure, legal holds, retention, break the glass and the subject-access
export, through the services."""

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from accounts.models import AccessLog, Notification
from accounts.permissions import Role
from casework import services as casework
from casework.models import Case, Client
from casework.selectors import get_case_for
from config.errors import Conflict, Forbidden, InvalidInput, NotFound
from privacy import services as protection
from privacy.models import Erasure
from referrals import services as referrals
from tests.factories import (
    agree_emergency_access,
    make_case,
    make_client,
    make_consent,
    make_member,
    make_referral,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


def database_contains(text: str, *, except_columns=()) -> list[str]:
    """Every table.column whose stored text contains ``text``."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            for column in columns:
                if f"{table}.{column}" in except_columns:
                    continue
                cursor.execute(
                    f'SELECT COUNT(*) FROM "{table}" WHERE CAST("{column}" AS TEXT) LIKE %s',  # noqa: S608 - names from the catalogue  # nosec B608
                    [f"%{text}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column}")
    return found


def media_contains(text: str) -> list[str]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return [
        str(path)
        for path in root.rglob("*")
        if path.is_file() and text.encode() in path.read_bytes()
    ]


@pytest.fixture
def canary():
    return f"CANARY-{uuid.uuid4()}"


def test_erasure_leaves_no_trace_of_the_person(
    canary, caseworker, supervisor, dpo, partner_agency, referral_officer
):
    client = make_client(
        caseworker,
        name=f"{canary} name",
        name_latin=f"{canary} latin",
        phone="+39 011 555 0000",
        address=f"{canary} street",
        legal_status_note=f"{canary} appeal",
        documents=[{"type": "passport", "number": f"{canary[-12:]}", "issuing_country": "SY"}],
    )
    casework.update_client(
        actor=caseworker,
        client_id=client.pk,
        expected_version=1,
        changes={"family_situation": f"{canary} family"},
        reason=f"{canary} told us",
    )
    case = make_case(caseworker, client, summary=f"{canary} summary")
    casework.update_client_sensitive(
        actor=caseworker, client_id=client.pk, changes={"health": f"{canary} health"}
    )
    casework.add_note(actor=caseworker, case_id=case.pk, kind="note", body=f"{canary} note")
    goal = casework.add_goal(
        actor=caseworker,
        case_id=case.pk,
        domain="housing",
        statement=f"{canary} goal",
        statement_client=f"{canary} in her words",
    )
    action = casework.add_action(
        actor=caseworker,
        case_id=case.pk,
        goal_id=goal.pk,
        description=f"{canary} action",
        responsible="client",
    )
    casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=action.pk,
        expected_version=action.version,
        changes={"status": "blocked"},
        reason=f"{canary} blocked",
    )
    casework.record_plan_agreement(
        actor=caseworker,
        case_id=case.pk,
        plan_version=2,
        method="not_obtained",
        reason=f"{canary} away",
    )
    casework.schedule_follow_up(
        actor=caseworker, case_id=case.pk, title=f"{canary} call", due_on=timezone.now().date()
    )
    casework.upload_document(
        actor=caseworker,
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile("scan.pdf", PDF + canary.encode()),
        category="legal",
        description=f"{canary} scan",
    )
    casework.add_do_not_disclose(
        actor=supervisor, case_id=case.pk, person_name=f"{canary} uncle", reason="Danger"
    )
    consent = make_consent(
        caseworker,
        client,
        recipient_agencies=[partner_agency],
        data_categories=["identity", "contact", "legal_status", "family", "health"],
        special_category_condition="explicit_consent",
        given_by="guardian",
        given_by_name=f"{canary} mother",
    )
    referral = make_referral(
        caseworker,
        case,
        partner_agency,
        purpose=f"{canary} purpose",
        message=f"{canary} message",
        data_categories=["identity", "contact", "legal_status", "family", "health"],
    )
    referrals.accept_referral(actor=referral_officer, referral_id=referral.pk)
    referrals.post_referral_message(
        actor=referral_officer, referral_id=referral.pk, body=f"{canary} reply"
    )
    casework.withdraw_consent(actor=caseworker, consent_id=consent.pk, reason=f"{canary} said no")
    assert database_contains(canary)  # the canary is really everywhere first
    assert media_contains(canary)

    erasure = protection.erase_client(actor=dpo, client_id=client.pk, reason=f"{canary} asked")

    assert database_contains(canary, except_columns={"casework_erasure.reason"}) == []
    assert media_contains(canary) == []
    assert str(partner_agency.pk) in erasure.notified_agencies
    assert Notification.objects.filter(recipient=referral_officer, kind="referral.erased").exists()
    # Statistics survive.
    case.refresh_from_db()
    assert (case.case_type, case.status, case.agency_id) == ("housing", "open", client.agency_id)
    assert Client.objects.get(pk=client.pk).nationalities == ["SY"]
    assert AccessLog.objects.filter(action="erasure", client_id=client.pk).exists()
    with pytest.raises(Conflict):
        protection.erase_client(actor=dpo, client_id=client.pk, reason="again")


def test_who_may_erase(caseworker, supervisor, dpo, outsider, client_record):
    for actor in (caseworker, supervisor):
        with pytest.raises(Forbidden):
            protection.erase_client(actor=actor, client_id=client_record.pk, reason="asked")
    with pytest.raises(NotFound):
        protection.erase_client(actor=outsider, client_id=client_record.pk, reason="asked")
    with pytest.raises(InvalidInput) as raised:
        protection.erase_client(actor=dpo, client_id=client_record.pk, reason=" ")
    assert raised.value.field == "reason"


def test_a_legal_hold_blocks_erasure_and_retention(dpo, supervisor, caseworker, case, agency):
    hold = protection.place_legal_hold(
        actor=supervisor, client_id=case.client_id, case_id=case.pk, reason="Appeal pending"
    )
    with pytest.raises(Conflict) as raised:
        protection.erase_client(actor=dpo, client_id=case.client_id, reason="asked")
    assert raised.value.code == "legal_hold"
    casework.close_case(actor=caseworker, case_id=case.pk, closure_reason="goals_met", note="")
    protection.set_retention_policy(actor=dpo, agency=agency, kind="closed_case", days=365)
    later = timezone.now() + timedelta(days=400)
    assert protection.apply_retention(now=later) == {"cases": 0, "clients": 0, "held": 1}
    case.refresh_from_db()
    assert case.anonymised_at is None and case.summary
    protection.release_legal_hold(actor=dpo, hold_id=hold.pk)
    assert protection.apply_retention(now=later)["cases"] == 1
    case.refresh_from_db()
    assert case.anonymised_at is not None and case.summary == ""


def test_retention_with_simulated_time(dpo, caseworker, agency, client_record):
    closed = make_case(caseworker, client_record, summary="Housing found")
    casework.close_case(actor=caseworker, case_id=closed.pk, closure_reason="goals_met", note="")
    other = make_client(caseworker, name="Second person")
    make_case(caseworker, other, summary="Still open")
    protection.set_retention_policy(actor=dpo, agency=agency, kind="closed_case", days=365)
    protection.set_retention_policy(actor=dpo, agency=agency, kind="inactive_client", days=730)
    soon = timezone.now() + timedelta(days=364)
    assert protection.apply_retention(now=soon) == {"cases": 0, "clients": 0, "held": 0}
    a_year_on = timezone.now() + timedelta(days=366)
    assert protection.apply_retention(now=a_year_on, dry_run=True)["cases"] == 1
    assert Case.objects.get(pk=closed.pk).anonymised_at is None  # a dry run changes nothing
    assert protection.apply_retention(now=a_year_on)["cases"] == 1
    two_years_on = timezone.now() + timedelta(days=731)
    counts = protection.apply_retention(now=two_years_on)
    assert counts["clients"] == 1  # the first client; the second still has an open case
    assert Client.objects.get(pk=client_record.pk).name == protection.ERASED
    assert Client.objects.get(pk=other.pk).name == "Second person"
    assert Erasure.objects.get(client_id=client_record.pk).cause == "retention"


def test_break_the_glass(monkeypatch, case, agency, other_agency, caseworker, supervisor):
    foreign_supervisor = make_member(other_agency, Role.SUPERVISOR)
    agree_emergency_access(agency, other_agency)
    with pytest.raises(NotFound):
        get_case_for(foreign_supervisor, case.pk)
    with pytest.raises(InvalidInput):
        protection.break_glass(actor=foreign_supervisor, case_id=case.pk, reason="")
    outsider_caseworker = make_member(other_agency, Role.CASEWORKER)
    with pytest.raises(Forbidden):
        protection.break_glass(actor=outsider_caseworker, case_id=case.pk, reason="Emergency")
    access = protection.break_glass(
        actor=foreign_supervisor, case_id=case.pk, reason="Client in hospital, unconscious"
    )
    assert access.expires_at - access.started_at == timedelta(hours=3)
    assert get_case_for(foreign_supervisor, case.pk) == case
    assert AccessLog.objects.filter(action="break_glass", case_id=case.pk).exists()
    assert Notification.objects.filter(recipient=supervisor, kind="break_glass").exists()

    three_hours_on = timezone.now() + timedelta(hours=3, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: three_hours_on)
    from accounts.selectors import forget_cached_permissions

    forget_cached_permissions(foreign_supervisor)
    with pytest.raises(NotFound):
        get_case_for(foreign_supervisor, case.pk)


def test_subject_access_export_holds_everything(
    dpo, supervisor, caseworker, case, partner_agency, referral_officer
):
    make_consent(caseworker, case.client, recipient_agencies=[partner_agency])
    referral = make_referral(caseworker, case, partner_agency)
    goal = casework.add_goal(
        actor=caseworker, case_id=case.pk, domain="language", statement="Reach A2"
    )
    export = protection.subject_access_export(supervisor, case.client_id)
    assert export["cases"][0]["plan"]["goals"][0]["statement"] == goal.statement
    assert export["history"]["plan_goals"][0]["statement"] == goal.statement
    assert export["client"]["name"] == case.client.name
    assert [c["id"] for c in export["cases"]] == [str(case.pk)]
    assert export["disclosures"][0]["to_agency"] == partner_agency.name
    assert export["referrals"][0]["packet"]["data"]["identity"]["name"] == case.client.name
    assert export["history"]["client"]
    assert protection.subject_access_export(dpo, case.client_id)["access_log"]
    assert AccessLog.objects.filter(action="export", client_id=case.client_id).exists()
    with pytest.raises(Forbidden):
        protection.subject_access_export(caseworker, case.client_id)
    with pytest.raises(NotFound):
        protection.subject_access_export(referral_officer, case.client_id)
    assert referral.pk


def _links_to_client() -> set[str]:
    """Every model with a foreign-key path to Client (including many-to-many
    tables and history tables)."""
    linked = {"casework.client"}
    models = list(apps.get_models(include_auto_created=True))
    changed = True
    while changed:
        changed = False
        for model in models:
            label = model._meta.label_lower
            if label in linked:
                continue
            for field in model._meta.get_fields():
                related = getattr(field, "related_model", None)
                if (
                    field.concrete
                    and related is not None
                    and (field.many_to_one or field.one_to_one)
                    and related._meta.label_lower in linked
                ):
                    linked.add(label)
                    changed = True
                    break
    return linked


def test_every_model_about_a_client_is_in_the_export():
    missing = (
        _links_to_client()
        - set(protection.SUBJECT_ACCESS_SECTIONS)
        - set(protection.SUBJECT_ACCESS_NOT_PERSONAL)
    )
    assert missing == set(), (
        "These models link to a client but the subject-access export does not say where "
        f"they appear: {sorted(missing)}"
    )
