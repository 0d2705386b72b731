"""The consent form to sign, as a PDF: the same document as the printable page
(``casework:consent_form``, from the same ``consent_form_sheet``), in the
client's language and the agency's side by side.

Side by side means two columns aligned block by block: every heading,
paragraph and list of the sheet is one row holding it in both languages, each
cell with its own ``lang`` and ``dir``, so a reader and an interpreter can
follow the same line. The page runs in the client's direction: for an Arabic
speaker the Arabic column is the first one, on the right. When both
languages are the same there is one column.

``side_by_side`` is shared with the referral letter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from accounts.access import Action, record_access
from accounts.models import User
from accounts.permissions import Perm
from casework.models import Client, Consent
from casework.selectors import get_client_for, get_consent_for, is_uuid
from casework.selectors.consent import consent_form_languages, consent_form_sheet
from config.errors import InvalidInput, NotFound
from config.http.calendars import display_of
from reports.pdf import render_pdf

BLOCK_TEMPLATE = "reports/_consent_block.html"
# The sheet's blocks in reading order; ``purpose`` repeats once per purpose.
BLOCKS = (
    "title",
    "recorded",
    "facts",
    "responsible_heading",
    "responsible_text",
    "agree_heading",
    "agree_text",
    "purpose",
    "categories_heading",
    "categories_text",
    "categories_list",
    "categories_note",
    "recipients_heading",
    "recipients_text",
    "recipients_list",
    "recipients_organisations",
    "rights_heading",
    "rights_list",
    "signature_heading",
    "signature_given_by",
    "signature_fields",
    "foot",
)
# Rows that introduce what follows: kept on the same page as the next row.
HEADINGS = frozenset(
    {
        "title",
        "responsible_heading",
        "agree_heading",
        "categories_heading",
        "recipients_heading",
        "rights_heading",
        "signature_heading",
    }
)


def check_language(language: str | None, field: str = "language") -> str | None:
    """``language`` if it is an interface language (None when not given);
    InvalidInput naming ``field`` otherwise."""
    if not language:
        return None
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(
            translation.gettext("Choose one of the languages Sanad is translated into: %(codes)s.")
            % {"codes": ", ".join(code for code, _name in settings.LANGUAGES)},
            code="invalid_language",
            field=field,
        )
    return language


def columns(*languages: str) -> list[dict]:
    """The columns of a bilingual document: each language once, in the order
    given (the first one leads: its direction is the page's)."""
    unique = list(dict.fromkeys(languages))
    return [
        {"lang": code, "dir": "rtl" if translation.get_language_info(code)["bidi"] else "ltr"}
        for code in unique
    ]


def side_by_side(
    template: str,
    blocks: Iterable[tuple[str, object]],
    context: dict,
    languages: Sequence[dict],
) -> list[dict]:
    """The rows of a bilingual document: ``template`` rendered once per block
    and language (``block`` and ``item`` in its context), under that language.
    Each row: {"block", "cells": [{"lang", "dir", "html"}]}; a block that
    renders empty in every language is left out."""
    rows = []
    for block, item in blocks:
        cells = []
        for column in languages:
            with translation.override(column["lang"]):
                html = render_to_string(template, {**context, "block": block, "item": item})
            # Rendered (and escaped) by the template engine: stripping keeps it safe.
            cells.append({**column, "html": mark_safe(html.strip())})  # noqa: S308  # nosec B308, B703
        if any(cell["html"] for cell in cells):
            rows.append({"block": block, "heading": block in HEADINGS, "cells": cells})
    return rows


def _blocks(sheet: dict) -> list[tuple[str, object]]:
    blocks: list[tuple[str, object]] = []
    for name in BLOCKS:
        if name == "purpose":
            blocks += [("purpose", purpose) for purpose in sheet["purposes"]]
        else:
            blocks.append((name, None))
    return blocks


def _prefill(actor: User, consent_id: str | UUID | None, clients: list[Client]) -> Consent | None:
    """The recorded consent to copy onto the form: one of these clients' that
    the actor may see (RECORD_CONSENT, like the form); 400 for an id that is
    not one, 404 for a consent the actor cannot see or of another client."""
    if consent_id in (None, ""):
        return None
    if not is_uuid(consent_id):
        raise InvalidInput(
            translation.gettext("Give the id of one of the client's consents."),
            code="invalid",
            field="consent",
        )
    consent = get_consent_for(actor, consent_id, Perm.RECORD_CONSENT)
    if consent.client_id not in {client.pk for client in clients}:
        raise NotFound()
    return consent


def consent_form_document(
    client: Client, *, language: str | None = None, consent: Consent | None = None
) -> dict:
    """One client's form: its columns (the client's language, then the
    agency's) and its rows. ``language`` replaces the client's language."""
    client_language, agency_language = consent_form_languages(client, language or "")
    sheet = consent_form_sheet(client, consent)
    languages = columns(client_language, agency_language)
    return {
        "client": client,
        "language": client_language,
        "dir": languages[0]["dir"],
        "columns": languages,
        "rows": side_by_side(BLOCK_TEMPLATE, _blocks(sheet), sheet, languages),
    }


def consent_forms_pdf(
    *,
    actor: User,
    client_ids: Sequence[UUID | str],
    language: str | None = None,
    consent_id: UUID | str | None = None,
) -> tuple[bytes, str]:
    """The consent forms of ``client_ids`` in one PDF, each starting on a new
    page, and its file name (ids only). Needs RECORD_CONSENT on every client
    (NotFound for a client the actor cannot see, Forbidden without it).
    ``language`` (an interface language, else 400 naming ``language``)
    replaces each client's language; ``consent_id`` pre-fills the form of
    its client from that recorded consent. Each client's form is logged as
    a download."""
    language = check_language(language)
    clients = [get_client_for(actor, client_id, Perm.RECORD_CONSENT) for client_id in client_ids]
    if not clients:
        raise InvalidInput(
            translation.gettext("Choose at least one client."), code="required", field="client"
        )
    consent = _prefill(actor, consent_id, clients)
    # Each block is rendered here: its dates in the actor's calendar, as the page's.
    with display_of(actor):
        forms = [
            consent_form_document(
                client,
                language=language,
                consent=consent if consent is not None and consent.client_id == client.pk else None,
            )
            for client in clients
        ]
    content = render_pdf(
        "reports/consent_form.html",
        {"forms": forms},
        user=actor,
        language=forms[0]["language"],
    )
    for client in clients:
        record_access(actor, Action.DOWNLOAD, client, agency_id=client.agency_id)
    if len(clients) == 1:
        return content, f"consent-form-{clients[0].pk}.pdf"
    return content, "consent-forms.pdf"
