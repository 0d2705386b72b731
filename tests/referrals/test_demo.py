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
    assert referrals.count() == 10
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
