"""Clients: list and search, register, read, change, possible duplicates."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_countries import countries
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as accounts_selectors
from accounts.idempotency import idempotent
from accounts.models import User
from accounts.permissions import Perm
from casework import selectors, services
from casework.api.common import PossibleDuplicateProblemSerializer, PossibleDuplicateSerializer
from casework.models import (
    Client,
    ClientSensitive,
    IdentityDocument,
    LegalStatus,
    Sex,
)
from config.errors import (
    Forbidden,
    InvalidInput,
)
from config.http.api import PROBLEM_CONTENT_TYPE, problem
from config.http.pagination import KeysetCursorPagination
from config.http.preconditions import if_match_version, with_version_headers
from config.http.query import QuerySerializer
from config.http.schema import (
    ETAG_HEADER,
    IDEMPOTENCY_KEY,
    IF_MATCH_REQUIRED,
    LOCATION_HEADER,
    PROBLEM_428,
)
from config.http.serializers import ChangeInSerializer, InputSerializer

logger = logging.getLogger(__name__)


# --- Clients -----------------------------------------------------------------------


# Country codes as the services take them: an identity document's issuing
# country in either case (it is stored in capitals), nationalities in capitals.
COUNTRY_CODES = [code for code, _name in countries]
COUNTRY_CODES_ANY_CASE = COUNTRY_CODES + [code.lower() for code in COUNTRY_CODES]


class IdentityDocumentInSerializer(InputSerializer):
    type = serializers.ChoiceField(choices=IdentityDocument.Type.choices)
    # Compared by its Latin letters and digits (casework.names.document_number_key).
    number = serializers.CharField(
        max_length=60,
        validators=[RegexValidator(r"[0-9A-Za-z]", _lazy("Give the document number."))],
    )
    issuing_country = serializers.ChoiceField(
        choices=COUNTRY_CODES_ANY_CASE,
        required=False,
        allow_blank=True,
        help_text="Country code, e.g. SY (either case).",
    )
    expires_on = serializers.DateField(required=False, allow_null=True)


class IdentityDocumentOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=IdentityDocument.Type.choices)
    number = serializers.CharField()
    issuing_country = serializers.ChoiceField(
        choices=COUNTRY_CODES,
        allow_blank=True,
        help_text="Country code, e.g. SY; blank if unknown.",
    )
    expires_on = serializers.DateField(allow_null=True)
    is_expired = serializers.BooleanField()


class ClientSensitiveInSerializer(InputSerializer):
    health = serializers.CharField(required=False, allow_blank=True)
    disability = serializers.CharField(required=False, allow_blank=True)
    protection_concerns = serializers.CharField(required=False, allow_blank=True)
    ethnicity = serializers.CharField(max_length=120, required=False, allow_blank=True)
    religion = serializers.CharField(max_length=120, required=False, allow_blank=True)
    sexual_orientation = serializers.CharField(max_length=120, required=False, allow_blank=True)
    vulnerabilities = serializers.ListField(
        child=serializers.ChoiceField(choices=ClientSensitive.Vulnerability.choices),
        required=False,
    )


class ClientSensitiveOutSerializer(serializers.Serializer):
    health = serializers.CharField()
    disability = serializers.CharField()
    protection_concerns = serializers.CharField()
    ethnicity = serializers.CharField()
    religion = serializers.CharField()
    sexual_orientation = serializers.CharField()
    vulnerabilities = serializers.ListField(
        child=serializers.ChoiceField(choices=ClientSensitive.Vulnerability.choices)
    )
    updated_at = serializers.DateTimeField(allow_null=True)


class SensitiveSectionField(ClientSensitiveOutSerializer):
    """The special-category section, rendered only when the view says the
    caller holds VIEW_SENSITIVE on the client; otherwise the key is absent."""

    def get_attribute(self, instance):
        if not self.context.get("show_sensitive"):
            raise SkipField()
        # No section recorded yet: an empty one (all fields blank).
        return getattr(instance, "sensitive", None) or ClientSensitive(client=instance)


class ClientFieldsInSerializer(InputSerializer):
    name = serializers.CharField(max_length=200, help_text="In the person's own script.")
    name_latin = serializers.CharField(max_length=200, required=False, allow_blank=True)
    preferred_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    date_of_birth_estimated = serializers.BooleanField(required=False)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    gender_identity = serializers.CharField(max_length=80, required=False, allow_blank=True)
    # The same rules as Client.clean(), so that the schema says them.
    nationalities = serializers.ListField(
        child=serializers.ChoiceField(choices=COUNTRY_CODES),
        required=False,
        max_length=10,
        help_text="Country codes, e.g. SY, AF.",
    )
    languages = serializers.ListField(
        child=serializers.CharField(
            validators=[
                RegexValidator(r"^[a-z]{2,3}$", _lazy("Use a language code such as ar, fa or ti."))
            ]
        ),
        required=False,
        max_length=20,
        help_text="Language codes, e.g. ar, fa, ti.",
    )
    interpreter_needed = serializers.BooleanField(required=False)
    interpreter_language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    legal_status = serializers.ChoiceField(choices=LegalStatus.choices, required=False)
    legal_status_note = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Procedure stage, deadlines, authority in charge.",
    )
    family_situation = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Household, family members, where they are.",
    )
    dependants = serializers.IntegerField(
        min_value=0,
        max_value=32767,
        required=False,
        allow_null=True,
        help_text="How many people depend on the client; null when not known.",
    )
    education = serializers.CharField(required=False, allow_blank=True)
    employment = serializers.CharField(
        required=False, allow_blank=True, help_text="Work and skills."
    )


class ClientCreateInSerializer(ClientFieldsInSerializer):
    agency = serializers.SlugField(
        required=False,
        help_text="Slug of the registering agency; needed only if you work for several.",
    )
    identity_documents = IdentityDocumentInSerializer(many=True, required=False)
    sensitive = ClientSensitiveInSerializer(
        required=False, help_text="Special-category data; needs VIEW_SENSITIVE in the agency."
    )
    confirmed_not_duplicate = serializers.BooleanField(
        default=False,
        help_text="Send true after a 409 possible_duplicate when this is a different person.",
    )


class ClientUpdateInSerializer(ChangeInSerializer, ClientFieldsInSerializer):
    sensitive = ClientSensitiveInSerializer(
        required=False,
        help_text="Changes to the special-category section (assigned caseworker and "
        "supervisors only; 403 otherwise).",
    )
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Kept in the history."
    )


class ClientListQuerySerializer(QuerySerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Name in any script or spelling, or an identity-document number.",
    )


class ClientListItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    name_latin = serializers.CharField()
    preferred_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices)
    nationalities = serializers.ListField(child=serializers.ChoiceField(choices=COUNTRY_CODES))
    created_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class ClientDetailSerializer(ClientListItemSerializer):
    agency = serializers.CharField(source="agency.slug", help_text="The registering agency.")
    date_of_birth_estimated = serializers.BooleanField()
    gender_identity = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    interpreter_needed = serializers.BooleanField()
    interpreter_language = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()
    legal_status = serializers.ChoiceField(choices=LegalStatus.choices)
    legal_status_note = serializers.CharField()
    family_situation = serializers.CharField()
    dependants = serializers.IntegerField(allow_null=True)
    education = serializers.CharField()
    employment = serializers.CharField(help_text="Work and skills.")
    identity_documents = IdentityDocumentOutSerializer(many=True)
    sensitive = SensitiveSectionField(
        required=False,
        help_text="Special-category data. Present only when you hold VIEW_SENSITIVE on the "
        "client (supervisors, and caseworkers assigned to one of the client's cases).",
    )
    updated_at = serializers.DateTimeField()


def _client_body(actor: User, client: Client) -> dict:
    prefetch_related_objects([client], selectors.client_detail_queryset())
    show_sensitive = actor.has_perm(Perm.VIEW_SENSITIVE, client)
    return ClientDetailSerializer(client, context={"show_sensitive": show_sensitive}).data


def _client_url(client: Client) -> str:
    return reverse("api-client-detail", kwargs={"client_id": client.pk})


def _registering_agency(actor: User, slug: str):
    """The agency named by ``slug``, or the only agency where the actor may
    register clients."""
    if slug:
        return accounts_selectors.get_agency_for(actor, slug, Perm.ADD_CLIENT)
    agencies = selectors.agencies_for_registration(actor)
    if not agencies:
        raise Forbidden()
    if len(agencies) > 1:
        raise InvalidInput(
            _("You work for several agencies: say which one registers the client."),
            code="required",
            field="agency",
        )
    return agencies[0]


def _possible_duplicate_response(request, error: services.PossibleDuplicate) -> Response:
    body = problem(409, error.code, str(error.message), instance=request.path)
    body["candidates"] = PossibleDuplicateSerializer(error.candidates, many=True).data
    return Response(body, status=409, content_type=PROBLEM_CONTENT_TYPE)


def _renamed_document_errors(error: DjangoValidationError) -> DjangoValidationError:
    """register_client names identity-document errors ``documents.N.field``;
    in the API the list is ``identity_documents``."""
    if not hasattr(error, "error_dict"):
        return error
    prefix = "documents."
    # error_dict, not message_dict: the errors keep their codes.
    return DjangoValidationError(
        {
            f"identity_{name}" if name.startswith(prefix) else name: errors
            for name, errors in error.error_dict.items()
        }
    )


class ClientListView(GenericAPIView):
    """Clients you can see, newest first; search by name or document number."""

    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-created_at", "-id")
    # Identity documents and the sensitive section are objects: JSON only.

    @extend_schema(
        operation_id="clients_list",
        summary="List or search clients",
        parameters=[ClientListQuerySerializer],
        responses={200: ClientListItemSerializer(many=True)},
        description="Cursor-paginated (`cursor`, `page_size` ≤ 100), newest first, no total "
        "count. `q` matches names in any script or transliteration (محمد, Mohammed, "
        "Muhammad…) and identity-document numbers.",
    )
    def get(self, request):
        params = ClientListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data.get("q", "").strip()
        if query:
            clients = selectors.search_clients(request.user, query)
        else:
            clients = selectors.clients_visible_to(request.user)
        page = self.paginate_queryset(clients)
        return self.get_paginated_response(ClientListItemSerializer(page, many=True).data)

    @extend_schema(
        operation_id="clients_create",
        summary="Register a client",
        request=ClientCreateInSerializer,
        parameters=[IDEMPOTENCY_KEY, ETAG_HEADER, LOCATION_HEADER],
        responses={
            201: ClientDetailSerializer,
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PossibleDuplicateProblemSerializer,
                description="`possible_duplicate` (with `candidates`): confirm with "
                "`confirmed_not_duplicate: true` or open the existing record; or "
                "`idempotency_key_reused`.",
            ),
        },
    )
    def post(self, request):
        data = ClientCreateInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        slug = fields.pop("agency", "")
        documents = fields.pop("identity_documents", [])
        sensitive = fields.pop("sensitive", None)
        confirmed = fields.pop("confirmed_not_duplicate")

        def produce() -> Response:
            try:
                client = services.register_client(
                    actor=request.user,
                    agency=_registering_agency(request.user, slug),
                    data=fields,
                    documents=[dict(document) for document in documents],
                    sensitive=dict(sensitive) if sensitive else None,
                    confirmed_not_duplicate=confirmed,
                )
            except DjangoValidationError as error:
                raise _renamed_document_errors(error) from error
            except InvalidInput as error:
                if (error.field or "").startswith("documents."):
                    error.field = f"identity_{error.field}"
                raise
            response = Response(_client_body(request.user, client), status=201)
            return with_version_headers(response, client, _client_url(client))

        def replay(client_id: str) -> Response:
            client = selectors.get_client_for(request.user, client_id)
            response = Response(_client_body(request.user, client), status=201)
            return with_version_headers(response, client, _client_url(client))

        try:
            return idempotent(request, "clients.create", produce, replay)
        except services.PossibleDuplicate as error:
            return _possible_duplicate_response(request, error)


class ClientDetailView(APIView):
    """One client: identity, contact, legal status, family, education and work,
    identity documents and, for those allowed, the special-category section."""

    @extend_schema(
        operation_id="clients_retrieve",
        summary="Get a client",
        parameters=[ETAG_HEADER],
        responses={200: ClientDetailSerializer},
    )
    def get(self, request, client_id):
        client = selectors.get_client_for(request.user, client_id)
        return with_version_headers(Response(_client_body(request.user, client)), client)

    @extend_schema(
        operation_id="clients_partial_update",
        summary="Change a client",
        description="Send only the fields to change, with `If-Match` carrying the ETag you "
        "read. Changes to `sensitive` need VIEW_SENSITIVE on the client (403 otherwise); "
        "they also move the client's version. All or nothing.",
        request=ClientUpdateInSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        responses={200: ClientDetailSerializer, **PROBLEM_428},
    )
    def patch(self, request, client_id):
        version = if_match_version(request, required=True)
        data = ClientUpdateInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        reason = changes.pop("reason", "")
        sensitive = changes.pop("sensitive", None)
        # update_client_sensitive neither checks nor moves the client's version:
        # both writes share one transaction so a stale or forbidden part undoes all.
        with transaction.atomic():
            client = services.update_client(
                actor=request.user,
                client_id=client_id,
                expected_version=version,
                changes=changes,
                reason=reason,
            )
            if sensitive is not None:
                services.update_client_sensitive(
                    actor=request.user,
                    client_id=client_id,
                    changes=dict(sensitive),
                    reason=reason,
                )
        client = selectors.get_client_for(request.user, client_id)
        return with_version_headers(Response(_client_body(request.user, client)), client)


class ClientDuplicatesView(GenericAPIView):
    """Other clients you can see who may be the same person."""

    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="clients_duplicates",
        summary="Possible duplicates of a client",
        description="Same normalised name (as written or in Latin letters) with a date of "
        "birth within a year, or the same identity-document number. Newest first, "
        "cursor-paginated (`cursor`, `page_size` ≤ 100, default 50), no total count.",
        responses={200: PossibleDuplicateSerializer(many=True)},
    )
    def get(self, request, client_id):
        client = selectors.get_client_for(request.user, client_id)
        candidates = selectors.possible_duplicates(
            request.user,
            name=client.name,
            name_latin=client.name_latin,
            date_of_birth=client.date_of_birth,
            document_numbers=list(client.identity_documents.values_list("number", flat=True)),
            exclude_id=client.pk,
        )
        page = self.paginate_queryset(candidates)
        return self.get_paginated_response(PossibleDuplicateSerializer(page, many=True).data)
