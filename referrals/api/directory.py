"""The service directory: list and search, add, read, change, and the Open
Referral HSDS export and import. Reading is open to every logged-in user (the
directory holds no personal data); writing needs MANAGE_SERVICES in the
service's agency (agency admins)."""

import logging

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import agencies_of, get_agency_for
from casework.models import DataCategory, ServiceCategory
from casework.selectors import is_uuid
from config.errors import Forbidden, InvalidInput
from config.http.pagination import OrderedKeysetPagination
from config.http.preconditions import if_match_version, with_version_headers
from config.http.query import QuerySerializer
from config.http.schema import ETAG_HEADER, IF_MATCH_REQUIRED, LOCATION_HEADER, PROBLEM_428
from config.http.serializers import ChangeInSerializer, FlatListField, InputSerializer
from referrals import hsds, selectors, services
from referrals.api.fields import NamedChoiceField, category_list
from referrals.models import Service

logger = logging.getLogger(__name__)


# --- Serializers -----------------------------------------------------------------------


class ServiceAgencySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    name = serializers.CharField()


class ServiceOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    agency = ServiceAgencySerializer(help_text="The agency that runs the service.")
    name = serializers.CharField()
    alternate_name = serializers.CharField()
    description = serializers.CharField()
    category = NamedChoiceField(choices=ServiceCategory.choices)
    status = NamedChoiceField(choices=Service.Status.choices)
    accepts_referrals = serializers.BooleanField()
    takes_referrals = serializers.BooleanField(
        help_text="Active and accepting referrals: a referral to it can be sent now."
    )
    data_categories_needed = category_list(
        "The sections of the client's file the service needs with a referral."
    )
    languages = serializers.ListField(child=serializers.CharField())
    eligibility_description = serializers.CharField()
    application_process = serializers.CharField()
    fees_description = serializers.CharField()
    url = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    location_name = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ServiceFieldsInSerializer(InputSerializer):
    name = serializers.CharField(max_length=200)
    alternate_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    category = NamedChoiceField(choices=ServiceCategory.choices)
    status = NamedChoiceField(choices=Service.Status.choices, required=False)
    accepts_referrals = serializers.BooleanField(required=False)
    data_categories_needed = FlatListField(
        child=NamedChoiceField(choices=DataCategory.choices),
        required=False,
        help_text="The sections of the client's file the service needs with a referral.",
    )
    languages = serializers.ListField(
        child=serializers.CharField(max_length=3),
        required=False,
        max_length=40,
        help_text="Language codes, e.g. ar, fa, ti.",
    )
    eligibility_description = serializers.CharField(required=False, allow_blank=True)
    application_process = serializers.CharField(required=False, allow_blank=True)
    fees_description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    url = serializers.URLField(required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    location_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.CharField(
        max_length=2, required=False, allow_blank=True, help_text="Country code, e.g. IT."
    )


class ServiceCreateInSerializer(ServiceFieldsInSerializer):
    agency = serializers.CharField(
        max_length=100,
        required=False,
        help_text="Slug or id of the agency that runs the service; needed only if you "
        "manage the services of several agencies.",
    )


class ServiceUpdateInSerializer(ChangeInSerializer, ServiceFieldsInSerializer):
    pass


class ServiceListQuerySerializer(QuerySerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Words in the name, description, agency name or city.",
    )
    category = serializers.ChoiceField(choices=ServiceCategory.choices, required=False)
    agency = serializers.SlugField(required=False, help_text="An agency's slug.")
    status = serializers.ChoiceField(choices=Service.Status.choices, required=False)


class HsdsPageSerializer(serializers.Serializer):
    """One page of the Open Referral HSDS 3.0 API's service list."""

    total_items = serializers.IntegerField()
    total_pages = serializers.IntegerField()
    page_number = serializers.IntegerField()
    size = serializers.IntegerField()
    first_page = serializers.BooleanField()
    last_page = serializers.BooleanField()
    empty = serializers.BooleanField()
    contents = serializers.ListField(
        child=serializers.DictField(),
        help_text="HSDS 3.0 service objects with organization, phones, languages, "
        "service_at_locations and attributes (taxonomies sanad-service-category and "
        "sanad-referrals).",
    )


@extend_schema_field(hsds.IMPORT_SCHEMA)
class HsdsImportField(serializers.JSONField):
    """HSDS JSON, read by ``hsds.parse_services``; never null."""


class ServiceImportInSerializer(InputSerializer):
    agency = serializers.CharField(
        max_length=100,
        required=False,
        help_text="Slug or id of the agency whose services these are; needed only if you "
        "manage the services of several agencies.",
    )
    services = HsdsImportField(
        help_text="HSDS JSON: a page (`contents`), a list of service objects or one service "
        "object (at most 500 services)."
    )


class NotKeptSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text="The record's position in the file, from 0.")
    name = serializers.CharField()
    fields = serializers.ListField(
        child=serializers.CharField(),
        help_text="HSDS fields of the record that Sanad does not keep (`schedules`, "
        "`contacts`, a second phone `phones.1`, an attribute of another taxonomy…).",
    )


class ServiceImportOutSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Services added to the directory.")
    updated = serializers.IntegerField(help_text="Services of the same name that were updated.")
    unchanged = serializers.IntegerField(
        help_text="Services of the same name whose record said what they already say."
    )
    services = ServiceOutSerializer(many=True)
    not_kept = NotKeptSerializer(
        many=True, help_text="What the file carried that Sanad did not keep, record by record."
    )


# --- Helpers ---------------------------------------------------------------------------


def _managed_agency(actor: User, reference: str) -> Agency:
    """The agency named by slug or id where the actor maintains services (404
    when not a member, 403 without MANAGE_SERVICES); without a name, the only
    such agency."""
    if not reference:
        agencies = list(selectors.agencies_managed_by(actor)[:2])
        if not agencies:
            raise Forbidden()
        if len(agencies) > 1:
            raise InvalidInput(
                _("You manage the services of several agencies: say which one."),
                code="required",
                field="agency",
            )
        return agencies[0]
    slug = reference
    if is_uuid(reference):
        slug = agencies_of(actor).filter(pk=reference).values_list("slug", flat=True).first() or ""
    return get_agency_for(actor, slug, Perm.MANAGE_SERVICES)


def _name_taken(error: DjangoValidationError) -> DjangoValidationError | InvalidInput:
    """The one-name-per-agency constraint is reported on ``name``, not on the request."""
    if hasattr(error, "error_dict"):
        for item in error.error_dict.get(NON_FIELD_ERRORS, []):
            if item.code == "unique_together":
                return InvalidInput(
                    _("The agency already has a service of this name."),
                    code="unique",
                    field="name",
                )
    return error


def _service_url(service: Service) -> str:
    return reverse("api-service-detail", kwargs={"service_id": service.pk})


def _service_response(service: Service, *, status_code: int = 200) -> Response:
    response = Response(ServiceOutSerializer(service).data, status=status_code)
    return with_version_headers(
        response, service, _service_url(service) if status_code == 201 else ""
    )


def _directory(params: ServiceListQuerySerializer):
    filters = params.validated_data
    return selectors.services_directory(
        query=filters.get("q", "").strip(),
        category=filters.get("category", ""),
        agency_slug=filters.get("agency", ""),
        status=filters.get("status", ""),
    )


# --- Views -----------------------------------------------------------------------------


class ServiceListView(GenericAPIView):
    """The directory of every agency's services, by name."""

    pagination_class = OrderedKeysetPagination
    # Two agencies may name a service alike: the id keeps every row its own place.
    keyset_ordering = ("name", "id")

    @extend_schema(
        operation_id="services_list",
        summary="List and search the service directory",
        parameters=[ServiceListQuerySerializer],
        responses={200: ServiceOutSerializer(many=True)},
        description="Every agency's services, by name (then id); open to every logged-in "
        "user. Cursor-paginated (`cursor`, `page_size` ≤ 100, default 50), no total count. "
        "`q` matches words in the name, description, agency name or city.",
    )
    def get(self, request):
        params = ServiceListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(_directory(params))
        return self.get_paginated_response(ServiceOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="services_create",
        summary="Add a service to the directory",
        request=ServiceCreateInSerializer,
        parameters=[ETAG_HEADER, LOCATION_HEADER],
        responses={201: ServiceOutSerializer},
        description="Needs MANAGE_SERVICES in the agency (agency admins): a member without "
        "it gets 403, an agency you are not a member of 404. A name the agency already "
        "uses answers 400 on `name`.",
    )
    def post(self, request):
        data = ServiceCreateInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        agency = _managed_agency(request.user, fields.pop("agency", "").strip())
        try:
            service = services.create_service(actor=request.user, agency=agency, data=fields)
        except DjangoValidationError as error:
            raise _name_taken(error) from error
        return _service_response(service, status_code=201)


class ServiceDetailView(APIView):
    @extend_schema(
        operation_id="services_retrieve",
        summary="Get a service",
        parameters=[ETAG_HEADER],
        responses={200: ServiceOutSerializer},
    )
    def get(self, request, service_id):
        return _service_response(selectors.get_service(service_id))

    @extend_schema(
        operation_id="services_partial_update",
        summary="Change a service",
        request=ServiceUpdateInSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        responses={200: ServiceOutSerializer, **PROBLEM_428},
        description="Send only the fields to change, with `If-Match` carrying the ETag you "
        "read (stale: 412, nothing changes). Needs MANAGE_SERVICES in the service's agency: "
        "403 for everyone else (the directory is public).",
    )
    def patch(self, request, service_id):
        version = if_match_version(request, required=True)
        data = ServiceUpdateInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            service = services.update_service(
                actor=request.user,
                service_id=service_id,
                changes=dict(data.validated_data),
                expected_version=version,
            )
        except DjangoValidationError as error:
            raise _name_taken(error) from error
        return _service_response(service)


class ServiceExportView(APIView):
    @extend_schema(
        operation_id="services_export_hsds",
        summary="The directory as Open Referral HSDS JSON",
        parameters=[ServiceListQuerySerializer],
        responses={200: HsdsPageSerializer},
        description="The services that match the filters of the list, as one page of the "
        "HSDS 3.0 API's service list. Import it with `POST /api/v1/services/import/`.",
    )
    def get(self, request):
        params = ServiceListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(hsds.services_to_hsds(_directory(params)))


class ServiceImportView(APIView):
    @extend_schema(
        operation_id="services_import",
        summary="Import services from Open Referral HSDS JSON",
        request=ServiceImportInSerializer,
        responses={200: ServiceImportOutSerializer, 201: ServiceImportOutSerializer},
        description="Adds the agency's services, or updates those of the same name. Needs "
        "MANAGE_SERVICES in the agency (403 for its other members, 404 for an agency you "
        "are not a member of). Every item is first checked against HSDS 3.0's own "
        "`service.json`: an invalid item, or a document that is not a service (an "
        "organization, a taxonomy), refuses the whole file with a 400 listing each error "
        "(`services.N.path`, code `hsds_invalid`, the first 50), and nothing is written. A "
        "record changes only the fields it carries; one that changes nothing counts as "
        "`unchanged` and writes nothing. `not_kept` lists, per record, the HSDS "
        "fields Sanad does not keep. 201 when a service was added, 200 when all were updates.",
    )
    def post(self, request):
        data = ServiceImportInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agency = _managed_agency(request.user, data.validated_data.get("agency", "").strip())
        records, not_kept = hsds.parse_services(data.validated_data["services"])
        result = services.import_services(actor=request.user, agency=agency, records=records)
        body = {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "services": result.services,
            "not_kept": not_kept,
        }
        return Response(
            ServiceImportOutSerializer(body).data, status=201 if result.created else 200
        )
