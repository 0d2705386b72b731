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

import uuid
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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


def _text_schema(max_length: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "nullable": True}
    if max_length:
        schema["maxLength"] = max_length
    return schema


_OBJECTS = {"type": "array", "nullable": True, "items": {"type": "object"}}

# What ``parse_services`` reads, for the OpenAPI schema of the import: the
# fields it takes; any other HSDS field is ignored.
SERVICE_IMPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK},
        "alternate_name": _text_schema(200),
        "description": _text_schema(),
        "url": _text_schema(),
        "email": _text_schema(),
        "status": {"type": "string", "nullable": True, "enum": ["", *Service.Status.values]},
        "application_process": _text_schema(),
        "fees_description": _text_schema(200),
        "eligibility_description": _text_schema(),
        "phones": _OBJECTS,
        "languages": _OBJECTS,
        "service_at_locations": _OBJECTS,
        "attributes": _OBJECTS,
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


def _list(record: dict, name: str, index: int) -> list:
    value = record.get(name) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidInput(
            _("Expected a list of objects."), code="invalid", field=f"services.{index}.{name}"
        )
    return value


def parse_service(record: Any, index: int) -> dict[str, Any]:
    """One HSDS service object as Service fields (no id: import matches by name)."""
    if not isinstance(record, dict):
        raise InvalidInput(
            _("Expected an object with fields."), code="invalid", field=f"services.{index}"
        )
    name = _text(record, "name", index, 200)
    if not name:
        raise InvalidInput(
            _("This field is required."), code="required", field=f"services.{index}.name"
        )
    status = record.get("status") or Service.Status.ACTIVE
    if status not in Service.Status.values:
        raise InvalidInput(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Service.Status.values)},
            code="invalid_choice",
            field=f"services.{index}.status",
        )
    fields: dict[str, Any] = {
        "name": name,
        "alternate_name": _text(record, "alternate_name", index, 200),
        "description": _text(record, "description", index),
        "url": _text(record, "url", index),
        "email": _text(record, "email", index),
        "status": status,
        "application_process": _text(record, "application_process", index),
        "fees_description": _text(record, "fees_description", index, 200),
        "eligibility_description": _text(record, "eligibility_description", index),
    }
    phones = _list(record, "phones", index)
    fields["phone"] = str(phones[0].get("number") or "")[:40] if phones else ""
    fields["languages"] = [
        str(language.get("code") or "").lower()
        for language in _list(record, "languages", index)
        if language.get("code")
    ]
    locations = _list(record, "service_at_locations", index)
    if locations:
        location = locations[0].get("location")
        if not isinstance(location, dict):
            location = {}
        addresses = location.get("addresses")
        address = addresses[0] if isinstance(addresses, list) and addresses else {}
        if not isinstance(address, dict):
            address = {}
        fields.update(
            location_name=str(location.get("name") or "")[:200],
            address=str(address.get("address_1") or "")[:200],
            city=str(address.get("city") or "")[:100],
            postal_code=str(address.get("postal_code") or "")[:20],
            country=str(address.get("country") or "")[:2],
        )
    category = ServiceCategory.OTHER
    accepts = True
    needed: list[str] = []
    for attribute in _list(record, "attributes", index):
        term = attribute.get("taxonomy_term") or {}
        if not isinstance(term, dict):
            continue
        # HSDS 3.0 names the taxonomy; Sanad's exports before it said "vocabulary".
        vocabulary = term.get("taxonomy") or term.get("vocabulary")
        code = term.get("code")
        value = attribute.get("value")
        if vocabulary == CATEGORY_VOCABULARY and code in ServiceCategory.values:
            category = code
        elif vocabulary == REFERRAL_VOCABULARY and code == "accepts_referrals":
            accepts = str(value).lower() != "false"
        elif vocabulary == REFERRAL_VOCABULARY and code == "data_category_needed":
            if value not in DataCategory.values:
                raise InvalidInput(
                    _("Unknown data category: %(category)s.") % {"category": value},
                    code="invalid_choice",
                    field=f"services.{index}.attributes",
                )
            needed.append(value)
    fields.update(category=category, accepts_referrals=accepts, data_categories_needed=needed)
    return fields


def parse_services(document: Any) -> list[dict[str, Any]]:
    """An HSDS page, list or single service as a list of Service field dicts."""
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        records = document["contents"]
    elif isinstance(document, list):
        records = document
    elif isinstance(document, dict) and "name" in document:
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
    return [parse_service(record, index) for index, record in enumerate(records)]
