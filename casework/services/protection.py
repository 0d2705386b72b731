"""Data protection writes: legal holds, break the glass, erasure on request,
retention, and the subject-access export (a read, but an audited export).

Erasure and retention replace personal data with placeholders everywhere
Sanad holds it — the live rows, their history rows (values and change
reasons), files — and keep what statistics need (case type, status, dates,
closure reason, risk, nationality, sex, legal status). Other apps scrub what
they hold through ``casework.signals.personal_data_erasing``.
"""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import Action, record_access
from accounts.audit import save_with_history
from accounts.models import Agency, Membership, Notification, User
from accounts.permissions import Perm, Role
from accounts.selectors import (
    active_emergency_access_agreements,
    forget_cached_permissions,
    holders_of,
)
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
    Erasure,
    FollowUp,
    IdentityDocument,
    LegalHold,
    RetentionPolicy,
)
from casework.names import name_key, search_text
from casework.selectors.protection import (
    active_legal_holds,
    break_glass_agencies,
    get_client_for_protection,
)
from casework.selectors.scope import case_scope, is_uuid
from casework.services.common import require_text
from casework.signals import personal_data_erasing
from config.errors import Conflict, Forbidden, InvalidInput, NotFound

ERASED = "[erased]"

# --- Legal holds ------------------------------------------------------------------------


@transaction.atomic
def place_legal_hold(*, actor: User, client_id, reason: str, case_id=None) -> LegalHold:
    """Stop erasure and retention for a client (or one of its cases) until
    released. Needs PLACE_LEGAL_HOLD in the client's agency (DPO, supervisor)."""
    client = get_client_for_protection(actor, client_id, Perm.PLACE_LEGAL_HOLD)
    reason = require_text(reason, "reason")
    case = None
    if case_id:
        case = Case.objects.filter(pk=case_id, client=client).first() if is_uuid(case_id) else None
        if case is None:
            raise InvalidInput(
                _("Choose a case of this client."), code="does_not_exist", field="case"
            )
    hold = LegalHold(client=client, case=case, reason=reason, placed_by=actor)
    save_with_history(hold, actor=actor, reason=gettext_noop("legal hold placed"))
    return hold


@transaction.atomic
def release_legal_hold(*, actor: User, hold_id) -> LegalHold:
    """Release an active hold (PLACE_LEGAL_HOLD in the client's agency)."""
    hold = (
        LegalHold.objects.select_for_update().filter(pk=hold_id).first()
        if is_uuid(hold_id)
        else None
    )
    if hold is None:
        raise NotFound()
    get_client_for_protection(actor, hold.client_id, Perm.PLACE_LEGAL_HOLD)
    if hold.released_at is not None:
        raise Conflict(_("This hold was already released."), code="already_released")
    hold.released_at = timezone.now()
    hold.released_by = actor
    save_with_history(
        hold,
        actor=actor,
        reason=gettext_noop("legal hold released"),
        update_fields=["released_at", "released_by"],
    )
    return hold


class LegalHoldActive(Conflict):
    code = "legal_hold"

    def __init__(self, holds):
        self.extensions = {
            "holds": [
                {"id": str(hold.pk), "placed_at": hold.placed_at.isoformat()} for hold in holds
            ]
        }
        super().__init__(
            _(
                "A legal hold is set on this client or one of their cases "
                "(placed %(when)s): nothing can be erased until it is released."
            )
            % {"when": holds[0].placed_at.strftime("%Y-%m-%d")}
        )


# --- Break the glass --------------------------------------------------------------------


@transaction.atomic
def break_glass(*, actor: User, case_id, reason: str) -> BreakGlass:
    """Open a case outside the actor's scope for BREAK_GLASS_HOURS (default 3),
    read-only, in an emergency. Needs BREAK_GLASS in one of the actor's
    agencies (supervisors; 403 otherwise) and a written reason (400 without).
    A case the actor can already see is 409 ``already_visible``. Any other
    case must be of one of those agencies, or of an agency that opted in, in
    writing and not withdrawn, for one of them
    (``accounts.selectors.active_emergency_access_agreements``); out of that
    reach it is NotFound, exactly like a case that does not exist, and leaves
    the same trace in the access log. Logged as ``break_glass``; the owning
    agency's supervisors and DPO are notified."""
    own = break_glass_agencies(actor)
    reason = require_text(reason, "reason")
    case = (
        Case.objects.select_related("agency").filter(pk=case_id).first()
        if is_uuid(case_id)
        else None
    )
    if case is None:
        raise NotFound()
    # The unlogged scope: cases_visible_to would record a list read for a case
    # that exists and none for one that does not, telling them apart.
    scope = case_scope(actor)
    if scope is not None and Case.objects.filter(scope, pk=case.pk).exists():
        raise Conflict(_("You can already see this case."), code="already_visible")
    if case.agency_id not in own:
        # Waits for a withdrawal of the agreement running at the same moment,
        # then sees it (select_for_update re-reads the row): an agreement
        # withdrawn before this commits opens nothing.
        agreed = (
            active_emergency_access_agreements()
            .select_for_update()
            .filter(agency_id=case.agency_id, partner_id__in=own)
        )
        if not list(agreed.values_list("pk", flat=True)):
            raise NotFound()
    now = timezone.now()
    access = BreakGlass(
        case=case,
        user=actor,
        reason=reason,
        started_at=now,
        expires_at=now + timedelta(hours=settings.BREAK_GLASS_HOURS),
    )
    access.full_clean()
    access.save()
    record_access(actor, Action.BREAK_GLASS, case)
    notify_agency_members(
        case.agency_id,
        [Role.SUPERVISOR, Role.DPO],
        "break_glass",
        gettext_noop("%(user)s opened case %(number)s in an emergency (break the glass)."),
        {"user": actor.display_name, "number": case.number},
        url=f"/cases/{case.pk}/accesses/",
    )
    forget_cached_permissions(actor)
    return access


def end_emergency_accesses(sender, *, agreement, actor, **kwargs) -> int:
    """Receiver of ``accounts.signals.emergency_access_withdrawn``: the
    partner's staff's running emergency accesses to the agency's cases end
    now, in the withdrawing transaction (BreakGlass keeps no history; its rows
    are the record). Kept: those of the agency's own staff, and of anyone who
    may still break the glass on its cases through another of their agencies
    (BREAK_GLASS there, under an agreement still active). One query; returns
    how many ended. The withdrawal holds the owning agency's lock, so two
    withdrawals at once take turns and the second sees the first."""
    partner_staff = Membership.objects.filter(agency_id=agreement.partner_id).values("user_id")
    own_staff = Membership.objects.filter(agency_id=agreement.agency_id).values("user_id")
    other_partners = (
        active_emergency_access_agreements()
        .filter(agency_id=agreement.agency_id)
        .exclude(pk=agreement.pk)
        .values("partner_id")
    )
    still_agreed = holders_of(Perm.BREAK_GLASS, other_partners)
    now = timezone.now()
    running = list(
        BreakGlass.objects.select_for_update(of=("self",))
        .filter(case__agency_id=agreement.agency_id, user_id__in=partner_staff, expires_at__gt=now)
        .exclude(user_id__in=own_staff)
        .exclude(user_id__in=still_agreed)
    )
    for access in running:
        access.expires_at = now
        access.save(update_fields=["expires_at"])
    return len(running)


def notify_agency_members(agency_id, roles, kind, text, values, url="") -> list[UUID]:
    from django.utils import translation

    recipients = {
        membership.user
        for membership in Membership.objects.filter(
            agency_id=agency_id, role__in=roles, is_active=True, user__is_active=True
        ).select_related("user")
    }
    for user in recipients:
        with translation.override(user.preferred_language or None):
            message = _(text) % values
        Notification.objects.create(recipient=user, kind=kind, message=message[:300], url=url)
    return [user.pk for user in recipients]


# --- Erasure ----------------------------------------------------------------------------

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


def scrub(model, ids, values: dict[str, Any]) -> int:
    """Replace ``values`` in the rows ``ids`` of ``model`` AND in every history
    row of them, blanking the history's change reasons too (a reason may name
    the person). The live rows were saved through their service first."""
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


def _erase_cases(case_ids: list, actor: User | None) -> dict[str, int]:
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
    return counts


def _erase(client: Client, *, actor: User | None, cause: str, reason: str) -> Erasure:
    case_ids = list(Case.objects.filter(client=client).values_list("pk", flat=True))
    counts = _erase_cases(case_ids, actor)
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
    notified: set[str] = set()
    for _receiver, agency_ids in personal_data_erasing.send(
        sender=Client, client=client, case_ids=case_ids, whole_client=True, actor=actor
    ):
        notified.update(str(agency_id) for agency_id in agency_ids or ())
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


@transaction.atomic
def erase_client(*, actor: User, client_id, reason: str) -> Erasure:
    """Erase a client's personal data at their request (ERASE_CLIENT in the
    client's agency: the DPO), with a written reason. Refused (409) while a
    legal hold is active on the client or one of their cases. Agencies that
    received the client's data in referrals are notified."""
    client = get_client_for_protection(actor, client_id, Perm.ERASE_CLIENT)
    client = Client.objects.select_for_update().get(pk=client.pk)
    reason = require_text(reason, "reason")
    if client.anonymised_at is not None:
        raise Conflict(_("This client was already erased."), code="already_erased")
    holds = list(active_legal_holds(client))
    if holds:
        raise LegalHoldActive(holds)
    erasure = _erase(client, actor=actor, cause=Erasure.Cause.REQUEST, reason=reason)
    record_access(actor, Action.ERASURE, client)
    return erasure


# --- Retention --------------------------------------------------------------------------


@transaction.atomic
def set_retention_policy(*, actor: User, agency: Agency, kind: str, days) -> RetentionPolicy:
    """Set how long ``agency`` keeps a kind of record (MANAGE_RETENTION there)."""
    if not actor.has_perm(Perm.MANAGE_RETENTION, agency):
        raise Forbidden()
    if kind not in RetentionPolicy.Kind.values:
        raise InvalidInput(_("Choose a kind of record."), code="invalid_choice", field="kind")
    if not isinstance(days, int) or isinstance(days, bool) or days < 30:
        raise InvalidInput(_("Give a number of days, at least 30."), code="invalid", field="days")
    policy = RetentionPolicy.objects.filter(agency=agency, kind=kind).first() or RetentionPolicy(
        agency=agency, kind=kind
    )
    policy.days = days
    save_with_history(policy, actor=actor, reason=gettext_noop("retention period set"))
    return policy


def retention_due(now: datetime | None = None, *, agency: Agency | None = None) -> dict[str, list]:
    """What retention would anonymise at ``now``: closed cases past their
    agency's period and clients without an open case past theirs, minus
    anything under a legal hold (system read). ``held`` lists what a hold kept.
    ``agency`` limits it to one agency's periods (the retention page's dry run)."""
    now = now or timezone.now()
    due_cases, due_clients, held = [], [], []
    held_clients = set(
        LegalHold.objects.filter(released_at__isnull=True).values_list("client_id", flat=True)
    )
    policies = RetentionPolicy.objects.select_related("agency")
    if agency is not None:
        policies = policies.filter(agency=agency)
    for policy in policies:
        cutoff = now - timedelta(days=policy.days)
        if policy.kind == RetentionPolicy.Kind.CLOSED_CASE:
            cases = Case.objects.filter(
                agency=policy.agency,
                status=Case.Status.CLOSED,
                closed_at__lt=cutoff,
                anonymised_at__isnull=True,
            ).values_list("pk", "client_id")
            for case_id, client_id in cases:
                (held if client_id in held_clients else due_cases).append(case_id)
        else:
            clients = (
                Client.objects.filter(agency=policy.agency, anonymised_at__isnull=True)
                .exclude(cases__status__in=[Case.Status.OPEN, Case.Status.ON_HOLD])
                .exclude(cases__closed_at__gte=cutoff)
                .filter(created_at__lt=cutoff)
                .values_list("pk", flat=True)
                .distinct()
            )
            for client_id in clients:
                (held if client_id in held_clients else due_clients).append(client_id)
    return {"cases": due_cases, "clients": due_clients, "held": held}


def apply_retention(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Anonymise what the agencies' retention periods say has expired at
    ``now`` (the daily task and ``manage.py apply_retention``); legal holds
    are skipped. One transaction per client. Returns the counts."""
    due = retention_due(now)
    counts = {"cases": len(due["cases"]), "clients": len(due["clients"]), "held": len(due["held"])}
    if dry_run:
        return counts
    for client_id in due["clients"]:
        with transaction.atomic():
            client = Client.objects.select_for_update().get(pk=client_id)
            if client.anonymised_at is None and not active_legal_holds(client).exists():
                _erase(client, actor=None, cause=Erasure.Cause.RETENTION, reason="")
    erased_clients = set(due["clients"])
    for case_id in due["cases"]:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            if case.client_id in erased_clients or case.anonymised_at is not None:
                continue
            if active_legal_holds(case.client).exists():
                continue
            _erase_cases([case.pk], None)
            personal_data_erasing.send(
                sender=Client,
                client=case.client,
                case_ids=[case.pk],
                whole_client=False,
                actor=None,
            )
    return counts


# --- Subject access ---

# Where each model that holds something about a client appears in the export
# (tests/audit/test_subject_access.py walks the model graph and fails when a
# model linking to a client is in neither map).
SUBJECT_ACCESS_SECTIONS = {
    "casework.client": "client",
    "casework.clientsensitive": "special_category",
    "casework.identitydocument": "identity_documents",
    "casework.case": "cases",
    "casework.casenote": "cases.notes",
    "casework.followup": "cases.follow_ups",
    "casework.document": "cases.documents",
    "casework.donotdisclose": "cases.do_not_disclose",
    "casework.breakglass": "cases.break_glass",
    "casework.consent": "consents",
    "casework.consent_recipient_agencies": "consents.recipient_agencies",
    "casework.legalhold": "legal_holds",
    "casework.historicalclient": "history.client",
    "casework.historicalclientsensitive": "history.special_category",
    "casework.historicalidentitydocument": "history.identity_documents",
    "casework.historicalcase": "history.cases",
    "casework.historicalcasenote": "history.notes",
    "casework.historicalfollowup": "history.follow_ups",
    "casework.historicaldocument": "history.documents",
    "casework.historicalconsent": "history.consents",
    "casework.historicaldonotdisclose": "history.do_not_disclose",
    "casework.historicallegalhold": "history.legal_holds",
    "referrals.referral": "referrals",
    "referrals.referralpacket": "referrals.packet",
    "referrals.referralmessage": "referrals.messages",
    "referrals.referralevent": "referrals.events",
    "referrals.historicalreferral": "referral_history",
    "referrals.historicalreferralmessage": "referral_history",
}
# Linked to a client but holding nothing about the person.
SUBJECT_ACCESS_NOT_PERSONAL = {
    "casework.caseuserobjectpermission": "who may open the case (permission bookkeeping)",
    "casework.casegroupobjectpermission": "who may open the case (permission bookkeeping)",
    "casework.clientuserobjectpermission": "who may open the client (permission bookkeeping)",
    "casework.clientgroupobjectpermission": "who may open the client (permission bookkeeping)",
    "referrals.referraluserobjectpermission": "who may read the referral",
    "referrals.referralgroupobjectpermission": "who may read the referral",
}


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def row(instance, exclude=()) -> dict[str, Any]:
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


def history_rows(model, records) -> list[dict[str, Any]]:
    """Every history row of ``records`` (a queryset of ``model``), oldest first."""
    history = getattr(model, "history", None)
    if history is None:
        return []
    pk = model._meta.pk.attname
    ids = list(records.values_list("pk", flat=True))
    rows = history.model.objects.filter(**{f"{pk}__in": ids}).order_by("history_date")
    return [row(item) for item in rows]


def subject_access_export(actor: User, client_id) -> dict[str, Any]:
    """Everything Sanad holds about one client, as JSON-ready data: the client
    and special-category section, identity documents, cases with notes,
    follow-ups, documents (metadata), do-not-disclose entries, consents
    (withdrawn ones too), legal holds, emergency accesses, referrals with the
    packets sent and to whom, messages and timelines, every disclosure, the
    history of all of it, and the access-log rows about the client.
    Needs EXPORT_SUBJECT_ACCESS in the client's agency (DPO, supervisor);
    recorded as an export in the access log."""
    from accounts.models import AccessLog

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
    # Referrals, packets and disclosures come from the referrals app.
    from casework.signals import subject_access_collecting

    for _receiver, part in subject_access_collecting.send(
        sender=Client, client=client, case_ids=case_ids
    ):
        export.update(part or {})
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
    }
    export["access_log"] = [
        row(entry, exclude=("prev_hash", "hash", "chain", "seq"))
        for entry in AccessLog.objects.filter(client_id=client.pk).order_by("at", "id")
    ]
    record_access(actor, Action.EXPORT, client)
    return export
