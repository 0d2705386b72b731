"""Open Referral HSDS 3.0 JSON for the service directory.

Export: one page of the HSDS API's service list, each item a full HSDS 3.0
``service`` (it validates against HSDS's ``service.json``) with its
``organization``, ``phones``, ``languages``, ``service_at_locations`` (one
location with its physical address) and ``attributes``. Every id is a UUID,
stable from one export to the next. Sanad's own facts travel as attributes
whose terms belong to Sanad's own taxonomies: the kind of service
(``sanad-service-category``), whether it takes referrals and the data it
needs (``sanad-referrals``).

Import: the same page, a list of service objects or one service object
(a term's taxonomy is read from ``taxonomy``, or ``vocabulary`` as Sanad's
files said before HSDS 3.0).
``parse_services`` turns it into the keyword fields of
``referrals.services.import_services``; errors name the record and field.
"""

import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from jsonschema import Draft202012Validator

from casework.models import DataCategory, ServiceCategory
from config.errors import InvalidInput
from referrals.models import Service

CATEGORY_VOCABULARY = "sanad-service-category"
REFERRAL_VOCABULARY = "sanad-referrals"
MAX_IMPORT = 500
# A character str.strip() keeps (config.http.schema.NOT_BLANK_PATTERN; config imports no app).
NOT_BLANK = (
    "[^\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
)


def _text_schema(max_length: int | None = None, **extra) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **extra}
    if max_length:
        schema["maxLength"] = max_length
    return schema


_UUID = {"type": "string", "format": "uuid"}


def _objects(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "object", "required": required, "properties": properties},
    }


# What the import takes: an HSDS 3.0 service (``standards/hsds-3.0/service.json``,
# which every item is checked against), spelled out here for the fields Sanad
# reads. Any other HSDS field is accepted and listed in the answer as not kept.
SERVICE_IMPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "status"],
    "properties": {
        "id": _UUID,
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK},
        "alternate_name": _text_schema(200),
        "description": _text_schema(),
        "url": _text_schema(format="uri"),
        "email": _text_schema(format="email"),
        "status": {"type": "string", "enum": Service.Status.values},
        "application_process": _text_schema(),
        "fees_description": _text_schema(200),
        "eligibility_description": _text_schema(),
        "phones": _objects(["id", "number"], {"id": _UUID, "number": {"type": "string"}}),
        "languages": _objects(["id"], {"id": _UUID, "code": {"type": "string"}}),
        "service_at_locations": _objects(["id"], {"id": _UUID}),
        "attributes": _objects(["id"], {"id": _UUID}),
    },
}
_SERVICES = {"type": "array", "minItems": 1, "maxItems": MAX_IMPORT, "items": SERVICE_IMPORT_SCHEMA}
IMPORT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "object",
            "required": ["contents"],
            "properties": {"contents": _SERVICES},
            "description": "A page of the HSDS API.",
        },
        {**_SERVICES, "description": "A list of HSDS service objects."},
        {**SERVICE_IMPORT_SCHEMA, "description": "One HSDS service object."},
    ]
}


# Every id Sanad exports is a UUID (HSDS requires it), the same from one export
# to the next: a service's own id, its agency's, or a name-based UUID (uuid5)
# of what the object is within its service. Never change this namespace: ids
# already shared with partners would change.
ID_NAMESPACE = uuid.UUID("6f1c2d3e-9a4b-5c6d-8e7f-0a1b2c3d4e5f")
# The taxonomies of Sanad's own facts (HSDS `taxonomy_term.taxonomy`).
TAXONOMIES = {
    CATEGORY_VOCABULARY: "Sanad: kinds of service",
    REFERRAL_VOCABULARY: "Sanad: referrals",
}
# What each Sanad term means, in the directory's language (an interchange file
# reads the same whoever downloads it).
TERM_DESCRIPTIONS = {
    (CATEGORY_VOCABULARY, None): "The kind of service, one of Sanad's service categories.",
    (REFERRAL_VOCABULARY, "accepts_referrals"): (
        'Whether the service takes referrals through Sanad: value "true" or "false".'
    ),
    (REFERRAL_VOCABULARY, "data_category_needed"): (
        "A category of a client's data the service needs in a referral: the value is "
        "the category (one attribute per category)."
    ),
}


def stable_id(*parts: object) -> str:
    """A UUID for an exported object that has no id of its own in Sanad: the
    same parts give the same id in every export."""
    return str(uuid.uuid5(ID_NAMESPACE, ":".join(str(part) for part in parts)))


def _taxonomy_term(taxonomy: str, code: str, name: str) -> dict[str, Any]:
    description = TERM_DESCRIPTIONS.get((taxonomy, code)) or TERM_DESCRIPTIONS[(taxonomy, None)]
    return {
        "id": stable_id("taxonomy_term", taxonomy, code),
        "code": code,
        "name": name,
        "description": description,
        "taxonomy": taxonomy,
        "taxonomy_id": stable_id("taxonomy", taxonomy),
        "taxonomy_detail": {
            "id": stable_id("taxonomy", taxonomy),
            "name": taxonomy,
            "description": TAXONOMIES[taxonomy],
        },
    }


def _attribute(service: Service, taxonomy: str, code: str, value: str, term: str = ""):
    taxonomy_term = _taxonomy_term(taxonomy, code, term or code)
    return {
        "id": stable_id("attribute", service.pk, taxonomy, code, value),
        "link_id": str(service.pk),
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term_id": taxonomy_term["id"],
        "value": value,
        "taxonomy_term": taxonomy_term,
    }


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` without the empty texts: HSDS has no "empty" (an empty
    ``email`` or ``url`` is not one), a field left out is unknown."""
    return {name: value for name, value in fields.items() if value != ""}


def service_to_hsds(service: Service) -> dict[str, Any]:
    """One full HSDS 3.0 service (``service.json``). Names of Sanad's terms are
    in the default language, whoever exports."""
    agency = service.agency
    with translation.override(settings.LANGUAGE_CODE):
        category_name = str(ServiceCategory(service.category).label)
    attributes = [
        _attribute(service, CATEGORY_VOCABULARY, service.category, service.category, category_name),
        _attribute(
            service,
            REFERRAL_VOCABULARY,
            "accepts_referrals",
            "true" if service.accepts_referrals else "false",
        ),
    ]
    attributes += [
        _attribute(service, REFERRAL_VOCABULARY, "data_category_needed", category)
        for category in service.data_categories_needed
    ]
    location = None
    if service.location_name or service.address or service.city:
        location_id = stable_id("location", service.pk)
        location = {
            "id": stable_id("service_at_location", service.pk),
            "service_id": str(service.pk),
            "location_id": location_id,
            "location": _present(
                {
                    "id": location_id,
                    "location_type": "physical",
                    "name": service.location_name,
                    "addresses": [
                        {
                            "id": stable_id("address", service.pk),
                            "location_id": location_id,
                            "address_1": service.address,
                            "city": service.city,
                            # Required by HSDS; Sanad keeps no region.
                            "state_province": "",
                            "postal_code": service.postal_code,
                            "country": service.country,
                            "address_type": "physical",
                        }
                    ],
                }
            ),
        }
    return _present(
        {
            "id": str(service.pk),
            "organization_id": str(agency.pk),
            "organization": {
                "id": str(agency.pk),
                "name": agency.name,
                # Required by HSDS (empty allowed); Sanad keeps none.
                "description": "",
                **_present({"email": agency.contact_email, "website": agency.website}),
            },
            "name": service.name,
            "alternate_name": service.alternate_name,
            "description": service.description,
            "url": service.url,
            "email": service.email,
            "status": service.status,
            "application_process": service.application_process,
            "fees_description": service.fees_description,
            "eligibility_description": service.eligibility_description,
            "last_modified": service.updated_at.isoformat(),
            "phones": (
                [{"id": stable_id("phone", service.pk), "number": service.phone}]
                if service.phone
                else []
            ),
            "languages": [
                {"id": stable_id("language", service.pk, code), "code": code}
                for code in service.languages
            ],
            "service_at_locations": [location] if location else [],
            "attributes": attributes,
        }
    )


def services_to_hsds(services) -> dict[str, Any]:
    """One page of the HSDS API's service list, holding every given service."""
    contents = [service_to_hsds(service) for service in services]
    return {
        "total_items": len(contents),
        "total_pages": 1,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "contents": contents,
    }


# --- Import ------------------------------------------------------------------------------

SCHEMA_DIR = Path(__file__).resolve().parent / "standards" / "hsds-3.0"
# Errors listed in one refusal, at most (the file is refused whole either way).
MAX_ERRORS = 50
# What Sanad reads of an HSDS service; the rest is listed as not kept.
READ_FIELDS = frozenset(
    {
        "name",
        "alternate_name",
        "description",
        "url",
        "email",
        "status",
        "application_process",
        "fees_description",
        "eligibility_description",
        "phones",
        "languages",
        "service_at_locations",
        "attributes",
    }
)
# What identifies or describes the record itself rather than the service: never "lost".
RECORD_FIELDS = frozenset({"id", "organization_id", "organization", "last_modified", "metadata"})
# Fields only an HSDS organization has: such a document is not a service.
ORGANIZATION_FIELDS = frozenset(
    {
        "services",
        "legal_status",
        "year_incorporated",
        "tax_status",
        "tax_id",
        "logo",
        "website",
        "parent_organization_id",
        "organization_identifiers",
    }
)


@cache
def _service_validator() -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / "service.json").read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _path(prefix: str, parts) -> str:
    return ".".join([prefix, *(str(part) for part in parts)])


def hsds_errors(record: Any, index: int) -> list[tuple[str, str]]:
    """(field, message) for every way ``record`` is not an HSDS 3.0 service:
    ``services.<index>.<path>`` names the item and the place in it."""
    prefix = f"services.{index}"
    if not isinstance(record, dict):
        return [(prefix, _("Expected an HSDS service: an object with fields."))]
    if ORGANIZATION_FIELDS & set(record):
        return [
            (
                prefix,
                _(
                    "This is an HSDS organization, not a service. Import its services: "
                    "the items of its “services” list, each a service with its own id."
                ),
            )
        ]
    errors = []
    for error in sorted(_service_validator().iter_errors(record), key=lambda e: list(e.path)):
        if error.validator == "required" and isinstance(error.instance, dict):
            errors += [
                (_path(prefix, [*error.path, name]), _("This field is required."))
                for name in error.validator_value
                if name not in error.instance
            ]
        else:
            errors.append((_path(prefix, error.path), error.message))
    return errors


def _refuse(errors: list[tuple[str, str]]) -> None:
    """The whole file is refused, with its first MAX_ERRORS errors (several at
    one place stay several)."""
    by_field: dict[str, list[ValidationError]] = {}
    for field, message in errors[:MAX_ERRORS]:
        by_field.setdefault(field, []).append(ValidationError(message, code="hsds_invalid"))
    raise ValidationError(by_field)


def _text(record: dict, name: str, index: int, max_length: int | None = None) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("Must be text."), code="invalid", field=f"services.{index}.{name}")
    if max_length and len(value) > max_length:
        raise InvalidInput(
            ngettext("At most %(count)d character.", "At most %(count)d characters.", max_length)
            % {"count": max_length},
            code="max_length",
            field=f"services.{index}.{name}",
        )
    return value.strip()


def _list(record: dict, name: str) -> list:
    return [item for item in record.get(name) or [] if isinstance(item, dict)]


# What Sanad reads inside the objects it keeps; any other non-empty key is not kept.
PHONE_READ = frozenset({"id", "service_id", "number"})
LANGUAGE_READ = frozenset({"id", "service_id", "code"})
SERVICE_AT_LOCATION_READ = frozenset({"id", "service_id", "location_id", "location"})
LOCATION_READ = frozenset({"id", "location_type", "name", "addresses"})
# state_province: Sanad keeps no region (exported empty; a value is not kept).
ADDRESS_READ = frozenset(
    {"id", "location_id", "address_1", "city", "postal_code", "country", "address_type"}
)
ATTRIBUTE_READ = frozenset(
    {"id", "link_id", "link_type", "link_entity", "taxonomy_term_id", "value", "taxonomy_term"}
)


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def _unread(item: Any, read: frozenset[str], path: str) -> list[str]:
    if not isinstance(item, dict):
        return []
    return sorted(
        f"{path}.{key}" for key, value in item.items() if key not in read and _filled(value)
    )


def not_kept(record: dict) -> list[str]:
    """What of ``record`` (a valid HSDS service) Sanad does not keep, as
    paths: HSDS fields it does not model (``schedules``, ``contacts``…), a
    phone, location or address after the first, a language without a code,
    what it does not read inside the objects it keeps (a location's
    ``latitude``, an address's ``state_province``), an attribute of a
    taxonomy not Sanad's or with a code Sanad does not know. Empty values are
    not listed."""
    lost = sorted(
        name
        for name, value in record.items()
        if name not in READ_FIELDS | RECORD_FIELDS and _filled(value)
    )
    phones = _list(record, "phones")
    lost += _unread(phones[0], PHONE_READ, "phones.0") if phones else []
    lost += [f"phones.{i}" for i in range(1, len(phones))]
    for i, language in enumerate(_list(record, "languages")):
        if not language.get("code"):
            lost.append(f"languages.{i}")
        else:
            lost += _unread(language, LANGUAGE_READ, f"languages.{i}")
    places = _list(record, "service_at_locations")
    if places:
        lost += _unread(places[0], SERVICE_AT_LOCATION_READ, "service_at_locations.0")
        location = places[0].get("location")
        path = "service_at_locations.0.location"
        lost += _unread(location, LOCATION_READ, path)
        addresses = _list(location, "addresses") if isinstance(location, dict) else []
        lost += _unread(addresses[0], ADDRESS_READ, f"{path}.addresses.0") if addresses else []
        lost += [f"{path}.addresses.{i}" for i in range(1, len(addresses))]
    lost += [f"service_at_locations.{i}" for i in range(1, len(places))]
    for i, attribute in enumerate(_list(record, "attributes")):
        term = attribute.get("taxonomy_term") or {}
        taxonomy = _taxonomy_of(term)
        known = taxonomy == REFERRAL_VOCABULARY or (
            taxonomy == CATEGORY_VOCABULARY and term.get("code") in ServiceCategory.values
        )
        if known:
            lost += _unread(attribute, ATTRIBUTE_READ, f"attributes.{i}")
        else:
            lost.append(f"attributes.{i}")
    return lost


def _taxonomy_of(term: Any) -> str | None:
    # HSDS 3.0 names the taxonomy; Sanad's files before it said "vocabulary".
    if not isinstance(term, dict):
        return None
    detail = term.get("taxonomy_detail")
    return (
        term.get("taxonomy")
        or term.get("vocabulary")
        or (detail.get("name") if isinstance(detail, dict) else None)
    )


def parse_service(record: dict, index: int) -> dict[str, Any]:
    """One valid HSDS service as the Service fields it carries (no id: the
    import matches by name). A field the record leaves out is not in the
    result, so an update changes only what the record says."""
    fields: dict[str, Any] = {"name": _text(record, "name", index, 200)}
    for name, max_length in (
        ("alternate_name", 200),
        ("description", None),
        ("url", None),
        ("email", None),
        ("application_process", None),
        ("fees_description", 200),
        ("eligibility_description", None),
    ):
        if name in record:
            fields[name] = _text(record, name, index, max_length)
    if "status" in record:
        fields["status"] = record["status"]
    if "phones" in record:
        phones = _list(record, "phones")
        fields["phone"] = str(phones[0].get("number") or "") if phones else ""
    codes = [
        str(language["code"]).lower()
        for language in _list(record, "languages")
        if language.get("code")
    ]
    # A list of languages without a code says nothing Sanad can keep (listed as not kept).
    if codes or ("languages" in record and not _list(record, "languages")):
        fields["languages"] = codes
    locations = _list(record, "service_at_locations")
    if locations:
        location = locations[0].get("location")
        location = location if isinstance(location, dict) else {}
        addresses = [a for a in location.get("addresses") or [] if isinstance(a, dict)]
        address = addresses[0] if addresses else {}
        # Whole values: one too long for Sanad is a 400 naming it, never cut short.
        fields.update(
            location_name=str(location.get("name") or ""),
            address=str(address.get("address_1") or ""),
            city=str(address.get("city") or ""),
            postal_code=str(address.get("postal_code") or ""),
            country=str(address.get("country") or ""),
        )
    needed: list[str] = []
    takes_referrals = False
    for attribute in _list(record, "attributes"):
        term = attribute.get("taxonomy_term") or {}
        taxonomy, code = _taxonomy_of(term), term.get("code")
        value = attribute.get("value")
        if taxonomy == CATEGORY_VOCABULARY and code in ServiceCategory.values:
            fields["category"] = code
        elif taxonomy == REFERRAL_VOCABULARY and code == "accepts_referrals":
            takes_referrals = True
            fields["accepts_referrals"] = str(value).lower() != "false"
        elif taxonomy == REFERRAL_VOCABULARY and code == "data_category_needed":
            if value not in DataCategory.values:
                raise InvalidInput(
                    _("Unknown data category: %(category)s.") % {"category": value},
                    code="invalid_choice",
                    field=f"services.{index}.attributes",
                )
            needed.append(value)
    if needed or takes_referrals:
        # Sanad's referral facts travel together: the needed categories are all listed.
        fields["data_categories_needed"] = needed
    return fields


def records_of(document: Any) -> list[Any]:
    """The items of an HSDS page (``contents``), a list, or one object."""
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        records = document["contents"]
    elif isinstance(document, list):
        records = document
    elif isinstance(document, dict):
        records = [document]
    else:
        raise InvalidInput(
            _("Expected HSDS JSON: a page with contents, a list of services or one service."),
            code="invalid",
            field="services",
        )
    if not records:
        raise InvalidInput(_("There is no service to import."), code="required", field="services")
    if len(records) > MAX_IMPORT:
        raise InvalidInput(
            ngettext(
                "At most %(count)d service at a time.",
                "At most %(count)d services at a time.",
                MAX_IMPORT,
            )
            % {"count": MAX_IMPORT},
            code="too_many",
            field="services",
        )
    return records


def parse_services(document: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An HSDS page, list or single service as Service field dicts, and what
    each record carried that Sanad does not keep ([{"item", "fields"}]).

    Every item is first checked against HSDS 3.0's ``service.json``: one
    invalid item, or a document that is not a service (an organization, a
    taxonomy), refuses the whole file with every error (ValidationError,
    ``services.<item>.<path>``), before anything is read."""
    records = records_of(document)
    errors = [error for index, record in enumerate(records) for error in hsds_errors(record, index)]
    if errors:
        _refuse(errors)
    parsed = [parse_service(record, index) for index, record in enumerate(records)]
    lost = [
        {"item": index, "name": parsed[index]["name"], "fields": fields}
        for index, fields in enumerate(not_kept(record) for record in records)
        if fields
    ]
    return parsed, lost
