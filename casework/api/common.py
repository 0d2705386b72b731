"""Shared pieces of the casework API: versions (ETag / If-Match) and base serializers."""

import logging
import re
from collections.abc import Mapping

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from accounts.models import User
from config.api import PROBLEM_CONTENT_TYPE
from config.errors import (
    InvalidInput,
    PreconditionRequired,
)
from config.schema import ProblemSerializer

logger = logging.getLogger(__name__)


# --- Versions: ETag and If-Match ------------------------------------------------------


_IF_MATCH = re.compile(r'^(?:W/"(\d{1,9})"|"(\d{1,9})"|(\d{1,9}))$')


def if_match_version(request, *, required: bool) -> int | None:
    """The version named by ``If-Match``: ``"3"``, ``W/"3"`` and ``3`` all mean 3."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        if required:
            raise PreconditionRequired()
        return None
    match = _IF_MATCH.match(raw)
    if match is None:
        raise InvalidInput(
            _('If-Match must be one ETag of the record, such as "3".'),
            code="invalid_if_match",
            field="If-Match",
        )
    return int(next(group for group in match.groups() if group))


def etag(version: int) -> str:
    return f'"{version}"'


# --- Shared serializers ---------------------------------------------------------------


class InputSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know, so that a
    misspelt field is a 400 rather than a silent no-op."""

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
        ProblemSerializer, description="Precondition failed: If-Match names a stale version."
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
    description='The ETag of the version you edited, e.g. "3". Missing: 428; '
    "stale: 412 (nothing is changed).",
)
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='Optional ETag of the version you acted on, e.g. "3"; stale: 412.',
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
