"""Consent: the client's consents as the actor may see them, and the one rule
every later feature asks — does a live consent cover this disclosure?

How referrals (and exports, statistics) call it::

    coverage = consent_covering(
        client, recipient_agency=agency, purpose=Consent.Purpose.REFERRAL,
        data_categories={"identity", "contact"}, service_category="housing",
    )
    if not coverage.covered:
        raise ConsentMissing(coverage.gaps)   # each gap names what is missing
    referral.consent = coverage.consent

``consent_covering`` is the only place the rule lives.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, User
from accounts.permissions import Perm
from casework.models import (
    SPECIAL_CATEGORIES,
    Client,
    Consent,
    DataCategory,
    Document,
    DoNotDisclose,
    ServiceCategory,
)
from casework.selectors.scope import cases_visible_to, get_case_for, get_client_for, is_uuid
from config.errors import NotFound


@dataclass(frozen=True)
class Gap:
    """One reason a disclosure is not covered: a machine ``code``, the facts
    (``detail``) and a sentence for the caseworker."""

    code: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.detail}


@dataclass(frozen=True)
class ConsentCoverage:
    """The answer of ``consent_covering``: the consent that covers everything,
    or what is missing (from the consent that came closest)."""

    consent: Consent | None
    gaps: tuple[Gap, ...] = ()

    @property
    def covered(self) -> bool:
        return self.consent is not None and not self.gaps


def _gaps_of(
    consent: Consent,
    recipient: Agency,
    service_category: str | None,
    categories: set[str],
    at: datetime,
) -> list[Gap]:
    gaps: list[Gap] = []
    status = consent.status_at(at)
    if status == "withdrawn":
        gaps.append(
            Gap(
                "withdrawn",
                _("The consent was withdrawn."),
                {"withdrawn_at": consent.withdrawn_at.isoformat()},
            )
        )
    elif status == "expired":
        gaps.append(
            Gap(
                "expired",
                _("The consent has expired."),
                {"expired_at": consent.expires_at.isoformat()},
            )
        )
    elif status == "not_yet_valid":
        gaps.append(
            Gap(
                "not_yet_valid",
                _("The consent is not valid yet."),
                {"given_at": consent.given_at.isoformat()},
            )
        )
    named = {agency.pk for agency in consent.recipient_agencies.all()}
    by_kind = service_category is not None and service_category in (
        consent.recipient_service_categories or []
    )
    if recipient.pk not in named and not by_kind:
        gaps.append(
            Gap(
                "recipient_not_covered",
                _("The consent does not name %(agency)s or this kind of service.")
                % {"agency": recipient.name},
                {"agency": str(recipient.pk), "service_category": service_category or ""},
            )
        )
    missing = sorted(categories - set(consent.data_categories or []))
    if missing:
        labels = dict(DataCategory.choices)
        gaps.append(
            Gap(
                "categories_not_covered",
                _("The consent does not cover: %(categories)s.")
                % {"categories": ", ".join(str(labels.get(c, c)) for c in missing)},
                {"categories": missing},
            )
        )
    if categories & SPECIAL_CATEGORIES and not consent.special_category_condition:
        gaps.append(
            Gap(
                "special_category_condition_missing",
                _("Health data needs an Art. 9(2) condition on the consent."),
            )
        )
    if consent.lawful_basis == Consent.LawfulBasis.LEGITIMATE_INTERESTS and (
        consent.agency.is_public_authority or recipient.is_public_authority
    ):
        gaps.append(
            Gap(
                "legitimate_interests_public_authority",
                _("A public authority may not rely on legitimate interests."),
            )
        )
    return gaps


def consent_covering(
    client: Client,
    recipient_agency: Agency,
    purpose: str,
    data_categories: Collection[str],
    at: datetime | None = None,
    *,
    service_category: str | None = None,
) -> ConsentCoverage:
    """The live consent of ``client`` that covers disclosing ``data_categories``
    to ``recipient_agency`` (by name, or as a provider of ``service_category``)
    for ``purpose`` at ``at`` (default now) — or exactly what is missing:
    no consent for the purpose, withdrawn, expired, recipient not named,
    categories not covered, no Art. 9(2) condition for health data, a public
    authority relying on legitimate interests, or the recipient is on a
    do-not-disclose list of one of the client's cases (that one always wins).

    A system check with no actor: callers have already checked that the actor
    may act on the client. Reads every consent of the client for the purpose.
    """
    at = at or timezone.now()
    categories = {str(category) for category in data_categories}
    unknown = categories - set(DataCategory.values)
    if unknown:
        raise ValueError(f"Unknown data categories: {sorted(unknown)}")
    blocked = DoNotDisclose.objects.filter(case__client=client, agency=recipient_agency).exists()
    block = (
        (
            Gap(
                "do_not_disclose",
                _("%(agency)s is on the client's do-not-disclose list.")
                % {"agency": recipient_agency.name},
                {"agency": str(recipient_agency.pk)},
            ),
        )
        if blocked
        else ()
    )
    consents = list(
        Consent.objects.filter(client=client, purpose=purpose)
        .select_related("agency")
        .prefetch_related(Prefetch("recipient_agencies", queryset=Agency.objects.only("pk")))
        .order_by("-given_at")
    )
    if not consents:
        return ConsentCoverage(
            None,
            (
                *block,
                Gap("no_consent", _("There is no consent for this purpose."), {"purpose": purpose}),
            ),
        )
    ranked = sorted(
        ((_gaps_of(c, recipient_agency, service_category, categories, at), c) for c in consents),
        key=lambda pair: len(pair[0]),
    )
    gaps, closest = ranked[0]
    if not gaps and not block:
        return ConsentCoverage(closest)
    return ConsentCoverage(None if gaps else closest, (*block, *gaps))


def consent_coverage_for(
    actor: User,
    client_id: UUID | str,
    recipient_agency: Agency,
    purpose: str,
    data_categories: Collection[str],
    *,
    service_category: str | None = None,
) -> ConsentCoverage:
    """``consent_covering`` for a client the actor may see (VIEW_CONSENT on the
    client): what pages and the API ask before offering a disclosure."""
    client = get_client_for(actor, client_id, Perm.VIEW_CONSENT)
    return consent_covering(
        client, recipient_agency, purpose, data_categories, service_category=service_category
    )


# --- Reads for pages and the API ---------------------------------------------------


def consents_of(actor: User, client_id: UUID | str, status: str = "") -> QuerySet[Consent]:
    """The consents of a client the actor may see (VIEW_CONSENT on the client),
    newest first; all states, or those in ``status`` now."""
    client = get_client_for(actor, client_id, Perm.VIEW_CONSENT)
    consents = Consent.objects.filter(client=client)
    if status:
        consents = consents.with_status(status)
    return (
        consents.select_related("agency", "recorded_by", "withdrawn_by", "evidence")
        .prefetch_related("recipient_agencies")
        .order_by("-given_at", "-recorded_at")
    )


def get_consent_for(actor: User, consent_id: UUID | str, perm: Perm = Perm.VIEW_CONSENT) -> Consent:
    """One consent, if its client is visible to the actor (NotFound otherwise)
    and the actor holds ``perm`` on the client (Forbidden otherwise)."""
    consent = (
        Consent.objects.filter(pk=consent_id).select_related("client").first()
        if is_uuid(consent_id)
        else None
    )
    if consent is None:
        raise NotFound()
    get_client_for(actor, consent.client_id, perm)
    return (
        Consent.objects.select_related(
            "agency", "recorded_by", "withdrawn_by", "evidence", "client"
        )
        .prefetch_related("recipient_agencies")
        .get(pk=consent.pk)
    )


def do_not_disclose_of(actor: User, case_id: UUID | str) -> QuerySet[DoNotDisclose]:
    """The do-not-disclose entries of a visible case (VIEW_DO_NOT_DISCLOSE)."""
    case = get_case_for(actor, case_id, Perm.VIEW_DO_NOT_DISCLOSE)
    return DoNotDisclose.objects.filter(case=case).select_related("agency", "created_by")


def consent_evidence_documents(actor: User, client: Client) -> QuerySet[Document]:
    """Signed consent forms (documents of category "consent") on the client's
    cases where the actor may see documents: what a written consent can point to."""
    cases = cases_visible_to(actor).filter(client=client).select_related("agency")
    readable = [case.pk for case in cases if actor.has_perm(Perm.VIEW_DOCUMENT, case)]
    return (
        Document.objects.filter(case__in=readable, category=Document.Category.CONSENT)
        .select_related("case")
        .order_by("-uploaded_at")
    )


# --- The consent form to sign ----------------------------------------------------------


def interface_language(codes) -> str | None:
    """The first of ``codes`` the interface is translated into (``settings.LANGUAGES``)."""
    available = dict(settings.LANGUAGES)
    return next((code for code in codes or () if code in available), None)


def consent_form_languages(
    client: Client, asked: str = "", *, fallback: str | None = None
) -> tuple[str, str]:
    """The two languages of a client's consent form: (the client's, the agency's).

    The client's: ``asked`` when it is an interface language, else their first
    spoken language that is one, else ``fallback`` (the page: the user's
    language), else the agency's. The agency's: its first interface language,
    else ``settings.LANGUAGE_CODE``. A pure read of the given client."""
    agency_language = interface_language(client.agency.languages) or settings.LANGUAGE_CODE
    client_language = (
        interface_language([asked])
        or interface_language(client.languages)
        or fallback
        or agency_language
    )
    return client_language, agency_language


def _choices(choices, ticked) -> list[dict[str, Any]]:
    chosen = set(ticked or ())
    return [
        {"value": value, "label": label, "ticked": value in chosen}
        for value, label in choices.choices
    ]


def consent_form_sheet(client: Client, consent: Consent | None = None) -> dict[str, Any]:
    """What the consent form to sign shows (the printable page and its PDF):
    the client, the agency, every purpose with its plain-words explanation,
    the data categories, kinds of recipient and who gives consent. Labels are
    lazy, so one sheet renders in any language.

    With ``consent`` (a recorded consent of this client, already read through
    ``get_consent_for``), the form is pre-filled from it — a copy for the
    client to sign: its purpose, categories, recipients, who gave it, how,
    when and the notice version are ticked or filled in. No permission check
    here: callers read the client and the consent through the scoped selectors."""
    # casework.forms imports the selectors package: imported here, not at the top.
    from casework.forms.consent import PURPOSE_EXPLANATIONS

    if consent is not None and consent.client_id != client.pk:
        raise NotFound()
    purposes = [
        {
            "value": value,
            "label": label,
            "explanation": PURPOSE_EXPLANATIONS[value],
            "optional": value in Consent.OPTIONAL_PURPOSES,
            "ticked": consent is not None and consent.purpose == value,
        }
        for value, label in Consent.Purpose.choices
    ]
    recorded = None
    if consent is not None:
        recorded = {
            "consent": consent,
            "purpose": consent.get_purpose_display(),
            "method": consent.get_method_display(),
            "given_by": consent.get_given_by_display(),
            "given_by_name": consent.given_by_name,
            "given_on": timezone.localdate(consent.given_at),
            "expires_on": timezone.localdate(consent.expires_at) if consent.expires_at else None,
            "recipients": [agency.name for agency in consent.recipient_agencies.all()],
        }
    return {
        "client": client,
        "agency": client.agency,
        "purposes": purposes,
        "categories": _choices(DataCategory, consent.data_categories if consent else ()),
        "kinds": _choices(ServiceCategory, consent.recipient_service_categories if consent else ()),
        "given_by": _choices(Consent.GivenBy, [consent.given_by] if consent else ()),
        "notice_version": (
            consent.notice_version
            if consent is not None
            else getattr(settings, "CONSENT_NOTICE_VERSION", "")
        ),
        "recorded": recorded,
        "today": timezone.localdate(),
    }
