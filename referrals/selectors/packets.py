"""A frozen packet's sections as people read them: the page, the inbox's
summary and the referral letter (``reports``) show the same fields, labelled
as casework labels them and in the reader's language (called per request:
labels translate at call time)."""

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django_countries import countries

from casework.models import (
    CaseNote,
    Client,
    ClientSensitive,
    DataCategory,
    Document,
    IdentityDocument,
    PlanAction,
    PlanDomain,
)
from casework.models.clients import LegalStatus, Sex
from casework.sections import SECTION_FIELDS
from config.http.pages import language_name

# The model each section's fields come from (their verbose names label them).
_SECTION_MODELS = {
    DataCategory.HEALTH: ClientSensitive,
    DataCategory.CASE_NOTES: CaseNote,
    DataCategory.DOCUMENTS: Document,
}
_LIST_FIELDS = {
    "identity_documents": IdentityDocument,
    "notes": CaseNote,
    "documents": Document,
    "actions": PlanAction,
}
_CHOICES = {
    "sex": dict(Sex.choices),
    "legal_status": dict(LegalStatus.choices),
    "vulnerabilities": dict(ClientSensitive.Vulnerability.choices),
}


def _field_label(category: str, name: str) -> str:
    if name in _LIST_FIELDS:
        return capfirst(_LIST_FIELDS[name]._meta.verbose_name_plural)
    model = _SECTION_MODELS.get(category, Client)
    return capfirst(model._meta.get_field(name).verbose_name)


def _shown(name: str, value):
    """A packet value as the page shows it: (kind, value)."""
    if isinstance(value, bool):
        return "text", _("Yes") if value else _("No")
    if value in (None, "", []):
        return "text", ""
    if name == "nationalities":
        return "text", ", ".join(str(countries.name(code) or code) for code in value)
    if name == "languages":
        return "text", ", ".join(str(language_name(code)) for code in value)
    if name in _CHOICES and isinstance(value, list):
        return "text", ", ".join(str(_CHOICES[name].get(item, item)) for item in value)
    if name in _CHOICES:
        return "text", _CHOICES[name].get(value, value)
    return "text", value


def _identity_documents(rows) -> list[dict]:
    types = dict(IdentityDocument.Type.choices)
    return [
        {
            "type": types.get(row.get("type"), row.get("type")),
            "number": row.get("number", ""),
            "issuing_country": countries.name(row.get("issuing_country") or "")
            or row.get("issuing_country", ""),
            "expires_on": row.get("expires_on") or "",
        }
        for row in rows
    ]


def _notes(rows) -> list[dict]:
    kinds = dict(CaseNote.Kind.choices)
    return [
        {
            "kind": kinds.get(row.get("kind"), row.get("kind")),
            "body": row.get("body", ""),
            # Shown with |local_time: in the reader's zone, with the zone.
            "created_at": row.get("created_at") or "",
        }
        for row in rows
    ]


def _documents(rows) -> list[dict]:
    categories = dict(Document.Category.choices)
    return [
        {
            "category": categories.get(row.get("category"), row.get("category")),
            "description": row.get("description", ""),
            "filename": row.get("filename", ""),
            "size": row.get("size") or 0,
            "uploaded_at": (row.get("uploaded_at") or "")[:10],
        }
        for row in rows
    ]


def _plan_actions(rows) -> list[dict]:
    domains = dict(PlanDomain.choices)
    statuses = dict(PlanAction.Status.choices)
    return [
        {
            "goal_domain": domains.get(row.get("goal_domain"), row.get("goal_domain")),
            "description": row.get("description", ""),
            "due_on": row.get("due_on") or "",
            "status": statuses.get(row.get("status"), row.get("status")),
        }
        for row in rows
    ]


_LIST_BUILDERS = {
    "identity_documents": _identity_documents,
    "notes": _notes,
    "documents": _documents,
    "actions": _plan_actions,
}


def packet_sections(data: dict) -> list[dict]:
    """The packet's sections in the order of ``DataCategory``, each with
    exactly the fields ``casework.sections.SECTION_FIELDS`` lists for it."""
    labels = dict(DataCategory.choices)
    sections = []
    for category in DataCategory.values:
        if category not in data:
            continue
        values = data[category] or {}
        fields = []
        for name in SECTION_FIELDS[category]:
            value = values.get(name)
            if name in _LIST_BUILDERS:
                fields.append(
                    {
                        "name": name,
                        "label": _field_label(category, name),
                        "kind": name,
                        "rows": _LIST_BUILDERS[name](value or []),
                    }
                )
                continue
            kind, shown = _shown(name, value)
            fields.append(
                {"name": name, "label": _field_label(category, name), "kind": kind, "value": shown}
            )
        sections.append({"category": category, "label": labels[category], "fields": fields})
    return sections
