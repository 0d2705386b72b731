"""REST API of accounts: bearer tokens, the caller's own profile and their
agency's settings (time zone)."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.authentication import BearerTokenAuthentication
from accounts.models import ApiToken
from accounts.permissions import Perm
from accounts.validation import time_zone_names
from config.errors import InvalidInput
from config.http.api import PROBLEM_CONTENT_TYPE
from config.http.schema import ProblemSerializer
from config.http.serializers import RequestSerializer


class TokenRequestSerializer(RequestSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="What the token is for."
    )


class TokenIssuedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    token = serializers.CharField(help_text="Shown once; store it safely.")
    prefix = serializers.CharField()
    name = serializers.CharField()
    expires_at = serializers.DateTimeField()


class TokenView(APIView):
    """Obtain a bearer token with e-mail and password; revoke the one in use."""

    authentication_classes = [BearerTokenAuthentication]
    throttle_scope = "auth"

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_obtain",
        request=TokenRequestSerializer,
        responses={
            201: TokenIssuedSerializer,
            (401, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer,
                description="`invalid_credentials`: the e-mail address or the password is wrong.",
            ),
        },
        auth=[],
        summary="Obtain an API token",
        description="Wrong e-mail and wrong password give the same 401 "
        "(`invalid_credentials`). Repeated failures lock the address out (429).",
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise AuthenticationFailed(
                _("The email address or the password is not right."), code="invalid_credentials"
            )
        token, plain = services.issue_api_token(
            actor=user, name=data.validated_data.get("name", "")
        )
        body = {
            "id": token.pk,
            "token": plain,
            "prefix": token.prefix,
            "name": token.name,
            "expires_at": token.expires_at,
        }
        return Response(
            TokenIssuedSerializer(body).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )

    @extend_schema(
        operation_id="auth_token_revoke",
        request=None,
        responses={204: OpenApiResponse(description="Revoked")},
        summary="Revoke the token used for this request",
    )
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            raise InvalidInput(
                _("Send the token to revoke as 'Authorization: Bearer <token>'."),
                code="no_token",
                field="Authorization",
            )
        services.revoke_api_token(actor=request.user, token_id=request.auth.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembershipOutSerializer(serializers.Serializer):
    agency_slug = serializers.CharField(source="agency.slug")
    agency_name = serializers.CharField(source="agency.name")
    agency_time_zone = serializers.CharField(source="agency.time_zone")
    role = serializers.CharField()


# The schema lists the IANA names the server knows, so a client (and the
# fuzzer) can tell a valid zone from text; the service checks it all the same.
@extend_schema_field({"type": "string", "enum": sorted(time_zone_names())})
class TimeZoneField(serializers.CharField):
    """An IANA time zone name such as "Europe/Rome"."""


@extend_schema_field({"type": "string", "enum": ["", *sorted(time_zone_names())]})
class OwnTimeZoneField(serializers.CharField):
    """An IANA time zone name, or "" for the agency's."""


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    preferred_language = serializers.CharField()
    time_zone = serializers.CharField(
        help_text="The caller's own time zone (IANA name); \"\" uses their agency's."
    )
    effective_time_zone = serializers.CharField(
        help_text="The zone the caller's pages show times in: their own, else their first "
        "agency's by name, else the server's default. API times are always UTC."
    )
    memberships = MembershipOutSerializer(many=True)


class MeChangeSerializer(RequestSerializer):
    time_zone = OwnTimeZoneField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text='An IANA time zone name such as "Europe/Rome"; "" to use the agency\'s.',
    )
    preferred_language = serializers.ChoiceField(
        required=False,
        choices=[code for code, _name in settings.LANGUAGES],
        help_text="The language of the caller's pages and e-mails.",
    )


def _me_body(user) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "display_name": user.display_name,
        "preferred_language": user.preferred_language,
        "time_zone": user.time_zone,
        "effective_time_zone": selectors.time_zone_of(user),
        "memberships": selectors.memberships_of(user),
    }


class MeView(APIView):
    """The caller: who they are and their roles in agencies; their own settings."""

    @extend_schema(operation_id="me", responses={200: MeSerializer})
    def get(self, request):
        return Response(MeSerializer(_me_body(request.user)).data)

    @extend_schema(
        operation_id="me_partial_update",
        request=MeChangeSerializer,
        responses={200: MeSerializer},
        summary="Change your own settings",
        description="Sets the caller's time zone (the zone their pages show times in; API "
        "times stay UTC) and/or interface language. A name that is not an IANA time zone: "
        "400 naming `time_zone`; an unknown language: 400 naming `preferred_language`.",
    )
    def patch(self, request):
        data = MeChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        if "time_zone" in data.validated_data:
            user = services.set_time_zone(actor=user, time_zone=data.validated_data["time_zone"])
        if "preferred_language" in data.validated_data:
            user = services.set_preferred_language(
                actor=user, language=data.validated_data["preferred_language"]
            )
        return Response(MeSerializer(_me_body(user)).data)


class AgencyOutSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    country = serializers.CharField()
    city = serializers.CharField()
    time_zone = serializers.CharField(help_text="IANA name: the zone members' pages show times in.")


class AgencyChangeSerializer(RequestSerializer):
    time_zone = TimeZoneField(
        max_length=64, help_text='An IANA time zone name such as "Europe/Rome".'
    )


class AgencyView(APIView):
    """One of the caller's agencies: its profile and time zone."""

    @extend_schema(
        operation_id="agency_retrieve",
        responses={200: AgencyOutSerializer},
        summary="One of your agencies",
        description="Any member of the agency reads it; 404 for anyone else.",
    )
    def get(self, request, slug):
        agency = selectors.get_own_agency(request.user, slug)
        return Response(AgencyOutSerializer(agency).data)

    @extend_schema(
        operation_id="agency_partial_update",
        request=AgencyChangeSerializer,
        responses={200: AgencyOutSerializer},
        summary="Change your agency's time zone",
        description="Needs MANAGE_AGENCY in the agency (its administrator): 403 for other "
        "members, 404 for anyone else. A name that is not an IANA time zone: 400 naming "
        "`time_zone`. Stored and API times stay UTC.",
    )
    def patch(self, request, slug):
        agency = selectors.get_agency_for(request.user, slug, Perm.MANAGE_AGENCY)
        data = AgencyChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agency = services.set_agency_time_zone(
            actor=request.user, agency=agency, time_zone=data.validated_data["time_zone"]
        )
        return Response(AgencyOutSerializer(agency).data)
