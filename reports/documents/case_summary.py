"""The case summary a caseworker prints (about two pages): the client as far as
the actor may see them, the case's facts, open follow-ups, the last notes,
consents and referrals.

Everything is read as the actor through the scoped selectors, and each part is
shown only to those who may see it on the case page and in the API: the
client's file (identity, contact, legal status, family, work) with
VIEW_CLIENT on the client, the special-category section with VIEW_SENSITIVE on
the case, notes with VIEW_NOTES (confidential ones only for their author and
holders of VIEW_CONFIDENTIAL_NOTES), follow-ups with VIEW_FOLLOW_UPS, consents
with VIEW_CONSENT, referrals with VIEW_REFERRAL. ``case_contents`` is shared
with the full case file (``reports.documents.case_file``).
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import prefetch_related_objects
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.access import Action, record_access
from accounts.models import User
from accounts.permissions import Perm
from casework import selectors
from casework.models import Case, ClientSensitive, DataCategory
from config.errors import Forbidden, NotFound
from config.http.pages import language_name
from referrals.selectors import referrals_of_case
from reports.pdf import render_pdf

RECENT_NOTES = 10

HISTORY_OBJECTS = {
    "case": _("Case"),
    "note": _("Note"),
    "follow_up": _("Follow-up"),
    "document": _("Document"),
    "plan": _("Integration plan"),
    "goal": _("Goal"),
    "action": _("Action"),
    "agreement": _("Agreement to the plan"),
}
HISTORY_ACTIONS = {"created": _("Created"), "changed": _("Changed")}


def _client_file(actor: User, case: Case) -> dict:
    """The client's own sections, for those who may open the client's file
    (what ``get_client_for`` would show them); names alone otherwise, as in
    the case page's header."""
    client = case.client
    if not actor.has_perm(Perm.VIEW_CLIENT, client):
        return {"shows_client_file": False}
    prefetch_related_objects([client], selectors.client_detail_queryset())
    return {
        "shows_client_file": True,
        "nationalities": [countries.name(code) or code for code in client.nationalities],
        "spoken_languages": [language_name(code) for code in client.languages],
        "interpreter_language": (
            language_name(client.interpreter_language) if client.interpreter_language else ""
        ),
        "identity_documents": list(client.identity_documents.all()),
    }


def _sensitive(actor: User, case: Case) -> dict:
    """The special-category section: only with VIEW_SENSITIVE on the case (the
    assigned caseworker, supervisors), read through the selector that withholds
    it on the client in the same way."""
    if not actor.has_perm(Perm.VIEW_SENSITIVE, case):
        return {"shows_sensitive": False}
    section = selectors.sensitive_section_for(actor, case.client)
    if section is None:
        return {"shows_sensitive": False}
    labels = dict(ClientSensitive.Vulnerability.choices)
    return {
        "shows_sensitive": True,
        "sensitive": section,
        "vulnerabilities": [str(labels.get(code, code)) for code in section.vulnerabilities],
    }


def _consents(actor: User, case: Case) -> list[dict] | None:
    """The client's consents (None: not the actor's to see)."""
    if not actor.has_perm(Perm.VIEW_CONSENT, case):
        return None
    try:
        consents = list(selectors.consents_of(actor, case.client_id))
    except (NotFound, Forbidden):
        # Sees the case through a grant but not its client: no consents either.
        return None
    categories = dict(DataCategory.choices)
    statuses = dict(consents[0].Status.choices) if consents else {}
    return [
        {
            "consent": consent,
            "status": str(statuses.get(consent.status, consent.status)),
            "categories": [str(categories.get(code, code)) for code in consent.data_categories],
            "recipients": [agency.name for agency in consent.recipient_agencies.all()],
        }
        for consent in consents
    ]


def _referrals(actor: User, case: Case) -> list | None:
    """The referrals sent from the case (None: not the actor's to see), as the
    case page's referrals panel decides."""
    if not actor.has_perm(Perm.VIEW_REFERRAL, case.agency):
        return None
    return list(referrals_of_case(actor, case.pk))


def case_history_rows(actor: User, case: Case) -> list[dict] | None:
    """The case's history as the history page shows it (None without
    VIEW_CASE_HISTORY on the case)."""
    if not actor.has_perm(Perm.VIEW_CASE_HISTORY, case):
        return None
    entries = selectors.case_history(actor, case.pk)
    for entry in entries:
        entry["object_label"] = HISTORY_OBJECTS.get(entry["object"], entry["object"])
        entry["action_label"] = HISTORY_ACTIONS.get(entry["action"], entry["action"])
    return entries


def case_contents(
    actor: User, case: Case, *, notes_limit: int | None, open_follow_ups_only: bool
) -> dict:
    """What the actor may see of a case they see (``case`` read through
    ``get_case_for``), for a printed document: each part present only for
    those who may see it (None or a false ``shows_*`` flag otherwise)."""
    notes = follow_ups = None
    if actor.has_perm(Perm.VIEW_NOTES, case):
        queryset = selectors.notes_visible_to(actor, case)
        notes = list(queryset[:notes_limit] if notes_limit else queryset)
    if actor.has_perm(Perm.VIEW_FOLLOW_UPS, case):
        queryset = selectors.follow_ups_visible_to(actor, case)
        if open_follow_ups_only:
            queryset = queryset.filter(done_at__isnull=True)
        follow_ups = list(queryset)
    return {
        # The page's direction and the zone its times are in (the caller
        # has activated the document's language and the reader's zone).
        "page_dir": "rtl" if translation.get_language_bidi() else "ltr",
        "time_zone_name": timezone.get_current_timezone_name(),
        "case": case,
        "client": case.client,
        **_client_file(actor, case),
        **_sensitive(actor, case),
        "notes": notes,
        "follow_ups": follow_ups,
        "consents": _consents(actor, case),
        "referrals": _referrals(actor, case),
    }


def case_summary_pdf(
    *, actor: User, case_id: UUID | str, language: str | None = None
) -> tuple[bytes, str]:
    """The case summary as a PDF and its file name (``case-<number>-summary.pdf``),
    in ``language`` (default: the active one, i.e. the reader's). Needs
    VIEW_CASE (404 for a case the actor does not see). Records the download of
    the case in the access log: the request's row."""
    language = language or translation.get_language()
    with translation.override(language):
        case = selectors.get_case_for(actor, case_id, Perm.VIEW_CASE)
        context = case_contents(actor, case, notes_limit=RECENT_NOTES, open_follow_ups_only=True)
        record_access(actor, Action.DOWNLOAD, case)
        content = render_pdf("reports/case_summary.html", context, user=actor, language=language)
    return content, f"case-{case.number}-summary.pdf"
