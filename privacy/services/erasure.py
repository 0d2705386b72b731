"""Erasure: replace a client's personal data with placeholders everywhere
Sanad holds it — the live rows, their history rows (values and change
reasons), files (the uploaded spreadsheets of imports that held the client
included), and what referrals hold about the client's cases (texts,
packets, messages, timelines) — and keep what statistics need (case type,
status, dates, closure reason, risk, nationality, sex, legal status). At the
client's request (``erase_client``) or when a retention period is over
(``privacy.services.retention``).
"""

from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import Action, record_access
from accounts.models import User
from accounts.permissions import Perm, Role
from accounts.selectors import active_members_in_roles
from accounts.services.notifications import notify_users
from accounts.tracking import untracked
from casework.models import (
    BreakGlass,
    Case,
    CaseNote,
    Client,
    ClientSensitive,
    Consent,
    Document,
    DoNotDisclose,
    FollowUp,
    IdentityDocument,
    PlanAction,
    PlanAgreement,
    PlanGoal,
)
from casework.names import name_key, search_text
from casework.services.common import require_text
from casework.services.imports import forget_client_in_imports
from config.errors import Conflict
from privacy.models import Erasure, LegalHold
from privacy.selectors.data_protection import active_legal_holds
from privacy.selectors.records import get_client_for_protection
from privacy.services.legal_holds import LegalHoldActive
from referrals.models import Referral, ReferralEvent, ReferralMessage, ReferralPacket

ERASED = "[erased]"

_CLIENT_ERASED = {
    "name": ERASED,
    "name_latin": "",
    "preferred_name": "",
    "date_of_birth": None,
    "date_of_birth_estimated": False,
    "gender_identity": "",
    "interpreter_language": "",
    "phone": "",
    "email": "",
    "address": "",
    "city": "",
    "legal_status_note": "",
    "family_situation": "",
    "education": "",
    "employment": "",
}
_SENSITIVE_ERASED = {
    "health": "",
    "disability": "",
    "protection_concerns": "",
    "ethnicity": "",
    "religion": "",
    "sexual_orientation": "",
    "vulnerabilities": [],
}


def scrub(model: type[Model], ids: list, values: dict[str, Any]) -> int:
    """Replace ``values`` in the rows ``ids`` of ``model`` AND in every history
    row of them, blanking the history's change reasons too (a reason may name
    the person). The live rows were saved through their service first.
    Returns how many live rows changed. No permission check: an erasure step."""
    count = 0
    with untracked():
        if values:
            count = model._base_manager.filter(pk__in=ids).update(**values)
        history = getattr(model, "history", None)
        if history is not None:
            historical = history.model
            fields = {f.name for f in historical._meta.fields}
            update = {name: value for name, value in values.items() if name in fields}
            update["history_change_reason"] = ""
            historical.objects.filter(**{f"{model._meta.pk.attname}__in": ids}).update(**update)
    return count


def _erase_cases(case_ids: list) -> dict[str, int]:
    """Remove the free text of these cases (summary, notes, follow-ups,
    documents and their files, do-not-disclose names, hold and emergency
    reasons), keeping what statistics need."""
    counts: dict[str, int] = {}
    counts["cases"] = scrub(Case, case_ids, {"summary": "", "anonymised_at": timezone.now()})
    note_ids = list(CaseNote.objects.filter(case_id__in=case_ids).values_list("pk", flat=True))
    counts["notes"] = scrub(CaseNote, note_ids, {"body": ERASED})
    follow_ups = list(FollowUp.objects.filter(case_id__in=case_ids).values_list("pk", flat=True))
    counts["follow_ups"] = scrub(FollowUp, follow_ups, {"title": ERASED})
    documents = list(Document.objects.filter(case_id__in=case_ids))
    for document in documents:
        if document.file:
            document.file.storage.delete(document.file.name)
    counts["documents"] = scrub(
        Document,
        [document.pk for document in documents],
        {"description": "", "file": "", "sha256": "", "extension": ""},
    )
    entries = DoNotDisclose.objects.filter(case_id__in=case_ids)
    named = list(entries.exclude(person_name="").values_list("pk", flat=True))
    scrub(DoNotDisclose, named, {"person_name": ERASED, "reason": ""})
    scrub(
        DoNotDisclose,
        list(entries.filter(person_name="").values_list("pk", flat=True)),
        {"reason": ""},
    )
    holds = list(LegalHold.objects.filter(case_id__in=case_ids).values_list("pk", flat=True))
    scrub(LegalHold, holds, {"reason": ERASED})
    BreakGlass.objects.filter(case_id__in=case_ids).update(reason=ERASED)
    # The integration plan: the goals in the client's words and the agency's,
    # what each action was and why it moved; domains, dates and statuses stay.
    goals = list(PlanGoal.objects.filter(case_id__in=case_ids).values_list("pk", flat=True))
    counts["plan_goals"] = scrub(
        PlanGoal, goals, {"statement": ERASED, "statement_client": "", "status_reason": ""}
    )
    actions = list(PlanAction.objects.filter(case_id__in=case_ids).values_list("pk", flat=True))
    counts["plan_actions"] = scrub(
        PlanAction, actions, {"description": ERASED, "status_reason": ""}
    )
    agreements = (
        PlanAgreement.objects.filter(case_id__in=case_ids)
        .exclude(reason="")
        .values_list("pk", flat=True)
    )
    scrub(PlanAgreement, list(agreements), {"reason": ERASED})
    return counts


def _erase_referrals(case_ids: list, *, whole_client: bool) -> list[UUID]:
    """Replace the personal data of these cases' referrals (their texts, the
    packets' contents, the messages, the timeline notes) in the rows and their
    history. On a whole erasure, the agencies that received a packet are told
    (without naming the client) and their ids returned."""
    referrals = list(Referral.objects.filter(case_id__in=case_ids))
    ids = [referral.pk for referral in referrals]
    for referral in referrals:
        values = {"purpose": ERASED, "message": "", "outcome": "", "closed_reason": ""}
        if referral.decline_reason:
            values["decline_reason"] = ERASED
        if referral.override_reason:
            values["override_reason"] = ERASED
        if referral.outcome:
            values["outcome"] = ERASED
        scrub(Referral, [referral.pk], values)
    empty = ReferralPacket.digest({})
    ReferralPacket._base_manager.filter(referral_id__in=ids).update(data={}, sha256=empty)
    messages = list(
        ReferralMessage.objects.filter(referral_id__in=ids).values_list("pk", flat=True)
    )
    scrub(ReferralMessage, messages, {"body": ERASED})
    ReferralEvent._base_manager.filter(referral_id__in=ids).exclude(note="").update(note="")
    if not whole_client:
        return []
    notified = []
    for referral in referrals:
        if referral.sent_at is None or referral.to_agency_id in notified:
            continue
        notify_users(
            active_members_in_roles(
                referral.to_agency_id, [Role.REFERRAL_OFFICER, Role.SUPERVISOR, Role.DPO]
            ),
            kind="referral.erased",
            text=gettext_noop(
                "The person referred to you in referral %(reference)s asked %(agency)s to "
                "erase their data. Check what your agency keeps from that referral."
            ),
            values={"reference": referral.reference, "agency": referral.from_agency_name},
            email=False,
        )
        notified.append(referral.to_agency_id)
    return notified


def erase_personal_data(client: Client, *, actor: User | None, cause: str, reason: str) -> Erasure:
    """Erase everything about ``client`` and its cases, referrals included, and
    record the erasure (an ``Erasure`` row naming the agencies told). No
    permission check and no lock: ``erase_client`` and the retention sweep
    lock the client and check first. The agencies that received a packet about
    the client are notified."""
    case_ids = list(Case.objects.filter(client=client).values_list("pk", flat=True))
    counts = _erase_cases(case_ids)
    values = {**_CLIENT_ERASED, "anonymised_at": timezone.now()}
    values["search_text"] = search_text(ERASED, "", "")
    values["name_key"] = name_key(ERASED)
    values["name_latin_key"] = ""
    counts["clients"] = scrub(Client, [client.pk], values)
    scrub(ClientSensitive, [client.pk], _SENSITIVE_ERASED)
    documents = list(IdentityDocument.objects.filter(client=client).values_list("pk", flat=True))
    counts["identity_documents"] = scrub(
        IdentityDocument, documents, {"number": ERASED, "number_key": ""}
    )
    consents = list(Consent.objects.filter(client=client).values_list("pk", flat=True))
    scrub(Consent, consents, {"given_by_name": "", "withdrawal_reason": ""})
    holds = list(LegalHold.objects.filter(client=client).values_list("pk", flat=True))
    scrub(LegalHold, holds, {"reason": ERASED})
    # The spreadsheets that held the person: their files go, the rows forget them.
    counts["import_files"] = forget_client_in_imports(client)
    notified = {str(agency_id) for agency_id in _erase_referrals(case_ids, whole_client=True)}
    erasure = Erasure(
        client_id=client.pk,
        agency_id=client.agency_id,
        cause=cause,
        reason=reason,
        erased_by=actor,
        notified_agencies=sorted(notified),
        counts=counts,
    )
    erasure.save()
    return erasure


def erase_case_contents(case_ids: list) -> None:
    """Erase the free text of these cases and of their referrals, the client
    kept (a closed case past its retention period). Nobody is notified. No
    permission check: the retention sweep's step."""
    _erase_cases(case_ids)
    _erase_referrals(case_ids, whole_client=False)


@transaction.atomic
def erase_client(*, actor: User, client_id: UUID | str, reason: str) -> Erasure:
    """Erase a client's personal data at their request (ERASE_CLIENT in the
    client's agency: the DPO), with a written reason. Refused (409) while a
    legal hold is active on the client or one of their cases. Agencies that
    received the client's data in referrals are notified. Recorded in the
    access log as an erasure."""
    client = get_client_for_protection(actor, client_id, Perm.ERASE_CLIENT)
    client = Client.objects.select_for_update().get(pk=client.pk)
    reason = require_text(reason, "reason")
    if client.anonymised_at is not None:
        raise Conflict(_("This client was already erased."), code="already_erased")
    holds = list(active_legal_holds(client))
    if holds:
        raise LegalHoldActive(holds)
    erasure = erase_personal_data(client, actor=actor, cause=Erasure.Cause.REQUEST, reason=reason)
    record_access(actor, Action.ERASURE, client)
    return erasure
