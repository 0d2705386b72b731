"""What a referral may share: the one rule the send form proposes from and
``send_referral`` enforces."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import holds_in
from casework.models import SPECIAL_CATEGORIES, Case, Consent, DataCategory
from casework.selectors import get_case_for
from casework.selectors.consent import ConsentCoverage, Gap, consent_covering
from config.errors import Forbidden
from referrals.models import Service
from referrals.selectors.directory import get_recipient, get_service


@dataclass(frozen=True)
class ReferralCheck:
    """What Sanad proposes and refuses for one referral.

    ``blocks`` stop the referral whatever anyone says (inactive service, no
    data-sharing agreement, do-not-disclose). ``consent_gaps`` stop it unless
    a supervisor overrides them with a reason. ``proposed`` is what the
    service needs, intersected with what the live consent covers.
    """

    needed: tuple[str, ...]
    proposed: tuple[str, ...]
    covered: tuple[str, ...]
    consent: Consent | None
    blocks: tuple[Gap, ...] = ()
    consent_gaps: tuple[Gap, ...] = ()
    refused_categories: dict[str, str] = field(default_factory=dict)

    @property
    def can_send(self) -> bool:
        return not self.blocks and not self.consent_gaps

    @property
    def reasons(self) -> tuple[Gap, ...]:
        return (*self.blocks, *self.consent_gaps)


def _ordered(categories) -> tuple[str, ...]:
    chosen = {str(category) for category in categories}
    return tuple(category for category in DataCategory.values if category in chosen)


def recipient_blocks(
    case: Case, to_agency: Agency, service: Service | None, on: date | None = None
) -> list[Gap]:
    """Reasons no referral can go to this recipient, consent or not."""
    on = on or timezone.now().date()
    blocks: list[Gap] = []
    if to_agency.pk == case.agency_id:
        blocks.append(Gap("same_agency", _("A referral goes to another agency, not your own."), {}))
    if service is not None and service.agency_id != to_agency.pk:
        blocks.append(
            Gap("service_of_another_agency", _("This service is not run by that agency."))
        )
    if service is not None and not service.takes_referrals:
        blocks.append(
            Gap(
                "service_not_taking_referrals",
                _("%(service)s does not take referrals at the moment (%(status)s).")
                % {
                    "service": service.name,
                    "status": service.get_status_display()
                    if service.status != Service.Status.ACTIVE
                    else _("not accepting referrals"),
                },
                {"service": str(service.pk), "status": service.status},
            )
        )
    valid_until = to_agency.data_sharing_agreement_valid_until
    if valid_until is None or valid_until < on:
        blocks.append(
            Gap(
                "no_data_sharing_agreement",
                _("%(agency)s has no valid data-sharing agreement.") % {"agency": to_agency.name},
                {
                    "agency": str(to_agency.pk),
                    "valid_until": valid_until.isoformat() if valid_until else None,
                },
            )
        )
    return blocks


def _coverage(
    case: Case, to_agency: Agency, service: Service | None, categories
) -> ConsentCoverage:
    return consent_covering(
        case.client,
        to_agency,
        Consent.Purpose.REFERRAL,
        categories,
        service_category=service.category if service is not None else None,
    )


def referral_check(
    case: Case,
    to_agency: Agency,
    service: Service | None,
    data_categories: Iterable[str] | None = None,
) -> ReferralCheck:
    """The rule for one referral of ``case`` to ``to_agency`` (optionally one
    of its services): what it needs, what may be proposed, and every reason it
    is refused. ``data_categories`` is the caller's choice (None: propose).

    A system check: the caller has already checked the actor's permission on
    the case. Do-not-disclose comes from the consent rule (it always wins).
    """
    needed = _ordered(service.data_categories_needed if service is not None else ())
    blocks = recipient_blocks(case, to_agency, service)
    # The live consent naming this recipient (for no categories): what it covers.
    base = _coverage(case, to_agency, service, ())
    for gap in base.gaps:
        if gap.code == "do_not_disclose":
            blocks.append(gap)
    covered: tuple[str, ...] = ()
    if base.consent is not None:
        covered = _ordered(base.consent.data_categories or ())
        if not base.consent.special_category_condition:
            covered = tuple(c for c in covered if c not in SPECIAL_CATEGORIES)
    proposed = tuple(c for c in needed if c in covered) if needed else covered
    chosen = _ordered(proposed if data_categories is None else data_categories)
    labels = dict(DataCategory.choices)
    refused = {
        category: _("The consent does not cover %(category)s.")
        % {"category": str(labels[category]).lower()}
        for category in (needed if data_categories is None else chosen)
        if category not in covered
    }
    consent_gaps: tuple[Gap, ...] = ()
    consent = None
    if not chosen:
        # Nothing chosen (or nothing to propose): say why the consent covers
        # nothing for this recipient too (no consent, withdrawn, not named…).
        consent_gaps = (
            Gap("no_categories", _("Choose at least one kind of information to share.")),
            *(gap for gap in base.gaps if gap.code != "do_not_disclose"),
        )
    else:
        coverage = _coverage(case, to_agency, service, chosen)
        consent = coverage.consent
        consent_gaps = tuple(gap for gap in coverage.gaps if gap.code != "do_not_disclose")
    return ReferralCheck(
        needed=needed,
        proposed=proposed,
        covered=covered,
        consent=consent,
        blocks=tuple(blocks),
        consent_gaps=consent_gaps,
        refused_categories=refused,
    )


def referral_check_for(
    actor: User,
    case_id: UUID | str,
    to_agency_id: UUID | str | None,
    service_id: UUID | str | None = None,
    data_categories: Iterable[str] | None = None,
) -> ReferralCheck:
    """``referral_check`` for a case the actor may refer (SEND_REFERRAL on the
    case's agency): what the send form and ``/referrals/check/`` show."""
    case = get_case_for(actor, case_id)
    if not holds_in(actor, Perm.SEND_REFERRAL, case.agency_id):
        raise Forbidden()
    service = get_service(service_id) if service_id else None
    to_agency = service.agency if service is not None else get_recipient(to_agency_id)
    return referral_check(case, to_agency, service, data_categories)
