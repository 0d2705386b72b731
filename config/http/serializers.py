"""The base of every serializer that reads a request body.

DRF bends a body to fit its fields in two ways that turn a malformed request
into a different, valid one:

- an HTML form leaves an unticked checkbox out, so a ``BooleanField`` reads a
  key missing from a form-encoded or multipart body as ``false``: a
  ``POST /cases/{id}/restrict/`` without ``restricted`` lifted the restriction,
  and ``send`` (default ``true``) made a draft;
- a ``CharField`` takes a number and stores its text (``{"reason": 0}`` is the
  reason ``"0"``), a ``UUIDField`` takes an integer as a UUID;
- a ``BooleanField`` takes ``0``, ``1`` and ``"yes"``, an ``IntegerField``
  ``"5"`` and ``5.0``, also in a JSON body, whose schema says boolean and
  integer.

Here a key missing from a body is missing in every content type (required: a
400 naming the field; optional: its default), a text field takes text only,
and in JSON a boolean is ``true`` or ``false`` and a whole number a JSON
integer (a form or a query string carries only text, which DRF reads as before).
The fields are adjusted where the serializer builds them, so a field declared
with plain ``serializers.BooleanField()`` / ``CharField()`` is strict too, in
nested lists and in the id of a related object as well.
"""

from collections.abc import Mapping
from types import MethodType

from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.fields import empty

_TEXT_FIELDS = (serializers.CharField, serializers.UUIDField)


def _text_only(field, data):
    # bool is an int: ``{"reason": true}`` is refused with the numbers.
    if isinstance(data, bool | int | float):
        field.fail("invalid")
    return type(field).to_internal_value(field, data)


def _from_json(field) -> bool:
    # A form, multipart body or query string arrives as a QueryDict; JSON does not.
    return not isinstance(getattr(field.root, "initial_data", None), QueryDict)


def _boolean_only(field, data):
    if _from_json(field) and not isinstance(data, bool):
        field.fail("invalid", input=data)
    return type(field).to_internal_value(field, data)


def _integer_only(field, data):
    if _from_json(field) and (isinstance(data, bool) or not isinstance(data, int)):
        field.fail("invalid")
    return type(field).to_internal_value(field, data)


def make_strict(field: serializers.Field) -> None:
    """Make one field, and the fields inside it, read a body strictly."""
    if isinstance(field, RequestSerializer):
        return  # it makes its own fields strict
    if isinstance(field, serializers.Serializer):
        for inner in field.fields.values():
            make_strict(inner)
        return
    if isinstance(field, serializers.BooleanField):
        field.default_empty_html = empty
        field.to_internal_value = MethodType(_boolean_only, field)
    if isinstance(field, serializers.IntegerField):
        field.to_internal_value = MethodType(_integer_only, field)
    if isinstance(field, _TEXT_FIELDS):
        field.to_internal_value = MethodType(_text_only, field)
    for name in ("child", "pk_field", "child_relation"):
        inner = getattr(field, name, None)
        if isinstance(inner, serializers.Field):
            make_strict(inner)


class RequestSerializer(serializers.Serializer):
    """Reads a request body (or query string): a missing key is missing in
    JSON, form-encoded and multipart bodies alike, and text is text."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            make_strict(field)
        return fields


class InputSerializer(RequestSerializer):
    """An input serializer that refuses fields it does not know, so that a
    misspelt field is a 400 rather than a silent no-op (and reads the body
    strictly: a text field takes text, a JSON boolean is true or false)."""

    # The schema says additionalProperties: false (config.http.schema).
    refuses_unknown_fields = True
    # Fields of which at least one must be given (sent, not null, not blank);
    # the schema says anyOf required (config.http.schema), a service checks it.
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

    # The schema says anyOf required, one set per field of changes() (config.http.schema).

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


class FlatListField(serializers.ListField):
    """A list given in a JSON body as a list, or in a query string or form as
    ``a,b`` or ``x=a&x=b``. A bad item is reported on the field itself, not on
    its position in the list. Duplicates are dropped; the order is sorted."""

    def get_value(self, dictionary):
        if self.field_name not in dictionary:
            return empty
        if hasattr(dictionary, "getlist"):  # a query string or a form
            return [
                part.strip()
                for value in dictionary.getlist(self.field_name)
                for part in value.split(",")
                if part.strip()
            ]
        return dictionary[self.field_name]

    def to_internal_value(self, data):
        try:
            values = super().to_internal_value(data)
        except ValidationError as error:
            detail = error.detail
            if isinstance(detail, dict):
                detail = [message for messages in detail.values() for message in messages]
            raise ValidationError(detail) from error
        return sorted(set(values), key=str)


class AgencyRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
