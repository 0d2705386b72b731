"""Referrals: list (the inbox and the outbox), create (and send), the check
the send form runs, read, and change a draft.

What a caller reads depends on their side. The sender (a member of the
sending agency who sees the case) reads the case it came from and the consent
it relies on; the receiving agency never learns the sender's case, client or
consent ids, only what the packet holds (``referrals.api.packet``).
"""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import agency_permissions
from casework.api.common import (
    ETAG_HEADER,
    IDEMPOTENCY_KEY,
    IF_MATCH_REQUIRED,
    LOCATION_HEADER,
    PROBLEM_428,
    InputSerializer,
    UserRefSerializer,
    if_match_version,
    with_version_headers,
)
from casework.api.consent import FlatListField
from casework.models import DataCategory, ServiceCategory
from casework.selectors import cases_visible_to
from config.api import PROBLEM_CONTENT_TYPE
from config.pagination import KeysetCursorPagination
from config.schema import ProblemSerializer
from referrals import selectors, services
from referrals.api.fields import NamedChoiceField, category_list
from referrals.models import Referral, Service

logger = logging.getLogger(__name__)

# Where both agencies hold the referral and may write on it (as
# referrals.services.post_referral_message allows).
MESSAGE_STATES = frozenset({Referral.State.SENT, Referral.State.ACCEPTED, Referral.State.COMPLETED})

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
    kind = serializers.CharField(
        help_text="created, sent, consent_override, accepted, declined, progress, completed, "
        "withdrawn, expired, cancelled or case_opened."
    )
    from_state = serializers.CharField(help_text="Blank for events that change no state.")
    to_state = serializers.CharField()
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
        choices=["outgoing", "incoming"],
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


def _sending_agency_ids(actor: User) -> set:
    return {
        agency_id
        for agency_id, perms in agency_permissions(actor).items()
        if Perm.VIEW_REFERRAL in perms
    }


def is_sender(actor: User, referral: Referral) -> bool:
    """The caller sees the referral as its sender: VIEW_REFERRAL in the sending
    agency and sees the case (the sending half of ``referrals_visible_to``)."""
    return referral.from_agency_id in _sending_agency_ids(actor) and actor.has_perm(
        Perm.VIEW_CASE, referral.case
    )


def allowed_actions(actor: User, referral: Referral, sender: bool) -> list[str]:
    """The actions the lifecycle table allows now and the caller's permissions permit."""
    state = referral.state
    actions = []
    if sender and actor.has_perm(Perm.SEND_REFERRAL, referral):
        if state == Referral.State.DRAFT:
            actions += ["edit", "send"]
        if Referral.target_of(Referral.Action.WITHDRAW, state):
            actions.append("withdraw")
    if not sender and actor.has_perm(Perm.RESPOND_REFERRAL, referral):
        for action in (Referral.Action.ACCEPT, Referral.Action.DECLINE):
            if Referral.target_of(action, state):
                actions.append(str(action))
        if state == Referral.State.ACCEPTED:
            actions.append("progress")
        if Referral.target_of(Referral.Action.COMPLETE, state):
            actions.append("complete")
        if (
            state in (Referral.State.ACCEPTED, Referral.State.COMPLETED)
            and referral.receiving_case_id is None
            and DataCategory.IDENTITY in referral.data_categories
        ):
            actions.append("open_case")
    if state in MESSAGE_STATES and actor.has_perm(Perm.MESSAGE_REFERRAL, referral):
        actions.append("message")
    return actions


def _service_ref(referral: Referral) -> dict | None:
    if not referral.service_name:
        return None
    return {
        "id": referral.service_id,
        "name": referral.service_name,
        "category": referral.service_category,
    }


def _list_row(referral: Referral, case_number: str | None) -> dict:
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
        "is_overdue": referral.is_overdue,
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
        **_list_row(referral, referral.case.number if sender else None),
        "from_user": _user_ref(referral.from_user),
        "message": referral.message,
        "consent": referral.consent_id if sender else None,
        "override": override,
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

    code = serializers.CharField(
        help_text="Always refused: same_agency, service_of_another_agency, "
        "service_not_taking_referrals, no_data_sharing_agreement, do_not_disclose. "
        "Refused unless a supervisor overrides: no_categories, no_consent, withdrawn, "
        "expired, not_yet_valid, recipient_not_covered, categories_not_covered, "
        "special_category_condition_missing, legitimate_interests_public_authority."
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
    status = serializers.CharField(required=False, help_text="With service_not_taking_referrals.")
    purpose = serializers.CharField(required=False, help_text="With no_consent.")
    withdrawn_at = serializers.DateTimeField(required=False, help_text="With withdrawn.")
    expired_at = serializers.DateTimeField(required=False, help_text="With expired.")
    given_at = serializers.DateTimeField(required=False, help_text="With not_yet_valid.")
    service_category = serializers.CharField(
        required=False, help_text="With recipient_not_covered."
    )
    categories = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="With categories_not_covered: the data categories the consent does not cover.",
    )


class ReferralProblemSerializer(ProblemSerializer):
    """409 on a referral: ``invalid_transition`` (with ``state`` and ``action``),
    ``referral_refused`` or ``consent_missing`` (with ``reasons``)."""

    state = serializers.CharField(
        required=False, help_text="With invalid_transition: the referral's state now."
    )
    action = serializers.CharField(
        required=False, help_text="With invalid_transition: the action refused."
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


# --- List and create -------------------------------------------------------------------


class ReferralListQuerySerializer(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=["incoming", "outgoing"],
        required=False,
        help_text="incoming: addressed to one of your agencies (the inbox); outgoing: sent "
        "from one.",
    )
    state = serializers.ChoiceField(choices=Referral.State.choices, required=False)
    overdue = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="true: sent and past respond-by; false: all others.",
    )
    case = serializers.UUIDField(required=False, help_text="Only the referrals of this case.")


class ReferralCreateInSerializer(InputSerializer):
    case = serializers.UUIDField(help_text="The case the client is referred from.")
    service = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A service of the directory (its agency receives the referral).",
    )
    to_agency = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The receiving agency, when no service is named.",
    )
    purpose = serializers.CharField(
        max_length=300, help_text="What the client needs from the partner."
    )
    urgency = serializers.ChoiceField(
        choices=Referral.Urgency.choices, default=Referral.Urgency.ROUTINE
    )
    respond_by = serializers.DateField(help_text="Today or later, within a year.")
    message = serializers.CharField(required=False, allow_blank=True, default="")
    data_categories = FlatListField(
        child=serializers.ChoiceField(choices=DataCategory.choices),
        required=False,
        allow_empty=False,
        help_text="What to share. Omitted: what the service needs and the consent covers "
        "(see /referrals/check/).",
    )
    send = serializers.BooleanField(
        default=True, help_text="Send it at once (default); false keeps a draft."
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Supervisors only: why it goes without a covering consent.",
    )

    def validate(self, attrs):
        if attrs["override_reason"].strip() and not attrs["send"]:
            raise ValidationError(
                {"override_reason": [_("Give a reason only when sending.")]}, code="invalid"
            )
        return attrs


class ReferralUpdateInSerializer(InputSerializer):
    purpose = serializers.CharField(max_length=300, required=False)
    urgency = serializers.ChoiceField(choices=Referral.Urgency.choices, required=False)
    respond_by = serializers.DateField(required=False)
    message = serializers.CharField(required=False, allow_blank=True)
    data_categories = FlatListField(
        child=serializers.ChoiceField(choices=DataCategory.choices),
        required=False,
        allow_empty=False,
    )

    def validate(self, attrs):
        if not attrs:
            raise ValidationError(_("Send at least one field to change."), code="empty")
        return attrs


class ReferralListView(GenericAPIView):
    """Referrals you can see, sent or received, newest first."""

    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="referrals_list",
        summary="List referrals (inbox and outbox)",
        parameters=[ReferralListQuerySerializer],
        responses={200: ReferralListItemSerializer(many=True)},
        description="Referrals sent from cases you see and referrals addressed to your agency "
        "while it holds them (sent, accepted, completed), newest first. Cursor-paginated "
        "(`cursor`, `page_size` ≤ 100, default 50), no total count.",
    )
    def get(self, request):
        params = ReferralListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        overdue = filters.get("overdue")
        referrals = selectors.referral_list(
            request.user,
            direction=filters.get("direction", ""),
            state=filters.get("state", ""),
            overdue=None if overdue is None else overdue == "true",
            case_id=filters.get("case"),
        )
        page = self.paginate_queryset(referrals)
        # The sender's case numbers for the whole page in one scoped query.
        sending = _sending_agency_ids(request.user)
        case_ids = {referral.case_id for referral in page if referral.from_agency_id in sending}
        numbers = (
            dict(cases_visible_to(request.user).filter(pk__in=case_ids).values_list("pk", "number"))
            if case_ids
            else {}
        )
        rows = [
            _list_row(
                referral,
                numbers.get(referral.case_id) if referral.from_agency_id in sending else None,
            )
            for referral in page
        ]
        return self.get_paginated_response(ReferralListItemSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="referrals_create",
        summary="Refer a client (draft and send)",
        request=ReferralCreateInSerializer,
        parameters=[IDEMPOTENCY_KEY, ETAG_HEADER, LOCATION_HEADER],
        responses={201: ReferralDetailSerializer, **PROBLEM_409},
        description="Drafts a referral from a case you see (SEND_REFERRAL in the case's "
        "agency) to a `service` or an agency (`to_agency`) and, unless `send` is false, sends "
        "it in the same transaction: a refused send leaves no draft behind. Sending freezes "
        "the packet (exactly `data_categories`) and gives the receiving agency access. "
        "Refused: `409 referral_refused` (inactive service, no valid data-sharing agreement, "
        "do-not-disclose), `409 consent_missing` (no live consent covers it; a supervisor may "
        "send it with `override_reason`, a caseworker giving one gets 403). A case you cannot "
        "see answers 404.",
    )
    def post(self, request):
        data = ReferralCreateInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        send = fields.pop("send")
        override_reason = fields.pop("override_reason")

        def produce() -> Response:
            with transaction.atomic():
                referral = services.create_referral(
                    actor=request.user,
                    case_id=fields["case"],
                    service_id=fields["service"],
                    to_agency_id=fields["to_agency"],
                    purpose=fields["purpose"],
                    urgency=fields["urgency"],
                    respond_by=fields["respond_by"],
                    message=fields["message"],
                    data_categories=fields.get("data_categories"),
                )
                if send:
                    referral = services.send_referral(
                        actor=request.user,
                        referral_id=referral.pk,
                        override_reason=override_reason,
                    )
            return referral_response(request, referral, status_code=201)

        def replay(referral_id: str) -> Response:
            referral = selectors.get_referral_for(request.user, referral_id)
            return referral_response(request, referral, status_code=201)

        return idempotent(request, "referrals", produce, replay)


# --- The check -------------------------------------------------------------------------


class ReferralCheckQuerySerializer(InputSerializer):
    case = serializers.UUIDField(help_text="The case the client would be referred from.")
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(),
        pk_field=serializers.UUIDField(),
        required=False,
        help_text="A service of the directory (id).",
    )
    to_agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(),
        pk_field=serializers.UUIDField(),
        required=False,
        help_text="The receiving agency (id), when no service is named.",
    )
    data_categories = FlatListField(
        child=serializers.ChoiceField(choices=DataCategory.choices),
        required=False,
        help_text="What you would share: comma-separated (identity,contact) or repeated. "
        "Omitted: what Sanad proposes.",
    )

    def validate(self, attrs):
        service, to_agency = attrs.get("service"), attrs.get("to_agency")
        if service is None and to_agency is None:
            raise ValidationError(
                {"service": [_("Choose a service or an agency.")]}, code="required"
            )
        if service is not None and to_agency is not None and service.agency_id != to_agency.pk:
            raise ValidationError(
                {"to_agency": [_("This service is not run by that agency.")]}, code="invalid"
            )
        return attrs


class ReferralCheckSerializer(serializers.Serializer):
    needed = category_list("What the service needs.")
    covered = category_list("What the live consent naming this recipient covers.")
    proposed = category_list("What Sanad proposes to share: needed and covered.")
    chosen = category_list("What was checked: your data_categories, or the proposal.")
    can_send = serializers.BooleanField(help_text="True when nothing blocks and consent covers.")
    consent = serializers.UUIDField(
        allow_null=True, help_text="The consent that covers the chosen categories."
    )
    blocks = ReferralReasonSerializer(
        many=True, help_text="Reasons no one can send it (no override possible)."
    )
    consent_gaps = ReferralReasonSerializer(
        many=True, help_text="What the consent lacks; a supervisor may override with a reason."
    )
    refused_categories = serializers.DictField(
        child=serializers.CharField(),
        help_text="{category: why it cannot be shared} for needed or chosen categories the "
        "consent does not cover.",
    )


class ReferralCheckView(APIView):
    @extend_schema(
        operation_id="referrals_check",
        summary="What a referral may share, and what stops it",
        parameters=[ReferralCheckQuerySerializer],
        responses={200: ReferralCheckSerializer},
        description="The rule `POST /referrals/` enforces, for a case you may refer from "
        "(SEND_REFERRAL in its agency; 403 otherwise; a case you cannot see answers 404) to "
        "a `service` or an agency (`to_agency`).",
    )
    def get(self, request):
        params = ReferralCheckQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        service = query.get("service")
        to_agency = query.get("to_agency")
        chosen = query.get("data_categories") or None
        check = selectors.referral_check_for(
            request.user,
            query["case"],
            to_agency.pk if to_agency is not None else None,
            service.pk if service is not None else None,
            chosen,
        )
        picked = set(check.proposed if chosen is None else chosen)
        body = {
            "needed": check.needed,
            "covered": check.covered,
            "proposed": check.proposed,
            "chosen": [category for category in DataCategory.values if category in picked],
            "can_send": check.can_send,
            "consent": check.consent.pk if check.consent is not None else None,
            "blocks": [gap.as_dict() for gap in check.blocks],
            "consent_gaps": [gap.as_dict() for gap in check.consent_gaps],
            "refused_categories": check.refused_categories,
        }
        return Response(ReferralCheckSerializer(body).data)


# --- One referral ----------------------------------------------------------------------


class ReferralDetailView(APIView):
    @extend_schema(
        operation_id="referrals_retrieve",
        summary="Get a referral",
        parameters=[ETAG_HEADER],
        responses={200: ReferralDetailSerializer},
        description="The referral's metadata and timeline, for its sender and, while it "
        "holds the referral, the receiving agency (404 for everyone else, and for the "
        "receiving agency once it is declined, withdrawn, expired or cancelled). The "
        "recipient does not see the sender's case or consent.",
    )
    def get(self, request, referral_id):
        return referral_response(request, selectors.get_referral_for(request.user, referral_id))

    @extend_schema(
        operation_id="referrals_partial_update",
        summary="Change a draft",
        request=ReferralUpdateInSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        responses={200: ReferralDetailSerializer, **PROBLEM_409, **PROBLEM_428},
        description="Only a draft changes (`409 not_a_draft` otherwise). Needs "
        "SEND_REFERRAL (the sending side) and `If-Match` with the ETag you read (stale: 412).",
    )
    def patch(self, request, referral_id):
        version = if_match_version(request, required=True)
        data = ReferralUpdateInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        referral = services.update_referral_draft(
            actor=request.user,
            referral_id=referral_id,
            changes=dict(data.validated_data),
            expected_version=version,
        )
        return referral_response(request, referral)
