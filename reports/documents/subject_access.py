"""The subject-access report: the JSON export of ``privacy.services.subject_access``
as a document the person it is about can read, in their language.

The PDF is made from the very dict the JSON download writes, so it holds the
same content: ``subject_access_export`` checks EXPORT_SUBJECT_ACCESS in the
client's agency (404 outside it, 403 without it) and records the export in the
access log — once, as for the JSON. This module only presents it: plain-language
headings per section, the models' own field labels (translated) instead of keys,
choices by their labels, dates in the reader's language and the agency's time
zone, yes/no for booleans, lists joined, agencies and case numbers by name.
Staff members stay references (as in the JSON): the export names no member of
staff. Long sections (notes, history, the access log) are blocks
(``.rows > .row``), which WeasyPrint lays out several times faster than tables.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from accounts.models import AccessLog, Agency, User
from casework.models import (
    BreakGlass,
    Case,
    CaseNote,
    Client,
    ClientSensitive,
    Consent,
    DataCategory,
    Document,
    DoNotDisclose,
    FollowUp,
    IdentityDocument,
    IntegrationPlan,
    PlanAction,
    PlanAgreement,
    PlanGoal,
    ServiceCategory,
)
from config.errors import InvalidInput
from config.http.calendars import date_format, display_of
from config.http.pages import language_name
from privacy.models import Erasure, LegalHold
from privacy.services.subject_access import subject_access_export
from referrals.models import Referral, ReferralEvent, ReferralMessage, ReferralPacket
from reports.pdf import render_pdf

# Bookkeeping that tells the person nothing (it stays in the JSON).
_SKIPPED = frozenset(
    {
        "id",
        "client_id",
        "version",
        "sha256",
        "file",
        "extension",
        "history_id",
        "name_key",
        "name_latin_key",
        "search_text",
        "number_key",
        "updated_at",
        "anonymised_at",
        "key_id",
    }
)

# Fields the models leave without a translated label.
_LABELS = {
    "created_at": gettext_lazy("recorded on"),
    "created_by_id": gettext_lazy("recorded by"),
    "registered_by_id": gettext_lazy("registered by"),
    "withdrawn_by_id": gettext_lazy("withdrawn by"),
    "recorded_at": gettext_lazy("recorded on"),
    "recorded_by_id": gettext_lazy("recorded by"),
    "author_id": gettext_lazy("written by"),
    "uploaded_by_id": gettext_lazy("uploaded by"),
    "uploaded_at": gettext_lazy("uploaded on"),
    "content_type": gettext_lazy("file type"),
    "size": gettext_lazy("size (bytes)"),
    "placed_by_id": gettext_lazy("placed by"),
    "placed_at": gettext_lazy("placed on"),
    "released_by_id": gettext_lazy("released by"),
    "released_at": gettext_lazy("released on"),
    "from_agency_name": gettext_lazy("from"),
    "to_agency_name": gettext_lazy("to"),
    "service_name": gettext_lazy("service"),
    "service_category": gettext_lazy("kind of service"),
    "from_user_id": gettext_lazy("sent by"),
    "override_by_id": gettext_lazy("override decided by"),
    "override_at": gettext_lazy("override decided on"),
    "sent_at": gettext_lazy("sent on"),
    "decided_at": gettext_lazy("answered on"),
    "decided_by_id": gettext_lazy("answered by"),
    "completed_at": gettext_lazy("completed on"),
    "closed_at": gettext_lazy("closed on"),
    "closed_reason": gettext_lazy("why it was closed"),
    "consent_id": gettext_lazy("consent relied on"),
    "receiving_case_id": gettext_lazy("case opened by the partner"),
    "referral_id": gettext_lazy("referral"),
    "data_categories": gettext_lazy("data categories"),
    "data": gettext_lazy("data sent"),
    "done_by_id": gettext_lazy("done by"),
    "user_id": gettext_lazy("staff member"),
    "started_at": gettext_lazy("started on"),
    "expires_at": gettext_lazy("ends on"),
    "body": gettext_lazy("text"),
    "kind": gettext_lazy("kind"),
    "from_state": gettext_lazy("from state"),
    "to_state": gettext_lazy("to state"),
    "actor_id": gettext_lazy("staff member"),
    "actor_agency_id": gettext_lazy("agency"),
    "author_agency_id": gettext_lazy("agency"),
    "note": gettext_lazy("note"),
    "at": gettext_lazy("when"),
    "agency_id": gettext_lazy("agency"),
    "role": gettext_lazy("role"),
    "action": gettext_lazy("what was done"),
    "object_type": gettext_lazy("record"),
    "object_id": gettext_lazy("record id"),
    "case_id": gettext_lazy("case"),
    "route": gettext_lazy("page or address"),
    "ip": gettext_lazy("network address"),
    "user_agent": gettext_lazy("browser or program"),
    "outcome": gettext_lazy("outcome"),
    "cause": gettext_lazy("cause"),
    "erased_by_id": gettext_lazy("erased by"),
    "erased_at": gettext_lazy("erased on"),
    "notified_agencies": gettext_lazy("agencies told"),
    "counts": gettext_lazy("records anonymised"),
    "history_date": gettext_lazy("when"),
    "history_user_id": gettext_lazy("changed by"),
    "history_change_reason": gettext_lazy("reason"),
    "history_type": gettext_lazy("change"),
    "is_restricted": gettext_lazy("restricted"),
}
# List fields whose items are codes of a known vocabulary.
_VOCABULARIES: dict[str, dict[str, Any]] = {
    "data_categories": dict(DataCategory.choices),
    "recipient_service_categories": dict(ServiceCategory.choices),
    "data_categories_needed": dict(DataCategory.choices),
    "vulnerabilities": dict(ClientSensitive.Vulnerability.choices),
}
_HISTORY_TYPES = {
    "+": gettext_lazy("created"),
    "~": gettext_lazy("changed"),
    "-": gettext_lazy("deleted"),
}
# The history sections of the export and the records they are the history of.
_HISTORY_MODELS: dict[str, tuple[type[models.Model], Any]] = {
    "client": (Client, gettext_lazy("Your details")),
    "special_category": (ClientSensitive, gettext_lazy("Sensitive information")),
    "identity_documents": (IdentityDocument, gettext_lazy("Identity document")),
    "cases": (Case, gettext_lazy("Case")),
    "notes": (CaseNote, gettext_lazy("Note")),
    "follow_ups": (FollowUp, gettext_lazy("Follow-up")),
    "documents": (Document, gettext_lazy("Document")),
    "consents": (Consent, gettext_lazy("Consent")),
    "do_not_disclose": (DoNotDisclose, gettext_lazy("Do not disclose")),
    "legal_holds": (LegalHold, gettext_lazy("Legal hold")),
    "plans": (IntegrationPlan, gettext_lazy("Integration plan")),
    "plan_goals": (PlanGoal, gettext_lazy("Goal")),
    "plan_actions": (PlanAction, gettext_lazy("Action")),
    "plan_agreements": (PlanAgreement, gettext_lazy("Agreement to the plan")),
    "referrals": (Referral, gettext_lazy("Referral or message")),
}


def available_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def check_language(value: str | None) -> str:
    """``value`` if it is one of Sanad's interface languages ("" when not given);
    InvalidInput naming ``language`` otherwise."""
    value = (value or "").strip()
    if value and value not in available_languages():
        raise InvalidInput(
            _("Choose one of these languages: %(codes)s.")
            % {"codes": ", ".join(available_languages())},
            code="invalid_language",
            field="language",
        )
    return value


def language_for(client_languages: Iterable[str], agency_languages: Iterable[str]) -> str:
    """The client's first language Sanad's interface speaks; else the agency's; else the default."""
    available = available_languages()
    for code in [*client_languages, *agency_languages]:
        code = str(code).lower()
        for candidate in (code, code.split("-")[0]):
            if candidate in available:
                return candidate
    return settings.LANGUAGE_CODE


class _Presenter:
    """Turns export rows (field attnames → JSON values) into (label, text) pairs
    in the active language."""

    def __init__(self, export: dict, agencies: dict[str, str]):
        self.agencies = agencies
        self.case_numbers = {str(case["id"]): case.get("number", "") for case in export["cases"]}
        purposes = dict(Consent.Purpose.choices)
        self.consents = {
            str(consent["id"]): str(purposes.get(consent["purpose"], consent["purpose"]))
            for consent in export["consents"]
        }
        self._fields: dict[type[models.Model], dict[str, models.Field]] = {}

    def fields_of(self, model: type[models.Model]) -> dict[str, models.Field]:
        if model not in self._fields:
            self._fields[model] = {f.attname: f for f in model._meta.concrete_fields}
        return self._fields[model]

    def label(self, model: type[models.Model] | None, key: str) -> str:
        if key in _LABELS:
            return capfirst(str(_LABELS[key]))
        field = self.fields_of(model).get(key) if model is not None else None
        if (
            field is not None
            and field.verbose_name
            and field.verbose_name != field.name.replace("_", " ")
        ):
            return capfirst(str(field.verbose_name))
        return capfirst(key.removesuffix("_id").replace("_", " "))

    def value(self, model: type[models.Model] | None, key: str, value: Any) -> str:
        field = self.fields_of(model).get(key) if model is not None else None
        if value is None or value == "" or value == [] or value == {}:
            return ""
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if key in _VOCABULARIES and isinstance(value, list):
            return ", ".join(str(_VOCABULARIES[key].get(item, item)) for item in value)
        if key == "nationalities" or key == "issuing_country" or key == "country":
            codes = value if isinstance(value, list) else [value]
            return ", ".join(str(countries.name(code) or code) for code in codes)
        if key in ("languages", "explanation_language", "interpreter_language"):
            codes = value if isinstance(value, list) else [value]
            return ", ".join(str(language_name(code)) for code in codes)
        if key == "history_type":
            return str(_HISTORY_TYPES.get(value, value))
        if key == "notified_agencies" and isinstance(value, list):
            return ", ".join(self.agencies.get(str(item), str(item)) for item in value)
        if field is not None and field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, models.ForeignKey) or key.endswith("_id"):
            return self.reference(field, key, value)
        if isinstance(field, models.DateTimeField) or key in ("at", "history_date"):
            return self.when(value)
        if isinstance(field, models.DateField):
            return self.day(value)
        if isinstance(value, dict):
            return "; ".join(
                f"{self.label(None, str(k))}: {self.value(None, str(k), v)}"
                for k, v in value.items()
                if self.value(None, str(k), v)
            )
        if isinstance(value, list):
            return ", ".join(self.value(None, key, item) for item in value)
        return str(value)

    def reference(self, field: models.Field | None, key: str, value: Any) -> str:
        target = field.related_model if isinstance(field, models.ForeignKey) else None
        value = str(value)
        if target is Agency or key.endswith("agency_id"):
            return self.agencies.get(value, value)
        if target is Case or key in ("case_id", "receiving_case_id"):
            return self.case_numbers.get(value) or value
        if target is Consent or key == "consent_id":
            return self.consents.get(value, value)
        if target is User or key in ("actor_id", "history_user_id", "user_id"):
            # As in the JSON: a member of staff by reference, not by name.
            return _("staff member %(ref)s") % {"ref": value[:8]}
        return value

    @staticmethod
    def when(value: Any) -> str:
        try:
            moment = datetime.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return date_format(moment, "DATETIME_FORMAT")

    @staticmethod
    def day(value: Any) -> str:
        try:
            return date_format(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)

    def packet_facts(self, packet: dict | None) -> list[tuple[str, str]]:
        """What a packet carried: one fact per field of each data category."""
        if not packet:
            return []
        categories = dict(DataCategory.choices)
        pairs = [(self.label(ReferralPacket, "created_at"), self.when(packet.get("created_at")))]
        for category, fields in (packet.get("data") or {}).items():
            heading = str(categories.get(category, category))
            if not isinstance(fields, dict):
                pairs.append((heading, self.value(None, category, fields)))
                continue
            for key, raw in fields.items():
                text = self.value(Client, key, raw)
                if text:
                    pairs.append((f"{heading} — {self.label(Client, key)}", text))
        return pairs

    def facts(
        self, model: type[models.Model] | None, row: dict | None, *, skip: Iterable[str] = ()
    ) -> list[tuple[str, str]]:
        """(label, text) for every field of ``row`` that holds something."""
        if not row:
            return []
        skipped = _SKIPPED | set(skip)
        pairs = []
        for key, raw in row.items():
            if key in skipped:
                continue
            text = self.value(model, key, raw)
            if text:
                pairs.append((self.label(model, key), text))
        return pairs


def _reason(reason: str | None) -> str:
    """Why a change was made, in the active language: a reason Sanad wrote
    ("note added") is a msgid; one a person typed stays as it is."""
    return _(reason) if reason else ""


def _history(presenter: _Presenter, history: dict[str, list[dict]]) -> list[dict]:
    """Every change, oldest first: what was created (its fields) or changed
    (only the fields that changed, from → to), by whom, why."""
    entries = []
    for section, rows in history.items():
        model, what = _HISTORY_MODELS.get(section, (None, section))
        previous: dict[str, dict] = {}
        for record in rows:
            key = str(record.get("id", ""))
            before = previous.get(key)
            changes = []
            for field, value in record.items():
                if field in _SKIPPED or field.startswith("history_"):
                    continue
                if before is None:
                    text = presenter.value(model, field, value)
                    if text:
                        changes.append((presenter.label(model, field), "", text))
                elif before.get(field) != value:
                    changes.append(
                        (
                            presenter.label(model, field),
                            presenter.value(model, field, before.get(field)) or "—",
                            presenter.value(model, field, value) or "—",
                        )
                    )
            previous[key] = record
            if before is not None and not changes and record.get("history_type") == "~":
                continue
            entries.append(
                {
                    "sort": str(record.get("history_date", "")),
                    "at": presenter.when(record.get("history_date")),
                    "what": what,
                    "change": presenter.value(None, "history_type", record.get("history_type")),
                    "by": presenter.value(None, "history_user_id", record.get("history_user_id")),
                    "reason": _reason(record.get("history_change_reason")),
                    "changes": changes,
                }
            )
    entries.sort(key=lambda entry: entry["sort"])
    return entries


def _disclosures(presenter: _Presenter, export: dict) -> list[dict]:
    """To whom the client's data went: recipient, date, categories, lawful basis."""
    bases = {str(c["id"]): c.get("lawful_basis", "") for c in export["consents"]}
    basis_labels = dict(Consent.LawfulBasis.choices)
    rows = []
    for item in export.get("disclosures", []):
        basis = bases.get(str(item.get("consent") or ""), "")
        rows.append(
            {
                "recipient": item.get("to_agency") or "",
                "service": item.get("service") or "",
                "sent_at": presenter.when(item["sent_at"]) if item.get("sent_at") else "",
                "categories": presenter.value(None, "data_categories", item["data_categories"]),
                "basis": str(basis_labels.get(basis, basis)) if basis else "",
                "override_reason": item.get("override_reason") or "",
                "state": str(dict(Referral.State.choices).get(item["state"], item["state"])),
            }
        )
    return rows


def subject_access_context(export: dict, agencies: dict[str, str], agency: Agency | None) -> dict:
    """The template's context in the active language: sections of (label, text) facts."""
    p = _Presenter(export, agencies)
    client = export["client"]
    cases = [
        {
            "number": case.get("number", ""),
            "facts": p.facts(
                Case,
                case,
                skip=(
                    "number",
                    "notes",
                    "follow_ups",
                    "documents",
                    "do_not_disclose",
                    "break_glass",
                    "plan",
                ),
            ),
        }
        for case in export["cases"]
    ]

    def of_plans(key: str, model: type[models.Model]) -> list[dict]:
        return [
            {
                "case": case.get("number", ""),
                "facts": p.facts(model, item, skip=("case_id", "plan_id", "goal_id")),
            }
            for case in export["cases"]
            for item in (case.get("plan") or {}).get(key, [])
        ]

    def of_cases(key: str, model: type[models.Model], skip: tuple[str, ...] = ()) -> list[dict]:
        return [
            {"case": case.get("number", ""), "facts": p.facts(model, item, skip=("case_id", *skip))}
            for case in export["cases"]
            for item in case.get(key, [])
        ]

    referrals = [
        {
            "facts": p.facts(
                Referral,
                referral,
                skip=("messages", "events", "packet", "case_id", "from_agency_id", "to_agency_id"),
            ),
            "case": p.case_numbers.get(str(referral.get("case_id")), ""),
            "packet": p.packet_facts(referral.get("packet")),
            "messages": [
                p.facts(ReferralMessage, m, skip=("referral_id",)) for m in referral["messages"]
            ],
            "events": [
                p.facts(ReferralEvent, e, skip=("referral_id",)) for e in referral["events"]
            ],
        }
        for referral in export.get("referrals", [])
    ]
    received = [
        {
            "from": item.get("from_agency") or "",
            "purpose": item.get("purpose") or "",
            "received_at": p.when(item["received_at"]) if item.get("received_at") else "",
            "packet": p.packet_facts(item.get("packet")),
        }
        for item in export.get("referrals_received", [])
    ]
    return {
        "client": client,
        "client_name": client.get("name", ""),
        "client_latin": client.get("name_latin", ""),
        "agency": agency,
        "agency_facts": p.facts(
            Agency,
            {
                key: getattr(agency, key)
                for key in ("address", "city", "contact_email", "contact_phone", "website")
            }
            if agency
            else None,
        ),
        "exported_at": p.when(export["exported_at"]),
        "client_facts": p.facts(Client, client, skip=("name", "name_latin", "agency_id")),
        "special_category": [p.facts(ClientSensitive, s) for s in export["special_category"]],
        "identity_documents": [p.facts(IdentityDocument, d) for d in export["identity_documents"]],
        "cases": cases,
        "notes": of_cases("notes", CaseNote),
        "follow_ups": of_cases("follow_ups", FollowUp),
        "documents": of_cases("documents", Document),
        "do_not_disclose": of_cases("do_not_disclose", DoNotDisclose),
        "break_glass": of_cases("break_glass", BreakGlass),
        "plan_goals": of_plans("goals", PlanGoal),
        "plan_actions": of_plans("actions", PlanAction),
        "plan_agreements": of_plans("agreements", PlanAgreement),
        "consents": [
            {
                "purpose": str(
                    dict(Consent.Purpose.choices).get(consent["purpose"], consent["purpose"])
                ),
                "withdrawn": bool(consent.get("withdrawn_at")),
                "facts": p.facts(Consent, consent, skip=("purpose", "recipient_agencies")),
                "recipients": [agency["name"] for agency in consent.get("recipient_agencies", [])],
            }
            for consent in export["consents"]
        ],
        "disclosures": _disclosures(p, export),
        "referrals": referrals,
        "referrals_received": received,
        "legal_holds": [p.facts(LegalHold, h) for h in export.get("legal_holds", [])],
        "erasures": [p.facts(Erasure, e) for e in export.get("erasures", [])],
        "access_log": [
            p.facts(AccessLog, entry, skip=("client_id",)) for entry in export.get("access_log", [])
        ],
        "shows_access_log": "access_log" in export,
        "history": _history(p, {**export.get("history", {})}),
        "referral_history": _history(p, {"referrals": export.get("referral_history", [])}),
    }


def _agency_ids(value: Any, key: str = "") -> Iterable[str]:
    """Every agency id the export mentions (to show agencies by name)."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _agency_ids(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _agency_ids(item, key)
    elif value and (key.endswith("agency_id") or key == "notified_agencies"):
        yield str(value)


def subject_access_pdf(
    *, actor: User, client_id: UUID | str, language: str = ""
) -> tuple[bytes, str]:
    """The subject-access report of a client as a PDF and its file name (ids only).
    Needs EXPORT_SUBJECT_ACCESS in the client's agency (NotFound outside it,
    Forbidden without it); ``language`` is one of Sanad's languages (InvalidInput
    otherwise) and defaults to the client's first language Sanad speaks.
    Recorded as an export in the access log (by ``subject_access_export``)."""
    language = check_language(language)
    export = subject_access_export(actor, client_id)
    ids = set(_agency_ids(export))
    agencies = dict(Agency.objects.filter(pk__in=ids).values_list("pk", "name"))
    agencies = {str(pk): name for pk, name in agencies.items()}
    agency = Agency.objects.filter(pk=export["client"].get("agency_id")).first()
    language = language or language_for(
        export["client"].get("languages") or [], agency.languages if agency else []
    )
    zone = zoneinfo.ZoneInfo(agency.time_zone if agency else settings.TIME_ZONE)
    with translation.override(language), timezone.override(zone), display_of(actor):
        context = subject_access_context(export, agencies, agency)
    content = render_pdf("reports/subject_access.html", context, user=actor, language=language)
    return content, f"subject-access-{export['client']['id']}.pdf"
