"""Pieces several casework API modules share: the possible-duplicate answer and
the assignee named in a body. What every app shares is in ``config.http``."""

import logging

from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import User
from config.errors import InvalidInput
from config.http.preconditions import if_match_version as if_match_version  # the API's views use it
from config.http.schema import ProblemSerializer

logger = logging.getLogger(__name__)


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
