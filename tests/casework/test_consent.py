"""Consent as data: recorded, withdrawn, never edited; and the one rule that
says whether a live consent covers a disclosure."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.tracking import UntrackedWriteError
from casework import services
from casework.models import Consent, ConsentIsAppendOnly
from casework.selectors import consent_covering
from casework.signals import consent_withdrawn
from config.errors import Conflict, InvalidInput, NotFound
from tests.factories import AgencyFactory, make_case, make_consent

pytestmark = pytest.mark.django_db


def codes(coverage):
    return [gap.code for gap in coverage.gaps]


# --- Recording -----------------------------------------------------------------------


def test_record_a_referral_consent(caseworker, client_record, partner_agency):
    consent = make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        recipient_service_categories=["housing"],
        interpreter_used=True,
    )
    assert consent.status == "active"
    assert list(consent.recipient_agencies.all()) == [partner_agency]
    assert consent.agency == client_record.agency
    assert consent.history.first().history_user == caseworker


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"purpose": "marketing"}, "purpose"),
        ({"lawful_basis": "whim"}, "lawful_basis"),
        ({"data_categories": []}, "data_categories"),
        ({"data_categories": ["identity", "dreams"]}, "data_categories"),
        ({"data_categories": ["health"]}, "special_category_condition"),
        ({"recipient_agencies": []}, "recipient_agencies"),
        ({"given_by": "guardian"}, "given_by_name"),
        ({"method": "written"}, "evidence"),
        ({"notice_version": ""}, "notice_version"),
        ({"expires_at": "yesterday"}, "expires_at"),
        ({"interpreter_used": "yes"}, "interpreter_used"),
    ],
)
def test_bad_consents_are_refused_naming_the_field(
    caseworker, client_record, partner_agency, changes, field
):
    data = {"recipient_agencies": [partner_agency], **changes}
    with pytest.raises((ValidationError, InvalidInput)) as raised:
        make_consent(caseworker, client_record, **data)
    error = raised.value
    fields = {error.field} if isinstance(error, InvalidInput) else set(error.message_dict)
    assert field in fields
    assert not Consent.objects.exists()


def test_a_public_authority_cannot_rely_on_legitimate_interests(other_agency):
    from accounts.permissions import Role
    from tests.factories import make_client, make_member

    worker = make_member(other_agency, Role.CASEWORKER)
    client = make_client(worker, other_agency)
    with pytest.raises(ValidationError) as raised:
        make_consent(worker, client, purpose="case_management", lawful_basis="legitimate_interests")
    assert "lawful_basis" in raised.value.message_dict


def test_health_data_with_an_art_9_condition(caseworker, client_record, partner_agency):
    consent = make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        data_categories=["identity", "health"],
        special_category_condition="explicit_consent",
    )
    assert "health" in consent.data_categories


def test_written_consent_points_to_its_signed_form(caseworker, client_record, partner_agency):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from casework.demo import PDF_BYTES

    case = make_case(caseworker, client_record)
    form = services.upload_document(
        actor=caseworker,
        case_id=case.pk,
        category="consent",
        uploaded_file=SimpleUploadedFile("form.pdf", PDF_BYTES),
    )
    consent = make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        method="written",
        evidence_id=form.pk,
    )
    assert consent.evidence == form


def test_roles_and_strangers(dpo, outsider, client_record, partner_agency):
    with pytest.raises(NotFound):
        make_consent(outsider, client_record, recipient_agencies=[partner_agency])
    with pytest.raises(NotFound):  # a DPO does not see client records at all
        make_consent(dpo, client_record, recipient_agencies=[partner_agency])


def test_optional_consents_are_not_needed_to_open_a_case(caseworker, client_record):
    case = make_case(caseworker, client_record)
    assert case.pk
    assert not Consent.objects.filter(
        client=client_record, purpose__in=["statistics", "contact"]
    ).exists()


# --- Append-only -------------------------------------------------------------------------


def test_a_consent_cannot_be_edited_or_deleted(caseworker, client_record, partner_agency):
    consent = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    consent.data_categories = ["identity", "contact", "documents"]
    with pytest.raises(ConsentIsAppendOnly):
        consent.save()
    with pytest.raises(ConsentIsAppendOnly):
        Consent.objects.get(pk=consent.pk).delete()
    with pytest.raises(ConsentIsAppendOnly):
        Consent.objects.filter(pk=consent.pk).delete()
    with pytest.raises(UntrackedWriteError):
        Consent.objects.filter(pk=consent.pk).update(purpose="statistics")
    other = AgencyFactory()
    with pytest.raises(ConsentIsAppendOnly), transaction.atomic():
        Consent.objects.get(pk=consent.pk).recipient_agencies.add(other)
    consent.refresh_from_db()
    assert consent.data_categories == ["contact", "identity"]
    assert consent.recipient_agencies.count() == 1


def test_the_admin_shows_consents_read_only(caseworker, client_record, partner_agency, rf):
    from django.contrib.admin.sites import site

    consent = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    admin = site._registry[Consent]
    request = rf.get("/")
    request.user = caseworker
    assert not admin.has_change_permission(request, consent)
    assert not admin.has_delete_permission(request, consent)
    assert not admin.has_add_permission(request)


# --- Withdrawal ------------------------------------------------------------------------------


def test_withdrawal_takes_effect_at_once_and_signals_once(
    caseworker, client_record, partner_agency
):
    consent = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    received = []

    def receiver(sender, consent, actor, **kwargs):
        received.append((consent.pk, actor.pk, transaction.get_connection().in_atomic_block))

    consent_withdrawn.connect(receiver)
    try:
        services.withdraw_consent(actor=caseworker, consent_id=consent.pk, reason="changed mind")
    finally:
        consent_withdrawn.disconnect(receiver)
    assert received == [(consent.pk, caseworker.pk, True)]
    consent.refresh_from_db()
    assert consent.status == "withdrawn"
    assert consent.withdrawn_by == caseworker
    coverage = consent_covering(client_record, partner_agency, "referral", ["identity"])
    assert not coverage.covered
    assert "withdrawn" in codes(coverage)
    with pytest.raises(Conflict):
        services.withdraw_consent(actor=caseworker, consent_id=consent.pk)


def test_the_signal_rolls_back_with_the_withdrawal(caseworker, client_record, partner_agency):
    consent = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    calls = []

    def failing(sender, consent, actor, **kwargs):
        calls.append(consent.pk)
        raise RuntimeError("a subscriber failed")

    consent_withdrawn.connect(failing)
    try:
        with pytest.raises(RuntimeError):
            services.withdraw_consent(actor=caseworker, consent_id=consent.pk)
    finally:
        consent_withdrawn.disconnect(failing)
    assert calls == [consent.pk]
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_withdraw_all_in_one_step(caseworker, client_record, partner_agency):
    first = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    second = make_consent(caseworker, client_record, purpose="statistics", lawful_basis="consent")
    received = []
    consent_withdrawn.connect(
        lambda sender, consent, **kw: received.append(consent.pk),
        weak=False,
        dispatch_uid="test-all",
    )
    try:
        withdrawn = services.withdraw_all_consents(actor=caseworker, client_id=client_record.pk)
    finally:
        consent_withdrawn.disconnect(dispatch_uid="test-all")
    assert {c.pk for c in withdrawn} == {first.pk, second.pk}
    assert sorted(received) == sorted([first.pk, second.pk])
    assert not Consent.objects.filter(client=client_record, withdrawn_at__isnull=True).exists()


def test_a_role_without_withdraw_permission(
    referral_officer, caseworker, client_record, partner_agency
):
    consent = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    with pytest.raises(NotFound):
        services.withdraw_consent(actor=referral_officer, consent_id=consent.pk)


# --- consent_covering ---------------------------------------------------------------------------


@pytest.fixture
def coverage_world(caseworker, client_record, partner_agency):
    third = AgencyFactory(name="Third agency")
    public = AgencyFactory(name="City office", is_public_authority=True)
    return {
        "client": client_record,
        "partner": partner_agency,
        "third": third,
        "public": public,
        "actor": caseworker,
    }


def test_covering_table(coverage_world):
    w = coverage_world
    now = timezone.now()
    make_consent(
        w["actor"],
        w["client"],
        recipient_agencies=[w["partner"]],
        recipient_service_categories=["legal"],
        data_categories=["identity", "contact", "legal_status"],
    )

    def check(**kwargs):
        args = {
            "client": w["client"],
            "recipient_agency": w["partner"],
            "purpose": "referral",
            "data_categories": ["identity"],
            **kwargs,
        }
        return consent_covering(**args)

    assert check().covered
    assert check(data_categories=["identity", "contact", "legal_status"]).covered
    # Wrong recipient, unless it provides a kind of service the consent names.
    assert codes(check(recipient_agency=w["third"])) == ["recipient_not_covered"]
    assert check(recipient_agency=w["third"], service_category="legal").covered
    assert codes(check(recipient_agency=w["third"], service_category="housing")) == [
        "recipient_not_covered"
    ]
    # Category missing: named exactly.
    missing = check(data_categories=["identity", "documents", "family"])
    assert codes(missing) == ["categories_not_covered"]
    assert missing.gaps[0].detail["categories"] == ["documents", "family"]
    # Another purpose has no consent at all.
    assert codes(check(purpose="statistics")) == ["no_consent"]
    # Before it was given.
    assert codes(check(at=now - timedelta(days=1))) == ["not_yet_valid"]


def test_covering_expired_yesterday(coverage_world):
    w = coverage_world
    given = timezone.now() - timedelta(days=30)
    make_consent(
        w["actor"],
        w["client"],
        recipient_agencies=[w["partner"]],
        given_at=given,
        expires_at=timezone.now() - timedelta(days=1),
    )
    coverage = consent_covering(w["client"], w["partner"], "referral", ["identity"])
    assert codes(coverage) == ["expired"]
    earlier = consent_covering(
        w["client"], w["partner"], "referral", ["identity"], at=timezone.now() - timedelta(days=2)
    )
    assert earlier.covered


def test_covering_withdrawn_a_second_ago(coverage_world):
    w = coverage_world
    consent = make_consent(
        w["actor"],
        w["client"],
        recipient_agencies=[w["partner"]],
        given_at=timezone.now() - timedelta(days=1),
    )
    services.withdraw_consent(actor=w["actor"], consent_id=consent.pk)
    consent.refresh_from_db()
    assert codes(consent_covering(w["client"], w["partner"], "referral", ["identity"])) == [
        "withdrawn"
    ]
    before = consent.withdrawn_at - timedelta(seconds=1)
    assert consent_covering(w["client"], w["partner"], "referral", ["identity"], at=before).covered


def test_covering_health_needs_the_art_9_condition(coverage_world):
    w = coverage_world
    make_consent(
        w["actor"],
        w["client"],
        recipient_agencies=[w["partner"]],
        data_categories=["identity", "health"],
        special_category_condition="explicit_consent",
    )
    assert consent_covering(w["client"], w["partner"], "referral", ["health"]).covered


def test_covering_refuses_legitimate_interests_towards_a_public_authority(coverage_world):
    w = coverage_world
    make_consent(
        w["actor"],
        w["client"],
        recipient_agencies=[w["public"]],
        lawful_basis="legitimate_interests",
    )
    coverage = consent_covering(w["client"], w["public"], "referral", ["identity"])
    assert codes(coverage) == ["legitimate_interests_public_authority"]


def test_covering_respects_do_not_disclose(coverage_world, caseworker):
    w = coverage_world
    make_consent(w["actor"], w["client"], recipient_agencies=[w["partner"]])
    case = make_case(caseworker, w["client"])
    services.add_do_not_disclose(
        actor=caseworker, case_id=case.pk, agency=w["partner"], reason="Family member works there"
    )
    coverage = consent_covering(w["client"], w["partner"], "referral", ["identity"])
    assert not coverage.covered
    assert codes(coverage) == ["do_not_disclose"]


def test_the_best_of_several_consents_is_chosen(coverage_world):
    w = coverage_world
    make_consent(w["actor"], w["client"], recipient_agencies=[w["third"]])
    wanted = make_consent(w["actor"], w["client"], recipient_agencies=[w["partner"]])
    coverage = consent_covering(w["client"], w["partner"], "referral", ["identity"])
    assert coverage.consent == wanted


def test_do_not_disclose_needs_someone(caseworker, case, dpo):
    with pytest.raises(InvalidInput) as raised:
        services.add_do_not_disclose(actor=caseworker, case_id=case.pk)
    assert raised.value.field == "agency"
    entry = services.add_do_not_disclose(
        actor=caseworker, case_id=case.pk, person_name="Former partner"
    )
    assert entry.person_name == "Former partner"
    with pytest.raises(NotFound):
        services.add_do_not_disclose(actor=dpo, case_id=case.pk, person_name="x")


def test_the_admin_refuses_edits_and_deletes_over_http(
    client, caseworker, client_record, partner_agency
):
    from accounts.models import User

    consent = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    root = User.objects.create_superuser("root@test.example", "x" * 20, display_name="Root")
    client.force_login(root)
    change = f"/admin/casework/consent/{consent.pk}/change/"
    assert client.get(change).status_code == 200  # viewable
    response = client.post(change, {"purpose": "statistics"})
    assert response.status_code == 403
    assert (
        client.post(f"/admin/casework/consent/{consent.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    consent.refresh_from_db()
    assert consent.purpose == "referral"


def test_demo_data_has_consents_in_every_state():
    from django.core.management import call_command

    from casework.models import DoNotDisclose

    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    statuses = {consent.status for consent in Consent.objects.all()}
    assert {"active", "expired", "withdrawn"} <= statuses
    assert set(Consent.objects.values_list("lawful_basis", flat=True)) >= {"consent", "public_task"}
    assert Consent.objects.filter(method="written", evidence__isnull=False).exists()
    assert DoNotDisclose.objects.exists()


def test_status_filter_in_sql_agrees_with_status_at(caseworker, client_record, partner_agency):
    now = timezone.now()
    made = [
        make_consent(caseworker, client_record, recipient_agencies=[partner_agency]),
        make_consent(
            caseworker,
            client_record,
            recipient_agencies=[partner_agency],
            given_at=now - timedelta(days=40),
            expires_at=now - timedelta(days=1),
        ),
    ]
    withdrawn = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    services.withdraw_consent(actor=caseworker, consent_id=withdrawn.pk)
    made.append(withdrawn)
    for status in Consent.Status.values:
        in_sql = set(Consent.objects.with_status(status).values_list("pk", flat=True))
        in_python = {c.pk for c in Consent.objects.all() if c.status == status}
        assert in_sql == in_python, status
    assert {c.status for c in Consent.objects.all()} == {"active", "expired", "withdrawn"}


def test_evidence_is_kept_for_any_method_and_checked(
    caseworker, client_record, partner_agency, case
):
    with pytest.raises(ValidationError) as raised:
        make_consent(
            caseworker,
            client_record,
            recipient_agencies=[partner_agency],
            method="digital",
            evidence_id=case.pk,
        )
    assert "evidence" in raised.value.message_dict


def test_an_agency_is_listed_once_per_case(caseworker, case, partner_agency):
    services.add_do_not_disclose(actor=caseworker, case_id=case.pk, agency=partner_agency.pk)
    with pytest.raises(InvalidInput) as raised:
        services.add_do_not_disclose(actor=caseworker, case_id=case.pk, agency=partner_agency)
    assert raised.value.code == "already_listed"
    with pytest.raises(InvalidInput) as raised:
        services.add_do_not_disclose(actor=caseworker, case_id=case.pk, agency="nope")
    assert raised.value.field == "agency"


def test_withdraw_all_leaves_expired_consents_expired(caseworker, client_record, partner_agency):
    now = timezone.now()
    expired = make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        given_at=now - timedelta(days=40),
        expires_at=now - timedelta(days=1),
    )
    active = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    withdrawn = services.withdraw_all_consents(actor=caseworker, client_id=client_record.pk)
    assert [c.pk for c in withdrawn] == [active.pk]
    expired.refresh_from_db()
    assert expired.status == "expired"


def test_the_explanation_language_is_a_language_code(caseworker, client_record, partner_agency):
    with pytest.raises(InvalidInput) as raised:
        make_consent(
            caseworker,
            client_record,
            recipient_agencies=[partner_agency],
            explanation_language="the client's language",
        )
    assert raised.value.field == "explanation_language"
