"""The referral lifecycle through the API: for a referral in every state and
every action of send, accept, decline, complete and withdraw, the moves
``Referral.TRANSITIONS`` holds succeed (200, the new state) and every other
answers 409 ``invalid_transition`` naming the current state, changing nothing.
The receiving agency holds no grant on a referral that is a draft, declined,
withdrawn, expired or cancelled: there it gets 404, not 409."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from casework.services import withdraw_consent
from referrals import services
from referrals.models import (
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
)
from tests.factories import make_referral

pytestmark = pytest.mark.django_db

STATES = [state.value for state in Referral.State]
ACTIONS = ["send", "accept", "decline", "complete", "withdraw"]
SENDER_ACTIONS = {"send", "withdraw"}
BODIES = {
    "send": {},
    "accept": {"note": "We can see the client next week."},
    "decline": {"reason": "No places until spring."},
    "complete": {"outcome": "The appeal was lodged."},
    "withdraw": {"reason": "The client moved away."},
}


@pytest.fixture
def build(caseworker, case, consent, partner_agency, referral_officer):
    """build(state) → a referral of ``case`` to the partner, in ``state``,
    brought there through the services as people would."""

    def in_state(state: str) -> Referral:
        today = timezone.now().date()
        if state == Referral.State.DRAFT:
            referral = make_referral(caseworker, case, partner_agency, send=False)
        elif state == Referral.State.EXPIRED:
            referral = make_referral(
                caseworker, case, partner_agency, respond_by=today + timedelta(days=1)
            )
            # Unanswered past respond-by and the grace period after it.
            later = referral.respond_by + timedelta(days=settings.REFERRAL_EXPIRY_GRACE_DAYS + 1)
            assert services.expire_overdue_referrals(on=later) == 1
        else:
            referral = make_referral(caseworker, case, partner_agency)
        pk = referral.pk
        if state in (Referral.State.ACCEPTED, Referral.State.COMPLETED):
            services.accept_referral(actor=referral_officer, referral_id=pk)
        if state == Referral.State.COMPLETED:
            services.complete_referral(actor=referral_officer, referral_id=pk, outcome="Done")
        if state == Referral.State.DECLINED:
            services.decline_referral(actor=referral_officer, referral_id=pk, reason="Full")
        if state == Referral.State.WITHDRAWN:
            services.withdraw_referral(actor=caseworker, referral_id=pk, reason="Not needed")
        if state == Referral.State.CANCELLED:
            withdraw_consent(actor=caseworker, consent_id=consent.pk, reason="Client asked")
        referral = Referral.objects.get(pk=pk)
        assert referral.state == state
        return referral

    return in_state


def snapshot(referral: Referral) -> dict:
    """What a refused action must leave exactly as it was."""
    row = Referral.objects.get(pk=referral.pk)
    return {
        "state": row.state,
        "version": row.version,
        "updated_at": row.updated_at,
        "events": ReferralEvent.objects.filter(referral=referral).count(),
        "history": row.history.count(),
        "group_grants": sorted(
            ReferralGroupObjectPermission.objects.filter(content_object=referral).values_list(
                "group_id", "permission_id"
            )
        ),
        "user_grants": sorted(
            ReferralUserObjectPermission.objects.filter(content_object=referral).values_list(
                "user_id", "permission_id"
            )
        ),
    }


def expected(state: str, action: str) -> int:
    if Referral.target_of(action, state) is not None:
        return 200
    if action not in SENDER_ACTIONS and state in Referral.CLOSED_TO_PARTNER:
        return 404
    return 409


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_every_state_and_action(
    state, action, build, as_user, caseworker, referral_officer, partner_agency
):
    referral = build(state)
    before = snapshot(referral)
    actor = caseworker if action in SENDER_ACTIONS else referral_officer
    response = as_user(actor).post(
        f"/api/v1/referrals/{referral.pk}/{action}/", BODIES[action], format="json"
    )
    outcome = expected(state, action)
    assert response.status_code == outcome, response.content
    if outcome == 200:
        target = Referral.TRANSITIONS[(action, state)]
        body = response.json()
        assert body["state"] == target
        assert body["version"] == before["version"] + 1
        assert response["ETag"] == f'"{before["version"] + 1}"'
        assert body["timeline"][-1]["to_state"] == target
        assert body["timeline"][-1]["from_state"] == state
        stored = Referral.objects.get(pk=referral.pk)
        assert stored.state == target
        assert ReferralEvent.objects.filter(referral=referral).count() == before["events"] + 1
        grants = ReferralGroupObjectPermission.objects.filter(content_object=referral)
        # The partner holds the referral exactly while it is sent, accepted or completed.
        assert grants.exists() == (target not in Referral.CLOSED_TO_PARTNER)
        return
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    if outcome == 409:
        assert problem["code"] == "invalid_transition"
        assert problem["state"] == state
        assert problem["action"] == action
        assert f"is {state}" in problem["detail"]
    else:
        assert problem["code"] == "not_found"
        assert state not in problem["detail"]
    assert snapshot(referral) == before


@pytest.mark.parametrize("state", STATES)
def test_allowed_actions_follow_the_table(state, build, as_user, caseworker, referral_officer):
    """What GET offers each side is what the table lets it do (404 where the
    partner holds nothing)."""
    referral = build(state)
    sender = as_user(caseworker).get(f"/api/v1/referrals/{referral.pk}/").json()
    offered = set(sender["allowed_actions"]) & set(ACTIONS)
    assert offered == {
        action for action in SENDER_ACTIONS if Referral.target_of(action, state) is not None
    }
    response = as_user(referral_officer).get(f"/api/v1/referrals/{referral.pk}/")
    if state in Referral.CLOSED_TO_PARTNER:
        assert response.status_code == 404
        return
    offered = set(response.json()["allowed_actions"]) & set(ACTIONS)
    assert offered == {
        action
        for action in set(ACTIONS) - SENDER_ACTIONS
        if Referral.target_of(action, state) is not None
    }
