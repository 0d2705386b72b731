"""Shared by the casework services: input checks, versions, field lists."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from accounts.validation import require_text as require_text
from casework.models import (
    Client,
)
from casework.names import name_key, search_text
from casework.sections import CLIENT_FIELDS as CLIENT_FIELDS
from casework.sections import SENSITIVE_FIELDS as SENSITIVE_FIELDS
from config.errors import Conflict, InvalidInput, PreconditionFailed
from config.http.preconditions import IfMatch

CASE_EDIT_FIELDS = ("case_type", "risk_level", "summary")


class PossibleDuplicate(Conflict):
    """409: the client may already be registered; the caller confirms or opens it."""

    code = "possible_duplicate"

    def __init__(self, candidates):
        self.candidates = list(candidates)
        super().__init__(
            _(
                "This person may already be registered. Open the existing record, or confirm "
                "that this is a different person."
            )
        )


# What an update is made against: a version number (a form's hidden field) or
# the API's parsed If-Match header.
ExpectedVersion = int | str | IfMatch | None


def check_version(instance: Model, expected_version: ExpectedVersion) -> None:
    """PreconditionFailed (412) unless ``instance`` is at ``expected_version``: a
    version number (a form's hidden field), or the API's If-Match."""
    if isinstance(expected_version, IfMatch):
        if not expected_version.matches(instance.version):
            raise PreconditionFailed()
        return
    if expected_version is None or expected_version == "":
        raise InvalidInput(
            _("The record's version is required."), code="version_required", field="version"
        )
    try:
        expected = int(str(expected_version).strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise InvalidInput(
            _("The version must be a whole number."), code="invalid", field="version"
        ) from None
    if expected != instance.version:
        raise PreconditionFailed()


def require_mapping(data: Any, field: str) -> dict:
    """``data`` if it is a dict, else InvalidInput at ``field``."""
    if not isinstance(data, dict):
        raise InvalidInput(_("Expected an object with fields."), code="invalid", field=field)
    return data


def unknown_fields(data: dict, allowed: Iterable[str], prefix: str = "") -> None:
    """InvalidInput naming the first key of ``data`` not in ``allowed`` (the
    field named ``prefix`` + key)."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(
            _("Unknown field: %(field)s.") % {"field": unknown[0]},
            code="unknown_field",
            field=f"{prefix}{unknown[0]}",
        )


def require_bool(value: Any, field: str) -> bool:
    """``value`` if it is a real boolean (not 0, "false"…), else InvalidInput."""
    if not isinstance(value, bool):
        raise InvalidInput(_("Must be true or false."), code="invalid", field=field)
    return value


# What ``trusted_links`` leaves out of a new record's validation: the links the
# caller set itself and checked once (agency, registering or creating user,
# the client of a case), and the uniqueness of a fresh random id. The fields
# that come from the input are validated all the same.
TRUSTED_LINKS = ("agency", "registered_by", "created_by", "client")


def validated_client(client: Client, *, trusted_links: bool = False) -> Client:
    """Validate first (full_clean turns form input into typed values), then
    derive the search keys from the cleaned names. ``trusted_links``: see
    TRUSTED_LINKS (the spreadsheet import validates thousands of rows)."""
    exclude = ["search_text", "name_key", "name_latin_key"]
    if trusted_links:
        exclude += TRUSTED_LINKS
    client.full_clean(exclude=exclude, validate_unique=not trusted_links)
    client.search_text = search_text(client.name, client.name_latin, client.preferred_name)
    client.name_key = name_key(client.name)
    client.name_latin_key = name_key(client.name_latin)
    return client


def prefixed(error: ValidationError, prefix: str) -> ValidationError:
    """``error`` with each field name under ``prefix`` (``documents.0.`` + name),
    so a nested record's errors name their place in the input."""
    if not hasattr(error, "error_dict"):
        return ValidationError({prefix.rstrip("."): error.messages})
    return ValidationError(
        {f"{prefix}{name}": messages for name, messages in error.message_dict.items()}
    )


def require_caller_transaction() -> None:
    """Writes without a permission check of their own (``save_new_client``,
    ``save_new_case``) run only inside the transaction of a use case that
    checked, so a stray call fails loudly instead of writing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Call this write inside the checking use case's transaction.")
