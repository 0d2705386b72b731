"""API plumbing shared by every app: problem details, pagination, schema.

Every 4xx/5xx answer of the API is an RFC 9457 problem document::

    {"type": "urn:sanad:problem:validation_error", "title": "Invalid input.",
     "status": 400, "detail": "...", "code": "validation_error", "instance": "/api/v1/...",
     "errors": [{"field": "email", "code": "required", "detail": "This field is required."}]}
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError, InvalidHeader

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    413: "Payload too large",
    415: "Unsupported media type",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str = "",
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:sanad:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": str(detail),
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return body


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, Any]]:
    """DRF's nested error detail → [{"field": "documents.0.number", ...}]."""
    rows: list[dict[str, Any]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            rows += _flatten(value, ".".join(part for part in (prefix, name) if part))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                rows += _flatten(value, f"{prefix}.{index}" if prefix else str(index))
            else:
                rows += _flatten(value, prefix)
    else:
        rows.append(
            {
                "field": prefix or None,
                "code": getattr(detail, "code", "invalid"),
                "detail": str(detail),
            }
        )
    return rows


def _django_validation_detail(error: DjangoValidationError) -> Any:
    if hasattr(error, "error_dict"):
        return serializers.as_serializer_error(error)
    return {"non_field_errors": serializers.as_serializer_error(error)["non_field_errors"]}


def problem_exception_handler(exc, context):
    """DRF exception handler: every error becomes a problem document."""
    request = context.get("request")
    instance = request.path if request is not None else ""

    if isinstance(exc, DomainError):
        errors = None
        code = exc.code
        if exc.status == 400:
            errors = [{"field": exc.field, "code": exc.code, "detail": str(exc.message)}]
            # A field at fault is a validation error like any other: one problem code
            # for them all, the field's own reason in errors[].code.
            if exc.field and not isinstance(exc, InvalidHeader):
                code = "validation_error"
        body = problem(exc.status, code, str(exc.message), instance=instance, errors=errors)
        # Facts a client program acts on (the current state, every refusal reason).
        for name, value in (getattr(exc, "extensions", None) or {}).items():
            body.setdefault(name, value)
        return Response(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)

    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a 500: Django's handler500 answers (as a problem under /api/)

    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        body = problem(
            response.status_code,
            "validation_error",
            _("Some fields are not valid: %(fields)s.")
            % {"fields": ", ".join(sorted({e["field"] or "(request)" for e in errors}))},
            instance=instance,
            errors=errors,
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if not isinstance(code, str):
            code = "error"
        body = problem(response.status_code, code, str(detail), instance=instance)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(request, status: int, code: str, detail: str) -> JsonResponse:
    """A problem document outside DRF (URL not found, server error under /api/)."""
    return JsonResponse(
        problem(status, code, detail, instance=request.path),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
