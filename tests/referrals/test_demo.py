"""The demo has referrals in every state, an override and a cancellation that
followed a consent withdrawal, and the partner's access matches each state."""

import pytest
from django.core.management import call_command

from accounts.models import User
from accounts.permissions import Perm
from referrals.models import Referral, ReferralPacket, Service
from referrals.selectors import referrals_visible_to

pytestmark = pytest.mark.django_db


def test_demo_referrals_cover_every_state():
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")  # idempotent
    referrals = Referral.objects.all()
    assert set(referrals.values_list("state", flat=True)) == set(Referral.State.values)
    # Ten for the states, two carrying out actions of the demo's integration plan.
    assert referrals.count() == 12
    assert referrals.filter(plan_action__isnull=False).count() == 2
    override = referrals.get(override_by__isnull=False)
    assert override.consent is None and override.override_reason
    cancelled = referrals.get(state=Referral.State.CANCELLED)
    assert cancelled.consent.withdrawn_at is not None
    overdue = referrals.filter(state=Referral.State.SENT, respond_by__lt=cancelled.created_at)
    assert overdue.exists()
    assert referrals.filter(receiving_case__isnull=False).count() == 1
    assert ReferralPacket.objects.count() == referrals.exclude(state="draft").count()
    statuses = set(Service.objects.values_list("status", flat=True))
    assert {"active", "temporarily closed", "defunct"} <= statuses

    casa_officer = User.objects.get(email="referral_officer@casa.example")
    visible = set(referrals_visible_to(casa_officer).values_list("state", flat=True))
    assert visible == {"sent", "accepted"}
    for referral in referrals_visible_to(casa_officer):
        assert casa_officer.has_perm(Perm.VIEW_PACKET, referral)


def test_demo_plans_at_different_stages_in_each_agency():
    from casework import selectors
    from casework.models import IntegrationPlan, PlanAction

    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")  # idempotent
    plans = IntegrationPlan.objects.select_related("case__agency")
    assert {plan.case.agency.slug for plan in plans} == {"amal", "casa", "city"}
    assert plans.count() == 4
    # One plan has actions referred to the other two agencies, at different states.
    referred = PlanAction.objects.filter(referrals__isnull=False).select_related("case__agency")
    assert {action.case.agency.slug for action in referred} == {"amal"}
    assert {action.responsible_agency.slug for action in referred} == {"casa", "city"}
    assert {action.referral_state for action in referred} == {"accepted", "sent"}
    # Agreed, awaiting agreement, not obtained: each stage is there.
    supervisor = User.objects.get(email="supervisor@amal.example")
    stages = set()
    for plan in plans:
        owner = User.objects.get(email=f"supervisor@{plan.case.agency.slug}.example")
        view = selectors.plan_view_for(owner, plan.case)
        stages.add(
            "agreed" if view.is_agreed else "awaiting" if view.awaits_agreement else "not obtained"
        )
    assert stages == {"agreed", "awaiting", "not obtained"}
    attention = selectors.plans_needing_attention(supervisor, stalled_days=30)
    assert [row.stalled and row.overdue for row in attention] == [True]
