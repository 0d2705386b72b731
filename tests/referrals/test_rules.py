"""Referral rules at the service layer: expiry, all-or-nothing sending, the
refusals that no override lifts, and the object-permission backends agreeing
with the scoped list for every persona in every state."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.permissions import Perm, Role
from casework.services import add_do_not_disclose, withdraw_consent
from config.errors import Conflict, InvalidInput
from referrals import services
from referrals.models import (
    Referral,
    ReferralGroupObjectPermission,
    ReferralPacket,
    ReferralUserObjectPermission,
)
from referrals.selectors import expirable_referrals, referrals_visible_to
from tests.factories import make_consent, make_member, make_referral, make_service

pytestmark = pytest.mark.django_db


def grant_rows(referral):
    return (
        ReferralGroupObjectPermission.objects.filter(content_object=referral).count()
        + ReferralUserObjectPermission.objects.filter(content_object=referral).count()
    )


def test_expiry_waits_for_the_grace_period(settings, caseworker, case, consent, partner_agency):
    settings.REFERRAL_EXPIRY_GRACE_DAYS = 7
    referral = make_referral(caseworker, case, partner_agency)
    last_answer_day = referral.respond_by + timedelta(days=7)
    assert services.expire_overdue_referrals(on=last_answer_day) == 0
    assert not expirable_referrals(on=last_answer_day).exists()
    assert services.expire_overdue_referrals(on=last_answer_day + timedelta(days=1)) == 1
    referral.refresh_from_db()
    assert referral.state == Referral.State.EXPIRED
    assert grant_rows(referral) == 0
    assert referral.events.last().actor is None


@pytest.mark.parametrize("step", ["build_packet", "grant_partner_access", "notify"])
def test_a_failing_step_leaves_the_draft_as_it_was(
    monkeypatch, caseworker, case, consent, partner_agency, step
):
    draft = make_referral(caseworker, case, partner_agency, send=False)

    def fail(*args, **kwargs):
        raise RuntimeError(f"{step} failed")

    monkeypatch.setattr(services.sending, step, fail)
    with pytest.raises(RuntimeError):
        services.send_referral(actor=caseworker, referral_id=draft.pk)
    draft.refresh_from_db()
    assert draft.state == Referral.State.DRAFT and draft.sent_at is None
    assert not ReferralPacket.objects.filter(referral=draft).exists()
    assert grant_rows(draft) == 0
    assert list(draft.events.values_list("kind", flat=True)) == ["created"]


def test_blocks_are_not_lifted_by_an_override(
    caseworker, supervisor, case, consent, partner_agency
):
    add_do_not_disclose(
        actor=supervisor, case_id=case.pk, agency=partner_agency, reason="Family there"
    )
    draft = make_referral(caseworker, case, partner_agency, send=False)
    with pytest.raises(Conflict) as raised:
        services.send_referral(actor=supervisor, referral_id=draft.pk, override_reason="Vital")
    assert raised.value.code == "referral_refused"
    assert [reason.code for reason in raised.value.reasons] == ["do_not_disclose"]


def test_partner_without_agreement_and_closed_service_are_refused(
    caseworker, case, consent, partner_agency
):
    partner_agency.data_sharing_agreement_valid_until = timezone.now().date() - timedelta(days=1)
    partner_agency.save()
    closed = make_service(partner_agency, status="temporarily closed")
    draft = services.create_referral(
        actor=caseworker,
        case_id=case.pk,
        service_id=closed.pk,
        purpose="Advice",
        respond_by=timezone.now().date() + timedelta(days=3),
    )
    with pytest.raises(Conflict) as raised:
        services.send_referral(actor=caseworker, referral_id=draft.pk)
    codes = {reason.code for reason in raised.value.reasons}
    assert codes == {"service_not_taking_referrals", "no_data_sharing_agreement"}


def test_withdrawing_an_unrelated_consent_cancels_nothing(
    caseworker, case, consent, partner_agency, client_record
):
    second = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    referral = make_referral(caseworker, case, partner_agency)
    unrelated = consent if referral.consent_id == second.pk else second
    withdraw_consent(actor=caseworker, consent_id=unrelated.pk, reason="Not needed")
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT


def test_backends_agree_with_the_scoped_list(
    caseworker,
    second_caseworker,
    supervisor,
    dpo,
    agency_admin,
    referral_officer,
    outsider,
    case,
    consent,
    partner_agency,
):
    partner_supervisor = make_member(partner_agency, Role.SUPERVISOR)
    partner_caseworker = make_member(partner_agency, Role.CASEWORKER)
    draft = make_referral(caseworker, case, partner_agency, send=False)
    sent = make_referral(caseworker, case, partner_agency)
    accepted = make_referral(caseworker, case, partner_agency)
    services.accept_referral(actor=referral_officer, referral_id=accepted.pk)
    declined = make_referral(caseworker, case, partner_agency)
    services.decline_referral(actor=referral_officer, referral_id=declined.pk, reason="Full")
    referrals = [draft, sent, accepted, declined]
    expected = {
        caseworker: {draft, sent, accepted, declined},
        second_caseworker: {draft, sent, accepted, declined},
        supervisor: {draft, sent, accepted, declined},
        dpo: set(),
        agency_admin: set(),
        referral_officer: {sent, accepted},
        partner_supervisor: {sent, accepted},
        partner_caseworker: set(),
        outsider: set(),
    }
    for user, visible in expected.items():
        listed = set(referrals_visible_to(user))
        assert listed == visible, user.display_name
        for referral in referrals:
            referral = Referral.objects.get(pk=referral.pk)
            assert user.has_perm(Perm.VIEW_REFERRAL, referral) == (referral in visible)
    assert referral_officer.has_perm(Perm.RESPOND_REFERRAL, sent)
    assert not caseworker.has_perm(Perm.RESPOND_REFERRAL, sent)
    assert not referral_officer.has_perm(Perm.SEND_REFERRAL, sent)
    assert supervisor.has_perm(Perm.OVERRIDE_CONSENT, sent)
    assert not caseworker.has_perm(Perm.OVERRIDE_CONSENT, sent)


def test_a_draft_may_wait_for_a_supervisor_to_choose(caseworker, supervisor, case, partner_agency):
    """No consent: the proposal is empty, the caseworker still saves the draft,
    and sending names data_categories until someone chooses."""
    draft = make_referral(caseworker, case, partner_agency, send=False, data_categories=None)
    assert draft.data_categories == []
    with pytest.raises(InvalidInput) as raised:
        services.send_referral(actor=supervisor, referral_id=draft.pk, override_reason="Vital")
    assert raised.value.field == "data_categories"


def test_an_import_refuses_two_records_with_one_name(partner_agency):
    from referrals.models import Service

    admin = make_member(partner_agency, Role.AGENCY_ADMIN)
    records = [{"name": "Shelter", "category": "housing"}, {"name": "shelter ", "category": "food"}]
    with pytest.raises(InvalidInput) as raised:
        services.import_services(actor=admin, agency=partner_agency, records=records)
    assert raised.value.field == "services.1.name"
    assert not Service.objects.filter(agency=partner_agency).exists()


def test_a_mail_server_down_does_not_undo_or_break_a_send(
    monkeypatch,
    caseworker,
    case,
    consent,
    partner_agency,
    referral_officer,
    django_capture_on_commit_callbacks,
):
    import smtplib

    from accounts.models import Notification

    def down(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, "down")

    monkeypatch.setattr("accounts.tasks.send_mail", down)
    with django_capture_on_commit_callbacks(execute=True):
        referral = make_referral(caseworker, case, partner_agency)
    assert referral.state == Referral.State.SENT
    notice = Notification.objects.get(recipient=referral_officer)
    assert notice.emailed_at is None
