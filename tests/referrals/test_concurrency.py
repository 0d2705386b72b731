"""Two officers of the receiving agency accept the same referral at the same
moment: exactly one succeeds, the other gets 409 and nothing is written twice.
Real connections and threads, on SQLite (BEGIN IMMEDIATE) and PostgreSQL
(SELECT … FOR UPDATE)."""

import pytest

from accounts.permissions import Role
from config.errors import Conflict
from referrals import services
from referrals.models import Referral, ReferralEvent
from tests.factories import make_consent, make_member, make_referral
from tests.helpers import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent_referral(caseworker, case, partner_agency):
    make_consent(
        caseworker, case.client, recipient_agencies=[partner_agency], data_categories=["identity"]
    )
    return make_referral(caseworker, case, partner_agency, data_categories=["identity"])


def test_two_officers_accept_at_once(sent_referral, referral_officer, partner_agency):
    second_officer = make_member(partner_agency, Role.REFERRAL_OFFICER)

    def accept(actor):
        return lambda: services.accept_referral(actor=actor, referral_id=sent_referral.pk)

    results = run_together(accept(referral_officer), accept(second_officer))
    winners = [r for r in results if isinstance(r, Referral)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert losers[0].code == "invalid_transition"
    sent_referral.refresh_from_db()
    assert sent_referral.state == Referral.State.ACCEPTED
    assert sent_referral.decided_by_id == winners[0].decided_by_id
    assert sent_referral.events.filter(kind=ReferralEvent.Kind.ACCEPTED).count() == 1


def test_accept_races_withdrawal(sent_referral, referral_officer, caseworker):
    results = run_together(
        lambda: services.accept_referral(actor=referral_officer, referral_id=sent_referral.pk),
        lambda: services.withdraw_referral(
            actor=caseworker, referral_id=sent_referral.pk, reason="Client moved"
        ),
    )
    sent_referral.refresh_from_db()
    events = list(sent_referral.events.values_list("kind", flat=True))
    if isinstance(results[0], Referral):
        # Accepted first; a withdrawal of an accepted referral is allowed too.
        assert sent_referral.state == Referral.State.WITHDRAWN
        assert events[-2:] == ["accepted", "withdrawn"]
    else:
        # Withdrawn first: the officer lost access (404) or found it withdrawn (409).
        assert sent_referral.state == Referral.State.WITHDRAWN
        assert "accepted" not in events
        assert isinstance(results[0], Exception)
    assert isinstance(results[1], Referral), results


def test_send_racing_a_consent_withdrawal_leaves_no_partner_access(
    caseworker, case, partner_agency, referral_officer
):
    from casework.services import withdraw_consent
    from referrals.selectors import referrals_visible_to

    consent = make_consent(
        caseworker, case.client, recipient_agencies=[partner_agency], data_categories=["identity"]
    )
    draft = make_referral(
        caseworker, case, partner_agency, send=False, data_categories=["identity"]
    )
    results = run_together(
        lambda: services.send_referral(actor=caseworker, referral_id=draft.pk),
        lambda: withdraw_consent(actor=caseworker, consent_id=consent.pk, reason="Changed"),
    )
    assert not isinstance(results[1], Exception), results
    draft.refresh_from_db()
    # Either the send saw the withdrawal (refused, still a draft) or the
    # withdrawal saw the sent referral (cancelled): never sent on a withdrawn consent.
    assert draft.state in (Referral.State.DRAFT, Referral.State.CANCELLED), results
    assert not referrals_visible_to(referral_officer).filter(pk=draft.pk).exists()


def test_two_imports_adding_one_name_at_once_add_it_once(partner_agency):
    # Imports into one agency run one after the other (its row is locked): the
    # second sees the first's service and updates it, never a 500 on the unique name.
    from referrals.models import Service

    first = make_member(partner_agency, Role.AGENCY_ADMIN)
    second = make_member(partner_agency, Role.AGENCY_ADMIN)

    def importing(actor, description):
        records = [{"name": "Night shelter", "category": "housing", "description": description}]
        return lambda: services.import_services(actor=actor, agency=partner_agency, records=records)

    results = run_together(importing(first, "Beds"), importing(second, "Beds and meals"))
    assert not any(isinstance(result, Exception) for result in results), results
    assert sorted((r.created, r.updated) for r in results) == [(0, 1), (1, 0)]
    assert Service.objects.filter(agency=partner_agency, name="Night shelter").count() == 1
