"""Shared pieces of the casework API: versions (ETag / If-Match) and base serializers."""

import logging
from collections.abc import Mapping

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from accounts.models import User
from config.api import PROBLEM_CONTENT_TYPE
from config.errors import InvalidInput
from config.preconditions import etag
from config.preconditions import if_match_version as if_match_version  # the API's views use it
from config.schema import ProblemSerializer
from config.serializers import RequestSerializer

logger = logging.getLogger(__name__)


# --- Shared serializers ---------------------------------------------------------------


class InputSerializer(RequestSerializer):
    """An input serializer that refuses fields it does not know, so that a
    misspelt field is a 400 rather than a silent no-op (and reads the body
    strictly, see config.serializers)."""

    # The schema says additionalProperties: false (config.schema).
    refuses_unknown_fields = True
    # Fields of which at least one must be given (sent, not null, not blank);
    # the schema says anyOf required (config.schema), a service checks it.
    needs_one_of: tuple[str, ...] = ()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise ValidationError(
                    {
                        name: [ErrorDetail(_("Unknown field."), code="unknown_field")]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class ChangeInSerializer(InputSerializer):
    """A change: send at least one field to change (``reason`` alone changes nothing)."""

    # The schema says anyOf required, one set per field of changes() (config.schema).

    not_a_change = ("reason",)

    def changes(self) -> list[str]:
        return [name for name in self.fields if name not in self.not_a_change]

    def validate(self, attrs):
        if not set(attrs) & set(self.changes()):
            raise ValidationError(_("Send at least one field to change."), code="empty")
        return attrs


class UserRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.CharField()


class PossibleDuplicateSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    name_latin = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)


class PossibleDuplicateProblemSerializer(ProblemSerializer):
    """409 ``possible_duplicate``: the person may already be registered."""

    candidates = PossibleDuplicateSerializer(
        many=True,
        required=False,
        help_text="With code possible_duplicate: clients you can see who may be the same person.",
    )

    class Meta:
        ref_name = "PossibleDuplicateProblem"


PROBLEM_412 = {
    (412, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer,
        description="Precondition failed: If-Match names no version the record is at.",
    )
}
PROBLEM_428 = {
    (428, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="Precondition required: send If-Match."
    )
}
IF_MATCH_REQUIRED = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the version you edited, e.g. "3"; `*` accepts the current '
    "version. Missing or empty: 428; another version or ETag: 412 (nothing is changed); "
    "not * or a list of ETags: 400.",
)
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='Optional ETag of the version you acted on, e.g. "3"; `*` or none: any '
    "version. Another version or ETag: 412 (nothing is changed); not * or a list of "
    "ETags: 400.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A unique key (at most 200 characters) per record to create. A retry with "
    "the same key and body returns the first answer (Idempotent-Replayed: true) and creates "
    "nothing; the same key with another body is a 409.",
)
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The record's version; send it back in If-Match to change the record.",
)
LOCATION_HEADER = OpenApiParameter(
    "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201]
)


def with_version_headers(response: Response, instance, location: str = "") -> Response:
    response["ETag"] = etag(instance.version)
    if location:
        response["Location"] = location
    return response


def active_user(user_id, field: str) -> User | None:
    """The user named in the body; whether they may take the case is the
    service's rule (``_check_assignee``), with the same answer for strangers."""
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidInput(
            _("Choose an active caseworker or supervisor of the case's agency."),
            code="invalid_assignee",
            field=field,
        )
    return user
