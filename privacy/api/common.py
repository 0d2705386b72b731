"""What the privacy API's views share."""

from rest_framework import serializers

from config.http.serializers import InputSerializer


class ReasonInSerializer(InputSerializer):
    # Not blank, as the schema says (minLength 1). The answer to a blank reason
    # is the same 400 for any case, so it tells nothing about the case.
    reason = serializers.CharField(max_length=2000, help_text="Required; kept with the record.")
