"""The sections of a client's file (``DataCategory``) as exact field lists.

Referral packets, and later exports and subject-access reports, are built
from these and nothing else: a section's fields are listed here once, so what
a consent covers is exactly what leaves the agency. Every section is a plain
JSON-ready dict; a field that is empty is still present (the recipient sees
that it is empty, not that it was withheld).
"""

from collections.abc import Callable
from typing import Any

from casework.models import (
    SPECIAL_CATEGORIES,
    Case,
    CaseNote,
    Client,
    ClientSensitive,
    DataCategory,
    Document,
    IdentityDocument,
    PlanAction,
)

IDENTITY_FIELDS = (
    "name",
    "name_latin",
    "preferred_name",
    "date_of_birth",
    "date_of_birth_estimated",
    "sex",
    "gender_identity",
    "nationalities",
    "languages",
    "interpreter_needed",
    "interpreter_language",
    "identity_documents",
)
IDENTITY_DOCUMENT_FIELDS = ("type", "number", "issuing_country", "expires_on")
CONTACT_FIELDS = ("phone", "email", "address", "city")
LEGAL_STATUS_FIELDS = ("legal_status", "legal_status_note")
HEALTH_FIELDS = (
    "health",
    "disability",
    "protection_concerns",
    "ethnicity",
    "religion",
    "sexual_orientation",
    "vulnerabilities",
)
FAMILY_FIELDS = ("family_situation", "dependants")
EDUCATION_EMPLOYMENT_FIELDS = ("education", "employment")
CASE_NOTES_FIELDS = ("notes",)
CASE_NOTE_FIELDS = ("kind", "body", "created_at")
DOCUMENTS_FIELDS = ("documents",)
INTEGRATION_PLAN_FIELDS = ("actions",)
# A referred action as the partner reads it: never the rest of the plan.
PLAN_ACTION_FIELDS = ("id", "goal_domain", "description", "due_on", "status")
DOCUMENT_FIELDS = (
    "id",
    "category",
    "description",
    "filename",
    "content_type",
    "size",
    "sha256",
    "uploaded_at",
)

# The sections whose fields are columns of the client record itself, and
# those columns: what registering, editing and the API take for a client
# (identity documents and the special-category section are written apart).
CLIENT_SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    DataCategory.IDENTITY: tuple(name for name in IDENTITY_FIELDS if name != "identity_documents"),
    DataCategory.CONTACT: CONTACT_FIELDS,
    DataCategory.LEGAL_STATUS: LEGAL_STATUS_FIELDS,
    DataCategory.FAMILY: FAMILY_FIELDS,
    DataCategory.EDUCATION_EMPLOYMENT: EDUCATION_EMPLOYMENT_FIELDS,
}
CLIENT_FIELDS: tuple[str, ...] = tuple(
    name for names in CLIENT_SECTION_FIELDS.values() for name in names
)
# The client's special-category section (``ClientSensitive``).
SENSITIVE_FIELDS = HEALTH_FIELDS

SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    DataCategory.IDENTITY: IDENTITY_FIELDS,
    DataCategory.CONTACT: CONTACT_FIELDS,
    DataCategory.LEGAL_STATUS: LEGAL_STATUS_FIELDS,
    DataCategory.HEALTH: HEALTH_FIELDS,
    DataCategory.FAMILY: FAMILY_FIELDS,
    DataCategory.EDUCATION_EMPLOYMENT: EDUCATION_EMPLOYMENT_FIELDS,
    DataCategory.CASE_NOTES: CASE_NOTES_FIELDS,
    DataCategory.DOCUMENTS: DOCUMENTS_FIELDS,
    DataCategory.INTEGRATION_PLAN: INTEGRATION_PLAN_FIELDS,
}


def _json(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(item) for item in value]
    return value


def _fields(instance, names) -> dict[str, Any]:
    return {name: _json(getattr(instance, name)) for name in names}


def _identity(client: Client, case: Case, categories: frozenset[str], referred) -> dict[str, Any]:
    section = _fields(client, CLIENT_SECTION_FIELDS[DataCategory.IDENTITY])
    section["identity_documents"] = [
        _fields(document, IDENTITY_DOCUMENT_FIELDS)
        for document in IdentityDocument.objects.filter(client=client).order_by("type", "pk")
    ]
    return section


def _health(client: Client, case: Case, categories: frozenset[str], referred) -> dict[str, Any]:
    sensitive = ClientSensitive.objects.filter(client=client).first()
    if sensitive is None:
        return {name: [] if name == "vulnerabilities" else "" for name in HEALTH_FIELDS}
    return _fields(sensitive, HEALTH_FIELDS)


def _case_notes(client: Client, case: Case, categories: frozenset[str], referred) -> dict[str, Any]:
    # Confidential notes stay with their author and supervisors: never shared.
    notes = CaseNote.objects.filter(case=case, is_confidential=False).order_by("created_at", "pk")
    return {"notes": [_fields(note, CASE_NOTE_FIELDS) for note in notes]}


def _documents(client: Client, case: Case, categories: frozenset[str], referred) -> dict[str, Any]:
    # Medical and other sensitive documents go only with the health section.
    shares_health = bool(categories & SPECIAL_CATEGORIES)
    rows = []
    for document in Document.objects.filter(case=case).order_by("uploaded_at", "pk"):
        if document.is_sensitive and not shares_health:
            continue
        rows.append(
            {
                "id": str(document.pk),
                "category": document.category,
                "description": document.description,
                # Not the sender's download name: that carries their case number.
                "filename": f"document-{str(document.pk)[:8]}.{document.extension}",
                "content_type": document.content_type,
                "size": document.size,
                "sha256": document.sha256,
                "uploaded_at": document.uploaded_at.isoformat(),
            }
        )
    return {"documents": rows}


def _integration_plan(
    client: Client, case: Case, categories: frozenset[str], referred
) -> dict[str, Any]:
    # Only the actions this referral carries out; a goal about health goes
    # only with the health section.
    shares_health = bool(categories & SPECIAL_CATEGORIES)
    rows = []
    actions = PlanAction.objects.filter(case=case, pk__in=list(referred)).select_related("goal")
    for action in actions.order_by("created_at", "pk"):
        if action.goal.is_special_category and not shares_health:
            continue
        rows.append(
            {
                "id": str(action.pk),
                "goal_domain": action.goal.domain,
                "description": action.description,
                "due_on": _json(action.due_on),
                "status": action.status,
            }
        )
    return {"actions": rows}


def _plain(names: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
    def build(client: Client, case: Case, categories: frozenset[str], referred) -> dict[str, Any]:
        return _fields(client, names)

    return build


_BUILDERS = {
    DataCategory.IDENTITY: _identity,
    DataCategory.CONTACT: _plain(CONTACT_FIELDS),
    DataCategory.LEGAL_STATUS: _plain(LEGAL_STATUS_FIELDS),
    DataCategory.HEALTH: _health,
    DataCategory.FAMILY: _plain(FAMILY_FIELDS),
    DataCategory.EDUCATION_EMPLOYMENT: _plain(EDUCATION_EMPLOYMENT_FIELDS),
    DataCategory.CASE_NOTES: _case_notes,
    DataCategory.DOCUMENTS: _documents,
    DataCategory.INTEGRATION_PLAN: _integration_plan,
}


def sections_of(case: Case, categories, *, plan_actions=()) -> dict[str, dict[str, Any]]:
    """{category: {field: value}} for exactly ``categories`` of the case's
    client (and, for notes and documents, of the case; for the integration
    plan, of the ``plan_actions`` ids a referral carries out). A system read:
    the caller has already checked what the actor may disclose."""
    chosen = frozenset(str(category) for category in categories)
    unknown = chosen - set(DataCategory.values)
    if unknown:
        raise ValueError(f"Unknown data categories: {sorted(unknown)}")
    client = case.client
    return {
        category: _BUILDERS[category](client, case, chosen, plan_actions)
        for category in DataCategory.values
        if category in chosen
    }
