"""The referral letter: a sent referral as a letter from one agency to the
other, holding exactly the packet's data — nothing read from the live case.

It is in the receiving agency's language (its first interface language, else
the default); with ``client_language`` the client's language is added side by
side, as on the consent form. The client's language is taken from the packet
(the identity section's spoken languages): when that section was not shared
the letter does not know it and stays in one language.

Who may download it: whoever may read the packet (``get_packet_for``) — the
sender's side, the receiving agency while it holds the referral, the
caseworker of the case opened from it. A draft was never sent: 409
``referral_not_sent`` for those who see it, 404 for everyone else.
"""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.utils import timezone, translation

from accounts.access import Action, record_access
from accounts.models import User
from casework.selectors.consent import interface_language
from config.errors import Conflict, InvalidInput
from config.http.calendars import display_of
from referrals.models import Referral, ReferralPacket
from referrals.selectors import get_packet_for, get_referral_for, is_sender_side, packet_sections
from reports.documents.consent_form import columns, side_by_side
from reports.pdf import render_pdf

BLOCK_TEMPLATE = "reports/_letter_block.html"
HEADINGS = frozenset({"title", "packet_heading", "section_heading"})

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _wants_client_language(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise InvalidInput(translation.gettext("Give 1 or 0."), code="invalid", field="client_language")


def letter_languages(referral: Referral, packet: ReferralPacket, with_client: bool) -> list[str]:
    """The letter's languages: the receiving agency's, then (on request) the
    client's as the packet records it."""
    receiving = interface_language(referral.to_agency.languages) or settings.LANGUAGE_CODE
    languages = [receiving]
    if with_client:
        identity = packet.data.get("identity") or {}
        client = interface_language(identity.get("languages") or [])
        if client:
            languages.append(client)
    return languages


class _Section:
    """One packet section, labelled in whichever language is active when read:
    ``packet_sections`` translates at call time, so it is called per cell."""

    def __init__(self, data: dict, index: int):
        self.data = data
        self.index = index

    def __call__(self) -> dict:
        return packet_sections(self.data)[self.index]


def _blocks(packet: ReferralPacket) -> list[tuple[str, object]]:
    blocks: list[tuple[str, object]] = [
        ("title", None),
        ("addresses", None),
        ("facts", None),
        ("basis", None),
        ("packet_heading", None),
    ]
    with translation.override(None):
        count = len(packet_sections(packet.data))
    if not count:
        blocks.append(("nothing_shared", None))
    for index in range(count):
        section = _Section(packet.data, index)
        blocks += [("section_heading", section), ("section", section)]
    blocks.append(("closing", None))
    return blocks


def referral_letter_pdf(
    *, actor: User, referral_id: UUID | str, client_language: str | bool = False
) -> tuple[bytes, str]:
    """The letter of a sent referral as a PDF and its file name (the referral's
    reference, no personal data). Needs VIEW_PACKET (``get_packet_for``): 404
    for anyone who may not read the packet, Conflict (409) for a draft seen by
    its sender. ``client_language`` adds the client's language side by side
    (400 naming ``client_language`` when it is not a yes or no). Logged as a
    download of the packet."""
    with_client = _wants_client_language(client_language)
    referral = get_referral_for(actor, referral_id)
    if referral.state == Referral.State.DRAFT:
        raise Conflict(
            translation.gettext("A draft has not been sent: there is no letter yet."),
            code="referral_not_sent",
        )
    packet = get_packet_for(actor, referral.pk)
    referral = packet.referral
    languages = columns(*letter_languages(referral, packet, with_client))
    context = {
        "referral": referral,
        "packet": packet,
        "from_user": referral.from_user.display_name or str(referral.from_user),
        # As on the referral page: the receiving agency does not see the sender's
        # consent (its date, what else it covers); the override stays visible to both.
        "consent": referral.consent if is_sender_side(actor, referral) else None,
        "override_by": (
            (referral.override_by.display_name or str(referral.override_by))
            if referral.override_by
            else ""
        ),
        "sent_on": timezone.localdate(referral.sent_at) if referral.sent_at else None,
        "packet_taken_at": packet.created_at,
    }
    # Each block is rendered here: its dates in the actor's calendar, as the page's.
    with display_of(actor):
        rows = side_by_side(BLOCK_TEMPLATE, _blocks(packet), context, languages)
    content = render_pdf(
        "reports/referral_letter.html",
        {"referral": referral, "columns": languages, "rows": rows, "dir": languages[0]["dir"]},
        user=actor,
        language=languages[0]["lang"],
    )
    record_access(
        actor,
        Action.DOWNLOAD,
        packet,
        object_id=str(referral.pk),
        client_id=referral.case.client_id,
        case_id=referral.case_id,
        agency_id=referral.from_agency_id,
    )
    return content, f"referral-letter-{referral.reference}.pdf"
