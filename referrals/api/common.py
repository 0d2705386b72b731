"""Shared pieces of the referrals API: the referral as each side may read it
(sender: with its case and consent; recipient: without), the actions a
caller may take now, and the 409 problem documents of the lifecycle.

The sender is a member of the sending agency who sees the case; the
receiving agency never learns the sender's case, client or consent ids, only
what the packet holds (``referrals.api.packet``).
"""

from uuid import UUID

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.response import Response

from accounts.models import User
from accounts.permissions import Perm
from accounts.selectors import agencies_where
from casework.api.consent import GAP_CODES
from casework.models import Consent, DataCategory, ServiceCategory
from casework.selectors import cases_visible_to
from config.http.api import PROBLEM_CONTENT_TYPE
from config.http.preconditions import with_version_headers
from config.http.schema import ProblemSerializer
from config.http.serializers import UserRefSerializer
from referrals import selectors
from referrals.api.fields import NamedChoiceField
from referrals.models import Referral, ReferralEvent, Service

# Where both agencies hold the referral and may write on it (as
# referrals.services.post_referral_message allows).

ACTIONS = (
    "edit",
    "send",
    "withdraw",
    "accept",
    "decline",
    "progress",
    "complete",
    "open_case",
    "message",
)

# How the caller sees a referral: as its sender or as its recipient.
DIRECTIONS = ("outgoing", "incoming")

# Why a referral is refused (``ReferralReasonSerializer.code``): what stops it
# whatever anyone says, then what a supervisor may override
# (referrals.selectors.checks, the consent's gaps of casework.selectors.consent).
REFUSAL_CODES = (
    "same_agency",
    "service_of_another_agency",
    "service_not_taking_referrals",
    "no_data_sharing_agreement",
    "no_categories",
    *GAP_CODES,
)


# --- Shared output ---------------------------------------------------------------------


class NamedRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(help_text="As it was when the referral was made.")


class ReferralServiceRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(help_text="As it was when the referral was made.")
    category = NamedChoiceField(choices=ServiceCategory.choices)


class CaseRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()


class OverrideSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why it was sent without a covering consent.")
    by = UserRefSerializer(help_text="The supervisor who decided it.")
    at = serializers.DateTimeField()


class ReferralEventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReferralEvent.Kind.choices)
    from_state = serializers.ChoiceField(
        choices=Referral.State.choices,
        allow_blank=True,
        help_text="Blank for events that change no state.",
    )
    to_state = serializers.ChoiceField(
        choices=Referral.State.choices,
        allow_blank=True,
        help_text="Blank for events that change no state.",
    )
    actor = serializers.CharField(
        allow_null=True, help_text="Who did it (display name); null for Sanad itself (expiry)."
    )
    agency = serializers.CharField(allow_null=True, help_text="The actor's agency (its name).")
    note = serializers.CharField(help_text="The reason, outcome or progress note given.")
    at = serializers.DateTimeField()


class ReferralListItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField(help_text="A short handle for people, e.g. R-1A2B3C4D.")
    state = serializers.ChoiceField(choices=Referral.State.choices)
    direction = serializers.ChoiceField(
        choices=DIRECTIONS,
        help_text="outgoing when you see it as its sender, incoming as its recipient.",
    )
    from_agency = NamedRefSerializer()
    to_agency = NamedRefSerializer()
    service = ReferralServiceRefSerializer(allow_null=True)
    case = CaseRefSerializer(
        allow_null=True,
        help_text="The case it was sent from: only for the sending side, null for the recipient.",
    )
    purpose = serializers.CharField()
    urgency = serializers.ChoiceField(choices=Referral.Urgency.choices)
    respond_by = serializers.DateField()
    is_overdue = serializers.BooleanField(help_text="Sent and past its respond-by date.")
    data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=DataCategory.choices)
    )
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class ReferralDetailSerializer(ReferralListItemSerializer):
    from_user = UserRefSerializer(help_text="Who made the referral.")
    message = serializers.CharField()
    consent = serializers.UUIDField(
        allow_null=True,
        help_text="The consent it relies on: only for the sending side, null for the "
        "recipient and for a referral sent with an override.",
    )
    override = OverrideSerializer(
        allow_null=True, help_text="Set when a supervisor sent it without a covering consent."
    )
    plan_action = serializers.UUIDField(
        allow_null=True,
        help_text="The action of the case's integration plan it carries out: only for the "
        "sending side, null for the recipient and for a referral that carries none out.",
    )
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = UserRefSerializer(allow_null=True)
    decline_reason = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_reason = serializers.CharField()
    receiving_case = CaseRefSerializer(
        allow_null=True,
        help_text="The case the receiving agency opened from it, when you may see that case.",
    )
    updated_at = serializers.DateTimeField()
    allowed_actions = serializers.ListField(
        child=serializers.ChoiceField(choices=ACTIONS),
        help_text="What you may do with it now: edit and send (a draft), withdraw (sender); "
        "accept, decline, progress, complete, open_case (recipient); message (both).",
    )
    timeline = ReferralEventSerializer(many=True, help_text="Oldest first.")


def _user_ref(user: User | None) -> dict | None:
    return {"id": user.pk, "display_name": user.display_name} if user is not None else None


def sending_agency_ids(actor: User) -> frozenset[UUID]:
    """The agencies whose referrals the caller reads as their sender (VIEW_REFERRAL there)."""
    return agencies_where(actor, Perm.VIEW_REFERRAL)


def is_sender(actor: User, referral: Referral) -> bool:
    """The caller sees the referral as its sender (``selectors.is_sender_side``)."""
    return selectors.is_sender_side(actor, referral)


# What the API calls each action (the page's own extras are left out).
_API_ACTIONS = frozenset(
    {
        "edit",
        "send",
        "withdraw",
        "accept",
        "decline",
        "progress",
        "complete",
        "open_case",
        "message",
    }
)


def allowed_actions(actor: User, referral: Referral, sender: bool = True) -> list[str]:
    """The actions the lifecycle table allows now and the caller's permissions
    permit (``referrals.selectors.referral_actions_for``)."""
    return [a for a in selectors.referral_actions_for(actor, referral) if a in _API_ACTIONS]


def _service_ref(referral: Referral) -> dict | None:
    if not referral.service_name:
        return None
    return {
        "id": referral.service_id,
        "name": referral.service_name,
        "category": referral.service_category,
    }


def list_row(referral: Referral, case_number: str | None) -> dict:
    """The fields a list shows; ``case_number`` is given for the sending side only."""
    return {
        "id": referral.pk,
        "reference": referral.reference,
        "state": referral.state,
        "direction": "outgoing" if case_number is not None else "incoming",
        "from_agency": {"id": referral.from_agency_id, "name": referral.from_agency_name},
        "to_agency": {"id": referral.to_agency_id, "name": referral.to_agency_name},
        "service": _service_ref(referral),
        "case": {"id": referral.case_id, "number": case_number}
        if case_number is not None
        else None,
        "purpose": referral.purpose,
        "urgency": referral.urgency,
        "respond_by": referral.respond_by,
        # As the list measured it (``in_inbox_order``) when it did.
        "is_overdue": getattr(referral, "is_late", referral.is_overdue),
        "data_categories": referral.data_categories,
        "created_at": referral.created_at,
        "sent_at": referral.sent_at,
        "version": referral.version,
    }


def referral_body(actor: User, referral: Referral) -> dict:
    """The referral as ``actor`` may read it (call with a referral from
    ``get_referral_for`` or a service that loaded it so)."""
    sender = is_sender(actor, referral)
    receiving_case = None
    if referral.receiving_case_id is not None:
        receiving_case = (
            cases_visible_to(actor)
            .filter(pk=referral.receiving_case_id)
            .values("id", "number")
            .first()
        )
    timeline = [
        {
            "kind": event.kind,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "actor": event.actor.display_name if event.actor else None,
            "agency": event.actor_agency.name if event.actor_agency else None,
            "note": event.note,
            "at": event.at,
        }
        for event in selectors.referral_timeline(referral)
    ]
    override = None
    if referral.is_override:
        override = {
            "reason": referral.override_reason,
            "by": _user_ref(referral.override_by),
            "at": referral.override_at,
        }
    body = {
        **list_row(referral, referral.case.number if sender else None),
        "from_user": _user_ref(referral.from_user),
        "message": referral.message,
        "consent": referral.consent_id if sender else None,
        "override": override,
        "plan_action": referral.plan_action_id if sender else None,
        "decided_at": referral.decided_at,
        "decided_by": _user_ref(referral.decided_by),
        "decline_reason": referral.decline_reason,
        "completed_at": referral.completed_at,
        "outcome": referral.outcome,
        "closed_at": referral.closed_at,
        "closed_reason": referral.closed_reason,
        "receiving_case": receiving_case,
        "updated_at": referral.updated_at,
        "allowed_actions": allowed_actions(actor, referral, sender),
        "timeline": timeline,
    }
    return ReferralDetailSerializer(body).data


def referral_url(referral: Referral) -> str:
    return reverse("api-referral-detail", kwargs={"referral_id": referral.pk})


def referral_response(request, referral: Referral, *, status_code: int = 200) -> Response:
    response = Response(referral_body(request.user, referral), status=status_code)
    return with_version_headers(
        response, referral, referral_url(referral) if status_code == 201 else ""
    )


# --- Problems --------------------------------------------------------------------------


class ReferralReasonSerializer(serializers.Serializer):
    """One reason a referral is refused; the other keys depend on ``code``."""

    code = serializers.ChoiceField(
        choices=REFUSAL_CODES,
        help_text="Always refused: same_agency, service_of_another_agency, "
        "service_not_taking_referrals, no_data_sharing_agreement, do_not_disclose. "
        "Refused unless a supervisor overrides: no_categories, no_consent, withdrawn, "
        "expired, not_yet_valid, recipient_not_covered, categories_not_covered, "
        "special_category_condition_missing, legitimate_interests_public_authority.",
    )
    message = serializers.CharField(help_text="A sentence for the caseworker, translated.")
    agency = serializers.UUIDField(
        required=False,
        help_text="With no_data_sharing_agreement, do_not_disclose, recipient_not_covered.",
    )
    valid_until = serializers.DateField(
        required=False, allow_null=True, help_text="With no_data_sharing_agreement."
    )
    service = serializers.UUIDField(required=False, help_text="With service_not_taking_referrals.")
    status = serializers.ChoiceField(
        choices=Service.Status.choices,
        required=False,
        help_text="With service_not_taking_referrals.",
    )
    purpose = serializers.ChoiceField(
        choices=Consent.Purpose.choices, required=False, help_text="With no_consent."
    )
    withdrawn_at = serializers.DateTimeField(required=False, help_text="With withdrawn.")
    expired_at = serializers.DateTimeField(required=False, help_text="With expired.")
    given_at = serializers.DateTimeField(required=False, help_text="With not_yet_valid.")
    service_category = serializers.ChoiceField(
        choices=ServiceCategory.choices,
        allow_blank=True,
        required=False,
        help_text="With recipient_not_covered; blank when none was asked.",
    )
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=DataCategory.choices),
        required=False,
        help_text="With categories_not_covered: the data categories the consent does not cover.",
    )


class ReferralProblemSerializer(ProblemSerializer):
    """409 on a referral: ``invalid_transition`` (with ``state`` and ``action``),
    ``referral_refused`` or ``consent_missing`` (with ``reasons``)."""

    state = serializers.ChoiceField(
        choices=Referral.State.choices,
        required=False,
        help_text="With invalid_transition: the referral's state now.",
    )
    action = serializers.ChoiceField(
        choices=Referral.Action.choices,
        required=False,
        help_text="With invalid_transition: the action refused.",
    )
    reasons = ReferralReasonSerializer(
        many=True,
        required=False,
        help_text="With referral_refused and consent_missing: every reason it is refused.",
    )

    class Meta:
        ref_name = "ReferralProblem"


PROBLEM_409 = {
    (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ReferralProblemSerializer,
        description="`invalid_transition` (the lifecycle does not allow it from `state`), "
        "`referral_refused` or `consent_missing` (`reasons` says why), or another conflict "
        "with the referral's state.",
    )
}
