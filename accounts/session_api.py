"""REST API of one's sessions: "sign out everywhere"."""

from django.contrib.auth import logout
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import ApiToken


class SignOutEverywhereView(APIView):
    """End every session and API token of the caller."""

    @extend_schema(
        operation_id="me_sign_out_everywhere",
        request=None,
        responses={204: OpenApiResponse(description="Signed out everywhere")},
        summary="Sign out everywhere",
        description="Ends every session of the caller (the web pages ask them to sign in "
        "again) and revokes every API token of theirs, the one used for this request "
        "included: the next request with any of them answers 401.",
    )
    def post(self, request):
        services.sign_out_everywhere(actor=request.user)
        if not isinstance(request.auth, ApiToken):
            # A session-authenticated call: this session ends now, not at its next request.
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
