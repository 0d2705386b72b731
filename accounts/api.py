"""REST API of accounts: bearer tokens, the caller's own profile, their
agency's settings (time zone) and their notifications."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.authentication import BearerTokenAuthentication
from accounts.models import Agency, ApiToken, Calendar, Digits
from accounts.notices import notice_links, notices_of, render_notice
from accounts.permissions import Perm, Role
from accounts.second_factor import must_use_second_factor
from accounts.services.agencies import (
    INACTIVITY_DAYS_MAX,
    INACTIVITY_DAYS_MIN,
    SMALL_CELL_THRESHOLD_MAX,
    SMALL_CELL_THRESHOLD_MIN,
)
from accounts.services.second_factor import verify_code
from accounts.validation import time_zone_names
from config.errors import InvalidHeader
from config.http.api import PROBLEM_CONTENT_TYPE
from config.http.pagination import KeysetCursorPagination
from config.http.query import QuerySerializer
from config.http.schema import ProblemSerializer
from config.http.serializers import ChangeInSerializer, RequestSerializer

# Country codes, as casework.api.clients names them (the schema's Country).
COUNTRY_CODES = [code for code, _name in countries]


class TokenCreateInSerializer(RequestSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="What the token is for."
    )
    otp = serializers.CharField(
        required=False,
        max_length=20,
        trim_whitespace=True,
        help_text="A code from the user's authenticator app, or one of their backup codes. "
        "Required from users who must use a second factor (401 `otp_required` without it).",
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
        request=TokenCreateInSerializer,
        responses={
            201: TokenIssuedSerializer,
            (401, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer,
                description="`invalid_credentials`: the e-mail address or the password is "
                "wrong. `otp_required`: this user must give a second factor (`otp`). "
                "`invalid_otp`: the code is wrong or used up.",
            ),
        },
        auth=[],
        summary="Obtain an API token",
        description="Wrong e-mail and wrong password give the same 401 "
        "(`invalid_credentials`). A user who must use a second factor (supervisors, DPOs, "
        "agency administrators and staff when the server requires one, and anyone who has "
        "set one up) also gives `otp`: a code from their authenticator app or a backup code; "
        "without it the answer is 401 `otp_required`, with a wrong one 401 `invalid_otp`. "
        "Repeated failures, wrong codes included, lock the address out (429).",
    )
    def post(self, request):
        data = TokenCreateInSerializer(data=request.data)
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
        if must_use_second_factor(user):
            otp = data.validated_data.get("otp", "")
            if not otp:
                raise AuthenticationFailed(
                    _(
                        "This account needs a second factor: send 'otp', a code from your "
                        "authenticator app or a backup code."
                    ),
                    code="otp_required",
                )
            if verify_code(user, otp) is None:
                user_login_failed.send(
                    sender=__name__,
                    credentials={"username": user.email},
                    request=request._request,
                )
                raise AuthenticationFailed(_("This code is not right."), code="invalid_otp")
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
            raise InvalidHeader(
                _("Send the token to revoke as 'Authorization: Bearer <token>'."),
                code="no_token",
                field="Authorization",
            )
        services.revoke_api_token(actor=request.user, token_id=request.auth.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# The schema lists the IANA names the server knows, so a client (and the
# fuzzer) can tell a valid zone from text; the service checks it all the same.
@extend_schema_field({"type": "string", "enum": sorted(time_zone_names())})
class TimeZoneField(serializers.CharField):
    """An IANA time zone name such as "Europe/Rome"."""


@extend_schema_field({"type": "string", "enum": ["", *sorted(time_zone_names())]})
class OwnTimeZoneField(serializers.CharField):
    """An IANA time zone name, or "" for the agency's."""


class MembershipOutSerializer(serializers.Serializer):
    agency_slug = serializers.CharField(source="agency.slug")
    agency_name = serializers.CharField(source="agency.name")
    agency_time_zone = TimeZoneField(source="agency.time_zone")
    role = serializers.ChoiceField(choices=Role.choices)


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    preferred_language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        allow_blank=True,
        help_text='The language of the caller\'s pages and e-mails; "" until they choose one.',
    )
    time_zone = OwnTimeZoneField(
        help_text="The caller's own time zone (IANA name); \"\" uses their agency's."
    )
    effective_time_zone = TimeZoneField(
        help_text="The zone the caller's pages show times in: their own, else their first "
        "agency's by name, else the server's default. API times are always UTC."
    )
    calendar = serializers.ChoiceField(
        choices=Calendar.choices,
        help_text="The calendar the caller's pages write dates in. API dates are always "
        "Gregorian (ISO 8601).",
    )
    digits = serializers.ChoiceField(
        choices=Digits.choices, help_text="The digits the caller's pages write dates in."
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
        choices=settings.LANGUAGES,
        help_text="The language of the caller's pages and e-mails.",
    )
    calendar = serializers.ChoiceField(
        required=False,
        choices=Calendar.choices,
        help_text="The calendar the caller's pages write dates in (Solar Hijri or Gregorian).",
    )
    digits = serializers.ChoiceField(
        required=False,
        choices=Digits.choices,
        help_text="The digits the caller's pages write dates in.",
    )


def _me_body(user) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "display_name": user.display_name,
        "preferred_language": user.preferred_language,
        "time_zone": user.time_zone,
        "effective_time_zone": selectors.time_zone_of(user),
        "calendar": user.calendar,
        "digits": user.digits,
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
        "times stay UTC), interface language, and/or the calendar and digits their pages "
        "write dates in (API dates stay Gregorian). A name that is not an IANA time zone: "
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
        if "calendar" in data.validated_data or "digits" in data.validated_data:
            user = services.set_date_display(
                actor=user,
                calendar=data.validated_data.get("calendar", user.calendar),
                digits=data.validated_data.get("digits", user.digits),
            )
        return Response(MeSerializer(_me_body(user)).data)


class AgencyOutSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Agency.Kind.choices)
    country = serializers.ChoiceField(choices=COUNTRY_CODES)
    city = serializers.CharField()
    time_zone = TimeZoneField(help_text="IANA name: the zone members' pages show times in.")
    inactivity_days = serializers.IntegerField(
        help_text="After this many days without a change, note, follow-up or document, an "
        "open case is listed as inactive (the case list's `inactive` filter)."
    )
    small_cell_threshold = serializers.IntegerField(
        help_text="Statistics and registers show every count below this as `<k` "
        "(small-cell suppression) and hide enough others that totals cannot reveal it."
    )
    allow_active_pdf = serializers.BooleanField(
        help_text="Whether members may upload PDFs with scripts, automatic actions or "
        "attached files (refused with `active_content` when false)."
    )


class AgencyChangeSerializer(ChangeInSerializer):
    time_zone = TimeZoneField(
        required=False, max_length=64, help_text='An IANA time zone name such as "Europe/Rome".'
    )
    inactivity_days = serializers.IntegerField(
        required=False,
        min_value=INACTIVITY_DAYS_MIN,
        max_value=INACTIVITY_DAYS_MAX,
        help_text="Days without activity after which an open case is listed as inactive.",
    )
    small_cell_threshold = serializers.IntegerField(
        required=False,
        min_value=SMALL_CELL_THRESHOLD_MIN,
        max_value=SMALL_CELL_THRESHOLD_MAX,
        help_text="The smallest count statistics publish (2 to 50).",
    )
    allow_active_pdf = serializers.BooleanField(
        required=False,
        help_text="Accept uploaded PDFs with scripts, automatic actions or attached files.",
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
        summary="Change your agency's settings",
        description="Needs MANAGE_AGENCY in the agency (its administrator): 403 for other "
        "members, 404 for anyone else. Send any of `time_zone`, `inactivity_days`, "
        "`small_cell_threshold`, `allow_active_pdf`. A name that is not an IANA time zone: "
        "400 naming `time_zone`; days that are not a whole number from 1 to 365: 400 naming "
        "`inactivity_days`; a threshold that is not a whole number from 2 to 50: 400 naming "
        "`small_cell_threshold`. Stored and API times stay UTC.",
    )
    def patch(self, request, slug):
        agency = selectors.get_agency_for(request.user, slug, Perm.MANAGE_AGENCY)
        data = AgencyChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agency = services.change_agency_settings(
            actor=request.user,
            agency=agency,
            time_zone=data.validated_data.get("time_zone"),
            inactivity_days=data.validated_data.get("inactivity_days"),
            small_cell_threshold=data.validated_data.get("small_cell_threshold"),
            allow_active_pdf=data.validated_data.get("allow_active_pdf"),
        )
        return Response(AgencyOutSerializer(agency).data)


# --- Notifications -------------------------------------------------------------------


class NotificationListQuerySerializer(QuerySerializer):
    unread = serializers.BooleanField(
        required=False,
        help_text="true: only the unread notices; false: only those read already; left out: all.",
    )


class NotificationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField(
        help_text='What happened, for machines: "referral.accepted", "case.assigned", '
        '"followup.overdue", …'
    )
    text = serializers.CharField(
        help_text="What happened, in the request's language. Names case numbers, referral "
        "references and agencies, never a client."
    )
    url = serializers.CharField(
        allow_blank=True,
        help_text='Where in Sanad it leads (an absolute URL), "" when nowhere or no longer.',
    )
    unavailable_note = serializers.CharField(
        allow_blank=True,
        help_text="Why it leads nowhere: the thing it is about is no longer available to "
        'the reader ("" otherwise).',
    )
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationsReadSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(help_text="How many unread notices this marked read.")


def _activate_reader_language(request) -> None:
    """The language notices are rendered in: an Accept-Language the request
    sends (as ``LocaleMiddleware`` chose from it), else the caller's own
    preferred language. A session's pages already use the caller's
    (``UserLanguageMiddleware``); a bearer token is only known here."""
    token = isinstance(request.auth, ApiToken)
    if token and request.user.preferred_language and not request.META.get("HTTP_ACCEPT_LANGUAGE"):
        translation.activate(request.user.preferred_language)


def _notification_rows(request, notices) -> list[dict]:
    _activate_reader_language(request)
    links = notice_links(request.user, notices)
    return [
        {
            "id": notice.pk,
            "kind": notice.kind,
            "text": render_notice(notice),
            "url": request.build_absolute_uri(links[notice.pk].url) if links[notice.pk].url else "",
            "unavailable_note": str(links[notice.pk].unavailable_note),
            "created_at": notice.created_at,
            "read_at": notice.read_at,
        }
        for notice in notices
    ]


class NotificationListView(GenericAPIView):
    """The caller's own notices, newest first."""

    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="notifications_list",
        summary="List your notifications",
        parameters=[NotificationListQuerySerializer],
        responses={200: NotificationSerializer(many=True)},
        description="The caller's own notices, newest first, each rendered in the request's "
        "language (`Accept-Language`, else the caller's preferred language). Cursor-paginated "
        "(`cursor`, `page_size` ≤ 100, default 50), no total count. Reading them does not "
        "mark them read.",
    )
    def get(self, request):
        params = NotificationListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        notices = notices_of(request.user, unread=params.validated_data.get("unread"))
        page = self.paginate_queryset(notices)
        return self.get_paginated_response(
            NotificationSerializer(_notification_rows(request, page), many=True).data
        )


class NotificationReadView(APIView):
    """Mark one of the caller's notices read."""

    @extend_schema(
        operation_id="notifications_read",
        summary="Mark a notification read",
        request=None,
        responses={200: NotificationSerializer},
        description="Only the caller's own notices (anyone else's: 404). Marking a notice "
        "read again changes nothing: `read_at` stays the first time.",
    )
    def post(self, request, notice_id):
        notice = services.mark_notice_read(actor=request.user, notice_id=notice_id)
        return Response(NotificationSerializer(_notification_rows(request, [notice])[0]).data)


class NotificationsReadAllView(APIView):
    """Mark every notice of the caller read."""

    @extend_schema(
        operation_id="notifications_read_all",
        summary="Mark all your notifications read",
        request=None,
        responses={200: NotificationsReadSerializer},
        description="Marks every unread notice of the caller read and says how many; again, "
        "it marks none (`0`).",
    )
    def post(self, request):
        count = services.mark_notices_read(actor=request.user)
        return Response(NotificationsReadSerializer({"marked_read": count}).data)
