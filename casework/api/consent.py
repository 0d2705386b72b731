"""Consent: a client's consents (record, read, withdraw one or all), whether a
live consent covers a disclosure, and a case's do-not-disclose list.

A consent is append-only (DESIGN §4): this API has no way to change or delete
one. ``PUT``, ``PATCH`` and ``DELETE`` on a consent answer 405; the only change
is its withdrawal.
"""

import logging

from django.db.models import prefetch_related_objects
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Agency, language_code_validator
from casework import selectors, services
from casework.models import Consent, DataCategory, ServiceCategory
from casework.models.consent import SPECIAL_CATEGORIES
from config.http.pagination import KeysetCursorPagination
from config.http.query import QuerySerializer
from config.http.schema import LOCATION_HEADER, NOT_BLANK_PATTERN
from config.http.serializers import (
    AgencyRefSerializer,
    FlatListField,
    InputSerializer,
    UserRefSerializer,
)

logger = logging.getLogger(__name__)


def _agency_field(**kwargs) -> serializers.PrimaryKeyRelatedField:
    # The directory of agencies is public to every user: any agency may be named.
    return serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), pk_field=serializers.UUIDField(), **kwargs
    )


# --- Consents ------------------------------------------------------------------------


GAP_CODES = (
    "no_consent",
    "withdrawn",
    "expired",
    "not_yet_valid",
    "recipient_not_covered",
    "categories_not_covered",
    "special_category_condition_missing",
    "legitimate_interests_public_authority",
    "do_not_disclose",
)


class ConsentOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    agency = AgencyRefSerializer(help_text="The collecting agency (the client's).")
    purpose = serializers.ChoiceField(choices=Consent.Purpose.choices)
    lawful_basis = serializers.ChoiceField(choices=Consent.LawfulBasis.choices)
    special_category_condition = serializers.ChoiceField(
        choices=Consent.SpecialCategoryCondition.choices,
        allow_blank=True,
        help_text="The GDPR Art. 9(2) condition; blank when no special-category data is covered.",
    )
    data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=DataCategory.choices)
    )
    recipient_agencies = AgencyRefSerializer(many=True)
    recipient_service_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceCategory.choices)
    )
    given_by = serializers.ChoiceField(choices=Consent.GivenBy.choices)
    given_by_name = serializers.CharField()
    method = serializers.ChoiceField(choices=Consent.Method.choices)
    evidence = serializers.UUIDField(
        source="evidence_id", allow_null=True, help_text="The signed form (a document id)."
    )
    notice_version = serializers.CharField()
    explanation_language = serializers.CharField()
    interpreter_used = serializers.BooleanField()
    given_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawn_by = UserRefSerializer(allow_null=True)
    withdrawal_reason = serializers.CharField()
    recorded_by = UserRefSerializer()
    recorded_at = serializers.DateTimeField()
    status = serializers.ChoiceField(
        choices=Consent.Status.choices, help_text="Now, as the server's clock says."
    )


class ConsentListQuerySerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=Consent.Status.choices, required=False)


def _one_of(*values) -> dict:
    return {"type": "string", "pattern": "^(" + "|".join(sorted(map(str, values))) + ")$"}


def _given_text() -> dict:
    return {"type": "string", "minLength": 1, "pattern": NOT_BLANK_PATTERN}


def _some() -> dict:
    return {"type": "array", "minItems": 1}


class ConsentInSerializer(InputSerializer):
    # record_consent's rules between fields, so that the schema says them too.
    # (Patterns, not enums: drf-spectacular would hoist an enum into a component.)
    schema_rules = [
        # Someone other than the client who gave it is named.
        [
            {"properties": {"given_by": _one_of(Consent.GivenBy.CLIENT)}},
            {"required": ["given_by_name"], "properties": {"given_by_name": _given_text()}},
        ],
        # Special-category data needs an Art. 9(2) condition.
        [
            {
                "properties": {
                    "data_categories": {
                        "type": "array",
                        "items": _one_of(*(set(DataCategory) - SPECIAL_CATEGORIES)),
                    }
                }
            },
            {
                "required": ["special_category_condition"],
                "properties": {"special_category_condition": {"type": "string", "minLength": 1}},
            },
        ],
        # A referral consent names its recipients.
        [
            {
                "properties": {
                    "purpose": _one_of(*(set(Consent.Purpose) - {Consent.Purpose.REFERRAL}))
                }
            },
            {"required": ["recipient_agencies"], "properties": {"recipient_agencies": _some()}},
            {
                "required": ["recipient_service_categories"],
                "properties": {"recipient_service_categories": _some()},
            },
        ],
        # A written consent comes with its signed form.
        [
            {"properties": {"method": _one_of(*(set(Consent.Method) - {Consent.Method.WRITTEN}))}},
            {
                # Not empty: in a form, an empty value is no document.
                "required": ["evidence"],
                "properties": {"evidence": {"type": "string", "minLength": 1}},
            },
        ],
    ]

    purpose = serializers.ChoiceField(choices=Consent.Purpose.choices)
    lawful_basis = serializers.ChoiceField(
        choices=Consent.LawfulBasis.choices,
        help_text="legitimate_interests is refused for a public authority.",
    )
    special_category_condition = serializers.ChoiceField(
        choices=Consent.SpecialCategoryCondition.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when data_categories includes health.",
    )
    data_categories = FlatListField(
        child=serializers.ChoiceField(choices=DataCategory.choices), allow_empty=False
    )
    recipient_agencies = FlatListField(
        child=serializers.UUIDField(),
        required=False,
        default=list,
        max_length=100,
        help_text="Agency ids. A referral consent names agencies or kinds of service.",
    )
    recipient_service_categories = FlatListField(
        child=serializers.ChoiceField(choices=ServiceCategory.choices),
        required=False,
        default=list,
    )
    given_by = serializers.ChoiceField(choices=Consent.GivenBy.choices)
    given_by_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required unless the client gave it.",
    )
    method = serializers.ChoiceField(choices=Consent.Method.choices)
    evidence = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A written consent's signed form: a document of category consent on one "
        "of the client's cases.",
    )
    notice_version = serializers.CharField(max_length=40)
    explanation_language = serializers.CharField(
        max_length=16,
        validators=[language_code_validator],
        help_text="Language code, e.g. ar.",
    )
    interpreter_used = serializers.BooleanField(required=False, default=False)
    given_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="ISO 8601; default now."
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="ISO 8601; none by default."
    )


class WithdrawInSerializer(InputSerializer):
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Optional."
    )


def _consent_url(consent: Consent) -> str:
    return reverse("api-consent-detail", kwargs={"consent_id": consent.pk})


class ClientConsentsView(GenericAPIView):
    """A client's consents, in every state, newest first."""

    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-given_at", "-id")

    @extend_schema(
        operation_id="clients_consents_list",
        summary="Consents of a client",
        parameters=[ConsentListQuerySerializer],
        responses={200: ConsentOutSerializer(many=True)},
        description="Every consent of the client (active, expired, withdrawn, not valid yet), "
        "most recently given first; `status` filters by the state now. Cursor-paginated "
        "(`cursor`, `page_size` ≤ 100, default 50), no total count. Needs VIEW_CONSENT on "
        "the client.",
    )
    def get(self, request, client_id):
        params = ConsentListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        consents = selectors.consents_of(
            request.user, client_id, status=params.validated_data.get("status", "")
        )
        page = self.paginate_queryset(consents)
        return self.get_paginated_response(ConsentOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="clients_consents_create",
        summary="Record a consent",
        request=ConsentInSerializer,
        parameters=[LOCATION_HEADER],
        responses={201: ConsentOutSerializer},
        description="Records what the client agreed to, on the client's agency. Needs "
        "RECORD_CONSENT on the client. Refused (400, naming the field): health data without "
        "`special_category_condition`; `legitimate_interests` at a public authority "
        "(`lawful_basis`); a `written` consent without its signed form (`evidence`); a "
        "`referral` consent without recipients (`recipient_agencies`); someone other than the "
        "client without `given_by_name`; `given_at` in the future; `expires_at` before "
        "`given_at`. A consent cannot be changed afterwards, only withdrawn.",
    )
    def post(self, request, client_id):
        data = ConsentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        consent = services.record_consent(
            actor=request.user,
            client_id=client_id,
            evidence_id=fields.pop("evidence"),
            **fields,
        )
        return Response(
            ConsentOutSerializer(consent).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": _consent_url(consent)},
        )


class ConsentDetailView(APIView):
    """One consent. Read only: nothing edits or deletes a consent (405)."""

    @extend_schema(
        operation_id="consents_retrieve",
        summary="Get a consent",
        responses={200: ConsentOutSerializer},
        description="Needs VIEW_CONSENT on the consent's client. There is no PUT, PATCH or "
        "DELETE (405): a consent is append-only; record its withdrawal instead.",
    )
    def get(self, request, consent_id):
        return Response(
            ConsentOutSerializer(selectors.get_consent_for(request.user, consent_id)).data
        )


class ConsentWithdrawView(APIView):
    @extend_schema(
        operation_id="consents_withdraw",
        summary="Withdraw a consent",
        request=WithdrawInSerializer,
        responses={200: ConsentOutSerializer},
        description="Records that the client withdrew the consent; it stops covering anything "
        "at once, and whatever relied on it reacts in the same transaction. Needs "
        "WITHDRAW_CONSENT on the client. A consent already withdrawn answers "
        "`409 already_withdrawn`.",
    )
    def post(self, request, consent_id):
        data = WithdrawInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.withdraw_consent(
            actor=request.user, consent_id=consent_id, reason=data.validated_data["reason"]
        )
        return Response(ConsentOutSerializer(consent).data)


class ClientConsentsWithdrawAllView(APIView):
    @extend_schema(
        operation_id="clients_consents_withdraw_all",
        summary="Withdraw all of a client's consents",
        request=WithdrawInSerializer,
        responses={200: ConsentOutSerializer(many=True)},
        description="Withdraws, in one step, every consent of the client not withdrawn yet "
        "(expired ones included) and answers with those consents (an empty list when there "
        "were none). Needs WITHDRAW_CONSENT on the client.",
    )
    def post(self, request, client_id):
        data = WithdrawInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawn = services.withdraw_all_consents(
            actor=request.user, client_id=client_id, reason=data.validated_data["reason"]
        )
        prefetch_related_objects(withdrawn, "agency", "recorded_by", "recipient_agencies")
        return Response(ConsentOutSerializer(withdrawn, many=True).data)


# --- Coverage ------------------------------------------------------------------------


class CoverageQuerySerializer(QuerySerializer, InputSerializer):
    recipient_agency = _agency_field(help_text="The agency that would receive the data (id).")
    purpose = serializers.ChoiceField(choices=Consent.Purpose.choices)
    data_categories = FlatListField(
        child=serializers.ChoiceField(choices=DataCategory.choices),
        allow_empty=False,
        help_text="The categories to disclose: comma-separated (identity,contact) or repeated.",
    )
    service_category = serializers.ChoiceField(
        choices=ServiceCategory.choices,
        required=False,
        help_text="The kind of service the recipient would provide: a consent naming this "
        "kind covers any agency that provides it.",
    )


class GapSerializer(serializers.Serializer):
    """One reason the disclosure is not covered; the other keys depend on ``code``."""

    code = serializers.ChoiceField(choices=GAP_CODES)
    message = serializers.CharField(help_text="A sentence for the caseworker, translated.")
    purpose = serializers.ChoiceField(
        choices=Consent.Purpose.choices, required=False, help_text="With no_consent."
    )
    withdrawn_at = serializers.DateTimeField(required=False, help_text="With withdrawn.")
    expired_at = serializers.DateTimeField(required=False, help_text="With expired.")
    given_at = serializers.DateTimeField(required=False, help_text="With not_yet_valid.")
    agency = serializers.UUIDField(
        required=False, help_text="With recipient_not_covered and do_not_disclose."
    )
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


class CoverageSerializer(serializers.Serializer):
    covered = serializers.BooleanField()
    consent = serializers.UUIDField(
        allow_null=True,
        help_text="The consent that covers the disclosure. Also given with covered false "
        "when only a do-not-disclose entry stands in the way.",
    )
    gaps = GapSerializer(many=True, help_text="Empty when covered.")


class ClientConsentCoverageView(APIView):
    @extend_schema(
        operation_id="clients_consent_coverage",
        summary="Does a live consent cover a disclosure?",
        parameters=[CoverageQuerySerializer],
        responses={200: CoverageSerializer},
        description="The rule a referral must pass: a consent of the client for `purpose`, "
        "neither withdrawn nor expired, naming `recipient_agency` (or `service_category`), "
        "covering every one of `data_categories` (health with an Art. 9(2) condition), and "
        "the agency not on the do-not-disclose list of any of the client's cases. When not "
        "covered, `gaps` says what is missing, from the consent that came closest. Needs "
        "VIEW_CONSENT on the client. An unknown parameter, category, purpose or agency "
        "answers 400 naming it.",
    )
    def get(self, request, client_id):
        params = CoverageQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        coverage = selectors.consent_coverage_for(
            request.user,
            client_id,
            recipient_agency=query["recipient_agency"],
            purpose=query["purpose"],
            data_categories=query["data_categories"],
            service_category=query.get("service_category"),
        )
        body = {
            "covered": coverage.covered,
            "consent": coverage.consent.pk if coverage.consent else None,
            "gaps": [gap.as_dict() for gap in coverage.gaps],
        }
        return Response(CoverageSerializer(body).data)


# --- Do not disclose -----------------------------------------------------------------


class DoNotDiscloseInSerializer(InputSerializer):
    needs_one_of = ("agency", "person_name")  # add_do_not_disclose: "Name an agency or a person."

    agency = _agency_field(required=False, allow_null=True, default=None)
    person_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DoNotDiscloseOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    agency = AgencyRefSerializer(allow_null=True)
    person_name = serializers.CharField()
    reason = serializers.CharField()
    created_by = UserRefSerializer()
    created_at = serializers.DateTimeField()


class CaseDoNotDiscloseView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="cases_do_not_disclose_list",
        summary="Do-not-disclose list of a case",
        description="Agencies and people who must never learn about this case's client, "
        "newest first, cursor-paginated. Needs VIEW_DO_NOT_DISCLOSE on the case.",
        responses={200: DoNotDiscloseOutSerializer(many=True)},
    )
    def get(self, request, case_id):
        page = self.paginate_queryset(selectors.do_not_disclose_of(request.user, case_id))
        return self.get_paginated_response(DoNotDiscloseOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cases_do_not_disclose_create",
        summary="Add to the do-not-disclose list",
        request=DoNotDiscloseInSerializer,
        responses={201: DoNotDiscloseOutSerializer},
        description="Name an `agency` (id), a `person_name`, or both. From then on no consent "
        "covers a disclosure of the client to that agency. Needs ADD_DO_NOT_DISCLOSE on the "
        "case. An agency already on the list answers 400 `already_listed`.",
    )
    def post(self, request, case_id):
        data = DoNotDiscloseInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.add_do_not_disclose(
            actor=request.user, case_id=case_id, **data.validated_data
        )
        return Response(DoNotDiscloseOutSerializer(entry).data, status=status.HTTP_201_CREATED)
