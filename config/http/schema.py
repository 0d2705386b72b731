"""OpenAPI: the schema says what the API does.

Every operation documents the problem documents it can answer (with If-Match:
412, and 428 where it is required; with a body: 415); a request body whose
serializer refuses unknown fields says ``additionalProperties: false``; a list
that may not be empty says ``minItems: 1``, an uploaded file ``minLength: 1``; a
body that needs one field of several (a PATCH with something to change, an
agency or a person) says ``anyOf`` of the ``required`` sets. Bodies are JSON,
but for the document upload (multipart).
Schemathesis checks all of this against the running app in CI (``.ci/fuzz``).
"""

import re

from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from config.http.api import PROBLEM_CONTENT_TYPE, TITLES


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="Dotted path of the field at fault.")
    code = serializers.CharField()
    detail = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, with Sanad's machine ``code``."""

    type = serializers.CharField(help_text="URN naming the kind of problem.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Machine-readable error code.")
    instance = serializers.CharField(required=False)
    errors = ProblemFieldErrorSerializer(many=True, required=False)

    class Meta:
        ref_name = "Problem"


# What config.http.preconditions.parse_if_match reads: * or a list of entity-tags
# (or bare version numbers), empty elements allowed; when required, one tag.
_TAG = r'(?:(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"|[0-9]+)'
IF_MATCH_PATTERN = rf"^[ \t]*(?:\*|(?:,[ \t]*)*{_TAG}(?:[ \t]*,[ \t]*{_TAG}?)*)[ \t]*$"
IF_MATCH_OR_NONE_PATTERN = rf"^[ \t]*(?:\*|{_TAG}?(?:[ \t]*,[ \t]*{_TAG}?)*)[ \t]*$"


# Text with one character Python's ``str.strip()`` keeps: DRF trims text, so a
# value of only those (" ", "\x1f", "\u3000") is blank.
NOT_BLANK_PATTERN = (
    "[^\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
)


class ProblemAutoSchema(AutoSchema):
    """Documents the problem responses every operation can give."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        codes = []
        if "requestBody" in operation:
            codes.append("415")
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "header" and parameter.get("name") == "If-Match":
                codes.append("412")
                schema = parameter.setdefault("schema", {"type": "string"})
                if parameter.get("required"):
                    codes.append("428")
                    # An empty If-Match is a missing one (428), not a version.
                    schema["minLength"] = 1
                    schema["pattern"] = IF_MATCH_PATTERN
                else:
                    schema["pattern"] = IF_MATCH_OR_NONE_PATTERN
        for code in codes:
            if code not in responses:
                responses[code] = self._problem_response(code)
        _declare_response_headers(operation)
        return operation

    def _problem_response(self, code: str) -> dict:
        response = self._get_response_for_code(
            ProblemSerializer, code, media_types=[PROBLEM_CONTENT_TYPE]
        )
        response["description"] = TITLES[int(code)]
        return response

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # A serializer that answers 400 to a field it does not know (it sets
        # ``refuses_unknown_fields``) says so, so that clients and the fuzzer know.
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        if direction == "request" and callable(getattr(serializer, "changes", None)):
            _at_least_one_change(serializer, schema)
        elif direction == "request":
            alternatives = _one_of_required(serializer, schema.get("properties", {}))
            if alternatives:
                schema["anyOf"] = alternatives
            # Rules between fields that the serializer states as JSON Schema:
            # each a list of alternatives, of which one must hold.
            rules = [schema.pop("anyOf")] if "anyOf" in schema else []
            rules += getattr(serializer, "schema_rules", ())
            if len(rules) == 1:
                schema["anyOf"] = rules[0]
            elif rules:
                schema["allOf"] = [{"anyOf": rule} for rule in rules]
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(schema, dict)
            and schema.get("type") == "array"
            and getattr(field, "allow_empty", True) is False
        ):
            schema["minItems"] = max(schema.get("minItems", 0), 1)
        if (
            direction == "request"
            and isinstance(field, serializers.FileField)
            and not field.allow_empty_file
            and isinstance(schema, dict)
        ):
            schema["minLength"] = 1  # an empty file is refused (code "empty")
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not field.allow_blank
            and field.trim_whitespace
            and isinstance(schema, dict)
            and schema.get("type") == "string"
            and not {"pattern", "format"} & set(schema)
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NOT_BLANK_PATTERN  # blank after trimming: refused
        return schema

    def _get_request_for_media_type(self, serializer, direction="request"):
        schema, required = super()._get_request_for_media_type(serializer, direction)
        # A body that needs one field of several cannot be left out either.
        if isinstance(serializer, type):
            serializer = serializer()
        if isinstance(serializer, serializers.Serializer) and _one_of_required(serializer, {}):
            required = True
        return schema, required

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404", "429"]
        if self.method in ("PUT", "PATCH"):
            codes.append("412")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("409")
        if not self.get_auth():
            codes = [code for code in codes if code not in ("401", "403")]
        for code in codes:
            if code not in responses:
                responses[code] = self._problem_response(code)
        return responses


# Response headers a client acts on, declared wherever the server sends them.
IDEMPOTENT_REPLAYED = {
    "description": "`true` when this answer replays the first answer to the same "
    "Idempotency-Key (nothing was created this time); absent otherwise.",
    "schema": {"type": "string", "enum": ["true"]},
}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}
CONTENT_DISPOSITION = {
    "description": 'The file\'s name: `attachment; filename="…"` (or `inline`).',
    "schema": {"type": "string"},
}


def _declare_response_headers(operation: dict) -> None:
    """``Idempotent-Replayed`` on the success of an operation that takes an
    ``Idempotency-Key``, ``Retry-After`` on a 429, ``Content-Disposition`` on a
    file (a success that is not JSON)."""
    takes_key = any(
        parameter.get("in") == "header" and parameter.get("name") == "Idempotency-Key"
        for parameter in operation.get("parameters", [])
    )
    for code, response in operation.get("responses", {}).items():
        if not isinstance(response, dict) or "$ref" in response:
            continue
        headers = {}
        if code == "429":
            headers["Retry-After"] = RETRY_AFTER
        if code.startswith("2"):
            if takes_key:
                headers["Idempotent-Replayed"] = IDEMPOTENT_REPLAYED
            media_types = set(response.get("content", {}))
            if media_types and not any(_is_json(media_type) for media_type in media_types):
                headers["Content-Disposition"] = CONTENT_DISPOSITION
        for name, header in headers.items():
            response.setdefault("headers", {}).setdefault(name, header)


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _at_least_one_change(serializer, schema: dict) -> None:
    """A PATCH body (``changes()``) names at least one field to change: at least
    one property, and not only fields that change nothing (a ``reason``). Said
    with ``minProperties`` and ``not`` rather than ``anyOf`` of ``required``
    sets, which generated clients read as a union of untyped bodies."""
    schema["minProperties"] = 1
    changes = set(serializer.changes())
    others = [name for name in schema.get("properties", {}) if name not in changes]
    if others:
        schema["not"] = {
            "type": "object",
            "properties": {name: {} for name in others},
            "additionalProperties": False,
        }


def _one_of_required(serializer, properties: dict) -> list[dict]:
    """``anyOf`` for a body that needs at least one field of several.

    ``changes()`` (a PATCH body, ``ChangeInSerializer``): at least one of those
    fields is sent, whatever its value (the schema says it with
    ``_at_least_one_change``). ``needs_one_of``: at least one of those
    fields is given: sent, not null and, for text, not blank."""
    if callable(getattr(serializer, "changes", None)):
        return [{"required": [name]} for name in serializer.changes()]
    alternatives = []
    for name in getattr(serializer, "needs_one_of", ()):
        field = serializer.fields[name]
        alternative: dict = {"required": [name]}
        given: dict = {}
        if field.allow_null:  # null is not given: the type without ``nullable``
            given["type"] = properties.get(name, {}).get("type", "string")
            if given["type"] == "string":
                given["minLength"] = 1  # nor an empty value (none in a form)
        if isinstance(field, serializers.CharField):  # nor is blank text
            given.update(type="string", minLength=1, pattern=NOT_BLANK_PATTERN)
        if given:
            alternative["properties"] = {name: given}
        alternatives.append(alternative)
    return alternatives


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Token from POST /api/v1/auth/token/, sent as "
            "'Authorization: Bearer <token>'.",
        }


# --- Parameters and answers many operations share ---------------------------------

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
CONTENT_DISPOSITION_HEADER = OpenApiParameter(
    "Content-Disposition",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description='A JSON file to save: `attachment; filename="…"`.',
)
LOCATION_HEADER = OpenApiParameter(
    "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201]
)


# --- Enum member names for generated clients ----------------------------------------


def enum_member_name(value) -> str:
    """A constant name for an enum value, as a generated client spells members:
    ``Europe/Paris`` → ``EUROPE_PARIS``; a sign before a digit is spelled out, so
    that ``Etc/GMT+1`` and ``Etc/GMT-1`` stay two members; ``""`` → ``BLANK``."""
    text = re.sub(r"\+(?=\d)", "_PLUS_", str(value))
    text = re.sub(r"-(?=\d)", "_MINUS_", text)
    name = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").upper()
    if not name:
        return "BLANK"
    return f"VALUE_{name}" if name[0].isdigit() else name


def enum_member_names(values: list) -> list[str]:
    """One distinct name per value (a clash gets ``_2``, ``_3``…)."""
    names: list[str] = []
    taken: set[str] = set()
    for value in values:
        base = name = enum_member_name(value)
        number = 1
        while name in taken:
            number += 1
            name = f"{base}_{number}"
        taken.add(name)
        names.append(name)
    return names


def postprocess_enum_member_names(result, generator, request, public):
    """Every enum of text says its members' names (``x-enum-varnames``): a
    generator's own spelling of ``GMT+0``, ``GMT-0`` and ``GMT0`` is one name for
    three values, and it stops or keeps only one of them."""

    def visit(node):
        if isinstance(node, dict):
            values = node.get("enum")
            if (
                isinstance(values, list)
                and values
                and all(isinstance(value, str) for value in values)
            ):
                node["x-enum-varnames"] = enum_member_names(values)
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    visit(result)
    return result
