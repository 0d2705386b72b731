"""The base of every serializer that reads a query string.

DRF reads a query string as an HTML form: a parameter given empty
(``?updated_since=``, ``?status=``) counts as left out, so a client that
builds a URL from an empty variable gets an unfiltered answer and no error.
Here an empty value is a value, validated like any other: a 400 naming the
parameter unless the parameter may be blank (a search ``q``). Lists
(``?data_categories=a&data_categories=b``) keep their own reading.

A ``BooleanField`` left out of a query string is left out (its default, or
absent from ``validated_data``), not ``false`` as DRF reads a form's unticked
checkbox: ``?overdue=false`` and no ``overdue`` at all are different filters.
"""

from types import MethodType

from rest_framework import serializers
from rest_framework.fields import empty

_LIST_FIELDS = (
    serializers.ListField,
    serializers.MultipleChoiceField,
    serializers.ManyRelatedField,
)


def _empty_is_a_value(field, dictionary):
    if hasattr(dictionary, "getlist") and dictionary.get(field.field_name) == "":
        return ""
    return type(field).get_value(field, dictionary)


class QuerySerializer(serializers.Serializer):
    """Reads ``request.query_params``: ``?name=`` is the value ``""``, not absent."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if not isinstance(field, _LIST_FIELDS):
                field.get_value = MethodType(_empty_is_a_value, field)
            if isinstance(field, serializers.BooleanField):
                field.default_empty_html = empty
        return fields
