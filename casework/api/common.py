"""Pieces several casework API modules share: the possible-duplicate answer.
What every app shares is in ``config.http``."""

import logging

from rest_framework import serializers

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
