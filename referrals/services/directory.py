"""The service directory: add, change and import (HSDS) an agency's services."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.models import Agency, User
from accounts.permissions import Perm
from casework.services.common import ExpectedVersion, check_version, unknown_fields
from config.errors import Forbidden, InvalidInput
from referrals.models import Service
from referrals.selectors import get_service_for
from referrals.services.parsing import parse_categories

# Every field of a service a person writes (the forms, the API and HSDS import).
SERVICE_FIELDS = (
    "name",
    "alternate_name",
    "description",
    "category",
    "status",
    "accepts_referrals",
    "data_categories_needed",
    "languages",
    "eligibility_description",
    "application_process",
    "fees_description",
    "url",
    "email",
    "phone",
    "location_name",
    "address",
    "city",
    "postal_code",
    "country",
)


def _validated_service(service: Service) -> Service:
    errors: dict[str, Any] = {}
    if not isinstance(service.accepts_referrals, bool):
        errors["accepts_referrals"] = _("Must be true or false.")
    try:
        service.data_categories_needed = parse_categories(
            service.data_categories_needed, "data_categories_needed"
        )
    except InvalidInput as error:
        errors["data_categories_needed"] = error.message
    if not isinstance(service.languages, list) or any(
        not isinstance(code, str) or not code.isalpha() or not 2 <= len(code) <= 3
        for code in service.languages
    ):
        errors["languages"] = _("Use a list of language codes such as ar, fa or ti.")
    else:
        service.languages = [code.lower() for code in service.languages]
    if isinstance(service.country, str):
        service.country = service.country.upper()
    if errors:
        raise ValidationError(errors)
    return service


@transaction.atomic
def create_service(*, actor: User, agency: Agency, data: dict[str, Any]) -> Service:
    """Add a service of ``agency`` to the directory. Needs MANAGE_SERVICES
    there. Writes the history."""
    if not actor.has_perm(Perm.MANAGE_SERVICES, agency):
        raise Forbidden()
    if not isinstance(data, dict):
        raise InvalidInput(_("Expected an object with fields."), code="invalid", field="data")
    unknown_fields(data, SERVICE_FIELDS)
    service = _validated_service(Service(agency=agency, **data))
    save_with_history(service, actor=actor, reason=gettext_noop("service added"))
    return service


@transaction.atomic
def update_service(
    *,
    actor: User,
    service_id: UUID | str,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
) -> Service:
    """Change a service of the actor's agency (MANAGE_SERVICES; another
    agency's service is 403). A stale ``expected_version`` (when given) raises
    PreconditionFailed. Writes the history."""
    if not isinstance(changes, dict):
        raise InvalidInput(_("Expected an object with fields."), code="invalid", field="changes")
    unknown_fields(changes, SERVICE_FIELDS)
    service = get_service_for(actor, service_id)
    service = Service.objects.select_for_update().get(pk=service.pk)
    if expected_version is not None:
        check_version(service, expected_version)
    for name, value in changes.items():
        setattr(service, name, value)
    _validated_service(service)
    service.version += 1
    save_with_history(service, actor=actor, reason=gettext_noop("service updated"))
    return service


@dataclass
class ImportResult:
    services: list[Service]
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@transaction.atomic
def import_services(*, actor: User, agency: Agency, records: list[dict[str, Any]]) -> ImportResult:
    """Create or update ``agency``'s services from parsed HSDS records (by
    name); a record changes only the fields it carries, and one that changes
    nothing writes nothing. Needs MANAGE_SERVICES. All or nothing: one bad
    record (its index named in the error) imports none. Imports into one
    agency run one at a time (its row is locked): two files adding the same
    name cannot both pass the name check."""
    if not actor.has_perm(Perm.MANAGE_SERVICES, agency):
        raise Forbidden()
    Agency.objects.select_for_update().filter(pk=agency.pk).first()
    result = ImportResult(services=[])
    seen_names: set[str] = set()
    for index, record in enumerate(records):
        try:
            unknown_fields(record, SERVICE_FIELDS)
            name = record.get("name")
            if isinstance(name, str):
                if name.strip().casefold() in seen_names:
                    raise InvalidInput(
                        _("Another record of this import has the same name."),
                        code="duplicate",
                        field="name",
                    )
                seen_names.add(name.strip().casefold())
            existing = (
                Service.objects.select_for_update().filter(agency=agency, name=name).first()
                if isinstance(name, str)
                else None
            )
            if existing is None:
                service = _validated_service(Service(agency=agency, **record))
                save_with_history(service, actor=actor, reason=gettext_noop("service imported"))
                result.created += 1
            elif any(getattr(existing, field) != value for field, value in record.items()):
                for field_name, value in record.items():
                    setattr(existing, field_name, value)
                service = _validated_service(existing)
                service.version += 1
                save_with_history(service, actor=actor, reason=gettext_noop("service imported"))
                result.updated += 1
            else:
                service = existing  # the record says what the service says: nothing to write
                result.unchanged += 1
        except ValidationError as error:
            messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            field_name, errors = next(iter(messages.items()))
            if field_name in ("", "__all__"):
                field_name = "name"  # the only record-wide rule: one name per agency
            raise InvalidInput(
                errors[0], code="invalid", field=f"services.{index}.{field_name}"
            ) from error
        except InvalidInput as error:
            raise InvalidInput(
                error.message, code=error.code, field=f"services.{index}.{error.field}"
            ) from error
        result.services.append(service)
    return result
