"""The subject-access export: everything Sanad holds about one client, as
JSON-ready data — casework's records, privacy's legal holds and erasures,
the referrals (packets sent and to whom, messages, timelines, disclosures),
the history of all of it and the access-log rows about the client. A read,
but an audited export."""

from typing import Any
from uuid import UUID

from django.db.models import Model, QuerySet
from django.utils import timezone

from accounts.access import Action, record_access
from accounts.models import AccessLog, User
from accounts.permissions import Perm
from casework.models import (
    BreakGlass,
    Case,
    CaseGroupObjectPermission,
    CaseNote,
    CaseUserObjectPermission,
    Client,
    ClientGroupObjectPermission,
    ClientSensitive,
    ClientUserObjectPermission,
    Consent,
    Document,
    DoNotDisclose,
    FollowUp,
    IdentityDocument,
    ImportRow,
    IntegrationPlan,
    PlanAction,
    PlanAgreement,
    PlanGoal,
)
from privacy.models import Erasure, LegalHold
from privacy.selectors.records import get_client_for_protection
from referrals.models import (
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralMessage,
    ReferralPacket,
    ReferralUserObjectPermission,
)


def _label(model: type[Model]) -> str:
    return model._meta.label_lower


def _history_label(model: type[Model]) -> str:
    return model.history.model._meta.label_lower


# Where each model that holds something about a client appears in the export
# (tests/privacy/test_protection.py walks the model graph and fails when a
# model linking to a client is in neither map).
SUBJECT_ACCESS_SECTIONS: dict[str, str] = {
    _label(Client): "client",
    _label(ClientSensitive): "special_category",
    _label(IdentityDocument): "identity_documents",
    _label(Case): "cases",
    _label(CaseNote): "cases.notes",
    _label(FollowUp): "cases.follow_ups",
    _label(Document): "cases.documents",
    _label(DoNotDisclose): "cases.do_not_disclose",
    _label(BreakGlass): "cases.break_glass",
    _label(IntegrationPlan): "cases.plan",
    _label(PlanGoal): "cases.plan.goals",
    _label(PlanAction): "cases.plan.actions",
    _label(PlanAgreement): "cases.plan.agreements",
    _label(Consent): "consents",
    _label(Consent.recipient_agencies.through): "consents.recipient_agencies",
    _label(LegalHold): "legal_holds",
    _label(ImportRow): "imports",
    _label(ImportRow.cases.through): "imports",
    _label(ImportRow.documents.through): "imports",
    _history_label(Client): "history.client",
    _history_label(ClientSensitive): "history.special_category",
    _history_label(IdentityDocument): "history.identity_documents",
    _history_label(Case): "history.cases",
    _history_label(CaseNote): "history.notes",
    _history_label(FollowUp): "history.follow_ups",
    _history_label(Document): "history.documents",
    _history_label(Consent): "history.consents",
    _history_label(DoNotDisclose): "history.do_not_disclose",
    _history_label(LegalHold): "history.legal_holds",
    _history_label(IntegrationPlan): "history.plans",
    _history_label(PlanGoal): "history.plan_goals",
    _history_label(PlanAction): "history.plan_actions",
    _history_label(PlanAgreement): "history.plan_agreements",
    _label(Referral): "referrals",
    _label(ReferralPacket): "referrals.packet",
    _label(ReferralMessage): "referrals.messages",
    _label(ReferralEvent): "referrals.events",
    _history_label(Referral): "referral_history",
    _history_label(ReferralMessage): "referral_history",
}
# Linked to a client but holding nothing about the person.
SUBJECT_ACCESS_NOT_PERSONAL: dict[str, str] = {
    _label(CaseUserObjectPermission): "who may open the case (permission bookkeeping)",
    _label(CaseGroupObjectPermission): "who may open the case (permission bookkeeping)",
    _label(ClientUserObjectPermission): "who may open the client (permission bookkeeping)",
    _label(ClientGroupObjectPermission): "who may open the client (permission bookkeeping)",
    _label(ReferralUserObjectPermission): "who may read the referral",
    _label(ReferralGroupObjectPermission): "who may read the referral",
}


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def row(instance: Model, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every stored field of ``instance`` as JSON-ready values (ids for links)."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        value = getattr(instance, field.attname)
        if hasattr(value, "name") and hasattr(value, "storage"):  # a file: its name only
            value = value.name
        data[field.attname] = _plain(value)
    return data


def history_rows(model: type[Model], records: QuerySet) -> list[dict[str, Any]]:
    """Every history row of ``records`` (a queryset of ``model``), oldest first."""
    history = getattr(model, "history", None)
    if history is None:
        return []
    pk = model._meta.pk.attname
    ids = list(records.values_list("pk", flat=True))
    rows = history.model.objects.filter(**{f"{pk}__in": ids}).order_by("history_date")
    return [row(item) for item in rows]


def _referral_sections(case_ids: list) -> dict[str, Any]:
    """The client's referrals with their packets, messages and timelines, and
    the disclosures they made: to whom, when, what, on which basis."""
    referrals = list(
        Referral.objects.filter(case_id__in=case_ids)
        .select_related("packet")
        .order_by("created_at")
    )
    sections = []
    disclosures = []
    for referral in referrals:
        packet = getattr(referral, "packet", None)
        sections.append(
            {
                **row(referral),
                "packet": row(packet) if packet is not None else None,
                "messages": [row(m) for m in ReferralMessage.objects.filter(referral=referral)],
                "events": [row(e) for e in ReferralEvent.objects.filter(referral=referral)],
            }
        )
        if packet is not None:
            disclosures.append(
                {
                    "referral": str(referral.pk),
                    "to_agency": referral.to_agency_name,
                    "to_agency_id": str(referral.to_agency_id),
                    "service": referral.service_name,
                    "sent_at": referral.sent_at.isoformat() if referral.sent_at else None,
                    "data_categories": list(packet.data_categories),
                    "consent": str(referral.consent_id) if referral.consent_id else None,
                    "override_reason": referral.override_reason,
                    "state": referral.state,
                }
            )
    received = Referral.objects.filter(receiving_case_id__in=case_ids).select_related("packet")
    return {
        "referrals": sections,
        # Referrals through which this client came to the agency: the packet received.
        "referrals_received": [
            {
                "referral": str(referral.pk),
                "from_agency": referral.from_agency_name,
                "purpose": referral.purpose,
                "received_at": referral.sent_at.isoformat() if referral.sent_at else None,
                "packet": row(referral.packet) if hasattr(referral, "packet") else None,
            }
            for referral in received
        ],
        "disclosures": disclosures,
        "referral_history": history_rows(Referral, Referral.objects.filter(case_id__in=case_ids))
        + history_rows(
            ReferralMessage, ReferralMessage.objects.filter(referral__case_id__in=case_ids)
        ),
    }


def _plan_section(case: Case) -> dict[str, Any] | None:
    """The case's integration plan: goals (in the client's words too), actions
    and every record of the client's agreement."""
    plan = IntegrationPlan.objects.filter(case=case).first()
    if plan is None:
        return None
    return {
        **row(plan),
        "goals": [row(g) for g in PlanGoal.objects.filter(plan=plan).order_by("created_at")],
        "actions": [row(a) for a in PlanAction.objects.filter(case=case).order_by("created_at")],
        "agreements": [
            row(a) for a in PlanAgreement.objects.filter(plan=plan).order_by("recorded_at")
        ],
    }


def subject_access_export(actor: User, client_id: UUID | str) -> dict[str, Any]:
    """Everything Sanad holds about one client, as JSON-ready data: the client
    and special-category section, identity documents, cases with notes,
    follow-ups, documents (metadata), do-not-disclose entries, consents
    (withdrawn ones too), legal holds, emergency accesses, referrals with the
    packets sent and to whom, messages and timelines, every disclosure, the
    history of all of it, and the access-log rows about the client.
    Needs EXPORT_SUBJECT_ACCESS in the client's agency (DPO, supervisor);
    recorded as an export in the access log."""
    client = get_client_for_protection(actor, client_id, Perm.EXPORT_SUBJECT_ACCESS)
    cases = list(Case.objects.filter(client=client).order_by("opened_at"))
    case_ids = [case.pk for case in cases]
    export: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "client": row(client, exclude=("search_text", "name_key", "name_latin_key")),
        "special_category": [row(s) for s in ClientSensitive.objects.filter(client=client)],
        "identity_documents": [
            row(d, exclude=("number_key",)) for d in IdentityDocument.objects.filter(client=client)
        ],
        "cases": [],
        "consents": [],
        "legal_holds": [row(h) for h in LegalHold.objects.filter(client=client)],
        "erasures": [row(e) for e in Erasure.objects.filter(client_id=client.pk)],
        # The spreadsheet rows the client was brought in (or added to) from.
        "imports": [
            {
                # Not its candidates: other people's ids.
                **row(import_row, exclude=("candidates",)),
                "file_name": import_row.client_import.file_name,
                "imported_at": _plain(import_row.client_import.imported_at),
                "cases": [str(pk) for pk in import_row.cases.values_list("pk", flat=True)],
                "documents": [str(pk) for pk in import_row.documents.values_list("pk", flat=True)],
            }
            for import_row in ImportRow.objects.filter(client=client).select_related(
                "client_import"
            )
        ],
    }
    for case in cases:
        export["cases"].append(
            {
                **row(case),
                "notes": [row(n) for n in CaseNote.objects.filter(case=case)],
                "follow_ups": [row(f) for f in FollowUp.objects.filter(case=case)],
                "documents": [row(d) for d in Document.objects.filter(case=case)],
                "do_not_disclose": [row(d) for d in DoNotDisclose.objects.filter(case=case)],
                "break_glass": [row(b) for b in BreakGlass.objects.filter(case=case)],
                "plan": _plan_section(case),
            }
        )
    for consent in Consent.objects.filter(client=client).prefetch_related("recipient_agencies"):
        export["consents"].append(
            {
                **row(consent),
                "recipient_agencies": [
                    {"id": str(agency.pk), "name": agency.name}
                    for agency in consent.recipient_agencies.all()
                ],
            }
        )
    export.update(_referral_sections(case_ids))
    notes = CaseNote.objects.filter(case_id__in=case_ids)
    export["history"] = {
        "client": history_rows(Client, Client.objects.filter(pk=client.pk)),
        "special_category": history_rows(
            ClientSensitive, ClientSensitive.objects.filter(client=client)
        ),
        "identity_documents": history_rows(
            IdentityDocument, IdentityDocument.objects.filter(client=client)
        ),
        "cases": history_rows(Case, Case.objects.filter(pk__in=case_ids)),
        "notes": history_rows(CaseNote, notes),
        "follow_ups": history_rows(FollowUp, FollowUp.objects.filter(case_id__in=case_ids)),
        "documents": history_rows(Document, Document.objects.filter(case_id__in=case_ids)),
        "consents": history_rows(Consent, Consent.objects.filter(client=client)),
        "do_not_disclose": history_rows(
            DoNotDisclose, DoNotDisclose.objects.filter(case_id__in=case_ids)
        ),
        "legal_holds": history_rows(LegalHold, LegalHold.objects.filter(client=client)),
        "plans": history_rows(
            IntegrationPlan, IntegrationPlan.objects.filter(case_id__in=case_ids)
        ),
        "plan_goals": history_rows(PlanGoal, PlanGoal.objects.filter(case_id__in=case_ids)),
        "plan_actions": history_rows(PlanAction, PlanAction.objects.filter(case_id__in=case_ids)),
        "plan_agreements": history_rows(
            PlanAgreement, PlanAgreement.objects.filter(case_id__in=case_ids)
        ),
    }
    export["access_log"] = [
        row(entry, exclude=("prev_hash", "hash", "chain", "seq"))
        for entry in AccessLog.objects.filter(client_id=client.pk).order_by("at", "id")
    ]
    record_access(actor, Action.EXPORT, client)
    return export
