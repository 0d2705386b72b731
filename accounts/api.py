"""REST API of accounts: bearer tokens and the caller's own profile."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.authentication import BearerTokenAuthentication
from accounts.models import ApiToken
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
    role = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    preferred_language = serializers.CharField()
    memberships = MembershipOutSerializer(many=True)


class MeView(APIView):
    """The caller: who they are and their roles in agencies."""

    @extend_schema(operation_id="me", responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        body = {
            "id": user.pk,
            "email": user.email,
            "display_name": user.display_name,
            "preferred_language": user.preferred_language,
            "memberships": selectors.memberships_of(user),
        }
        return Response(MeSerializer(body).data)
