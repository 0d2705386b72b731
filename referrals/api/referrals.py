"""Referrals: list (the inbox and the outbox), create (and send), the check
the send form runs, read, and change a draft."""

import logging

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from casework.models import DataCategory
from casework.selectors import cases_visible_to, get_case_for
from config.http.pagination import OrderedKeysetPagination
from config.http.preconditions import if_match_version
from config.http.query import QuerySerializer
from config.http.schema import (
    ETAG_HEADER,
    IDEMPOTENCY_KEY,
    IF_MATCH_REQUIRED,
    LOCATION_HEADER,
    PROBLEM_428,
)
from config.http.serializers import ChangeInSerializer, FlatListField, InputSerializer
from referrals import selectors, services
from referrals.api.common import (
    DIRECTIONS,
    PROBLEM_409,
    ReferralDetailSerializer,
    ReferralListItemSerializer,
    ReferralReasonSerializer,
    list_row,
    referral_response,
    sending_agency_ids,
)
from referrals.api.fields import category_list
from referrals.models import Referral

logger = logging.getLogger(__name__)


# --- List and create -------------------------------------------------------------------


class ReferralListQuerySerializer(QuerySerializer):
    direction = serializers.ChoiceField(
        choices=DIRECTIONS,
        required=False,
        help_text="incoming: addressed to one of your agencies (the inbox); outgoing: sent "
        "from one.",
    )
    state = serializers.ChoiceField(choices=Referral.State.choices, required=False)
    overdue = serializers.BooleanField(
        required=False,
        help_text="true: sent and past respond-by; false: all others; left out: no filter.",
    )
    without_case = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: no case opened from it by the receiving agency yet (with "
        "`state=accepted`: accepted referrals still waiting for their case); false: no filter.",
    )
    case = serializers.UUIDField(
        required=False,
        help_text="Only the referrals sent from this case (a case you cannot see: 404).",
    )


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
    plan_action = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The action of the case's integration plan this referral carries out: an "
        "open action for the receiving agency (400 otherwise), not already referred (409 "
        "`action_referred`). Its answer, progress and completion move the action on.",
    )

    # The schema says the rule of validate(): a reason only with a send.
    schema_rules = [
        [
            # ``send`` left out is true. (``not``, not an enum: drf-spectacular
            # would hoist an enum into a component of its own.)
            {"properties": {"send": {"type": "boolean", "not": {"enum": [False]}}}},
            {"properties": {"override_reason": {"type": "string", "pattern": r"^\s*$"}}},
        ]
    ]

    def validate(self, attrs):
        if attrs["override_reason"].strip() and not attrs["send"]:
            raise ValidationError(
                {"override_reason": [_("Give a reason only when sending.")]}, code="invalid"
            )
        return attrs


class ReferralUpdateInSerializer(ChangeInSerializer):
    purpose = serializers.CharField(max_length=300, required=False)
    urgency = serializers.ChoiceField(choices=Referral.Urgency.choices, required=False)
    respond_by = serializers.DateField(required=False)
    message = serializers.CharField(required=False, allow_blank=True)
    data_categories = FlatListField(
        child=serializers.ChoiceField(choices=DataCategory.choices),
        required=False,
        allow_empty=False,
    )


class ReferralListView(GenericAPIView):
    """Referrals you can see, sent or received, in the inbox's order: overdue
    first, then awaiting an answer, most urgent and earliest respond-by first."""

    pagination_class = OrderedKeysetPagination
    keyset_ordering = selectors.INBOX_ORDERING

    @extend_schema(
        operation_id="referrals_list",
        summary="List referrals (inbox and outbox)",
        parameters=[ReferralListQuerySerializer],
        responses={200: ReferralListItemSerializer(many=True)},
        description="Referrals sent from cases you see and referrals addressed to your agency "
        "while it holds them (sent, accepted, completed). Ordered as the inbox: first the "
        "referrals awaiting the receiving agency's answer past their respond-by date "
        "(`is_overdue`), then the others awaiting an answer (`sent`), then the other open ones "
        "(`draft`, `accepted`), then the closed ones; within each, by urgency (`emergency`, "
        "`urgent`, `routine`), then `respond_by` (earliest first), then `created_at` and `id`. "
        "Overdue is measured against today's date in UTC. Cursor-paginated (`cursor`, "
        "`page_size` ≤ 100, default 50; the cursor holds the position in that order, so pages "
        "neither skip nor repeat rows, except that a referral whose respond-by date passes at "
        "midnight UTC between two pages moves to the overdue group), no total count. "
        "`case` names a case you see (404 otherwise).",
    )
    def get(self, request):
        params = ReferralListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        case_id = filters.get("case")
        if case_id is not None:
            # Only the sending side knows a referral's case: naming one you
            # cannot see is a 404, never a way to test what a referral came from.
            case_id = get_case_for(request.user, case_id).pk
        referrals = selectors.referral_list(
            request.user,
            direction=filters.get("direction", ""),
            state=filters.get("state", ""),
            overdue=filters.get("overdue"),
            without_case=filters["without_case"],
            case_id=case_id,
        )
        page = self.paginate_queryset(referrals)
        # The sender's case numbers for the whole page in one scoped query.
        sending = sending_agency_ids(request.user)
        case_ids = {referral.case_id for referral in page if referral.from_agency_id in sending}
        numbers = (
            dict(cases_visible_to(request.user).filter(pk__in=case_ids).values_list("pk", "number"))
            if case_ids
            else {}
        )
        rows = [
            list_row(
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
            draft = {
                "actor": request.user,
                "case_id": fields["case"],
                "service_id": fields["service"],
                "to_agency_id": fields["to_agency"],
                "purpose": fields["purpose"],
                "urgency": fields["urgency"],
                "respond_by": fields["respond_by"],
                "message": fields["message"],
                "data_categories": fields.get("data_categories"),
                "plan_action_id": fields["plan_action"],
            }
            if send:
                referral = services.create_and_send_referral(
                    **draft, override_reason=override_reason
                )
            else:
                referral = services.create_referral(**draft)
            return referral_response(request, referral, status_code=201)

        def replay(referral_id: str) -> Response:
            referral = selectors.get_referral_for(request.user, referral_id)
            return referral_response(request, referral, status_code=201)

        return idempotent(request, "referrals", produce, replay)


# --- The check -------------------------------------------------------------------------


class ReferralCheckQuerySerializer(QuerySerializer, InputSerializer):
    case = serializers.UUIDField(help_text="The case the client would be referred from.")
    # The directory and the list of agencies are open to every user.
    service = serializers.PrimaryKeyRelatedField(
        queryset=selectors.services_directory(),
        pk_field=serializers.UUIDField(),
        required=False,
        help_text="A service of the directory (id).",
    )
    to_agency = serializers.PrimaryKeyRelatedField(
        queryset=selectors.referral_recipients(),
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
            # Either of two query parameters: OpenAPI 3.0 has no way to say so
            # (.ci/fuzz_hooks.py names this code).
            raise ValidationError(
                {"service": [_("Choose a service or an agency.")]}, code="service_or_agency"
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
