"""Consent services: record a consent, withdraw it (one or all), and keep the
do-not-disclose list of a case. A consent is append-only: nothing but its
withdrawal ever changes it."""

from collections.abc import Collection
from datetime import datetime, timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.models import Agency, User, language_code_validator
from accounts.permissions import Perm
from casework.models import (
    SPECIAL_CATEGORIES,
    Consent,
    DataCategory,
    DoNotDisclose,
    ServiceCategory,
)
from casework.selectors import (
    consent_evidence_documents,
    get_case_for,
    get_client_for,
    get_consent_for,
    is_uuid,
)
from casework.services.common import require_bool, require_text
from casework.signals import consent_withdrawn
from config.errors import Conflict, InvalidInput

# Clocks of laptops in the field drift; a consent "given" a little in the
# future is a clock, not a time machine.
CLOCK_SKEW = timedelta(minutes=5)


def _choice_list(values, allowed, field: str, *, required: bool) -> list[str]:
    if not isinstance(values, list | tuple | set) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(_("Give a list."), code="invalid", field=field)
    values = sorted(set(values))
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise InvalidInput(
            _("Not a valid choice: %(value)s.") % {"value": unknown[0]},
            code="invalid_choice",
            field=field,
        )
    if required and not values:
        raise InvalidInput(_("Choose at least one."), code="required", field=field)
    return values


def _recipient_agencies(values) -> list[Agency]:
    if not isinstance(values, list | tuple | set):
        raise InvalidInput(_("Give a list."), code="invalid", field="recipient_agencies")
    ids = [value.pk if isinstance(value, Agency) else value for value in values]
    if not all(is_uuid(value) for value in ids):
        raise InvalidInput(_("Unknown agency."), code="does_not_exist", field="recipient_agencies")
    # The directory of agencies is public to every user: any agency may be named.
    agencies = list(Agency.objects.filter(pk__in=ids))
    if len(agencies) != len(set(map(str, ids))):
        raise InvalidInput(_("Unknown agency."), code="does_not_exist", field="recipient_agencies")
    return agencies


def _language_code(value) -> str:
    value = require_text(value, "explanation_language")
    try:
        language_code_validator(value)
    except ValidationError:
        raise InvalidInput(
            _("Use a language code such as 'ar', 'fa' or 'ti'."),
            code="invalid",
            field="explanation_language",
        ) from None
    return value


@transaction.atomic
def record_consent(
    *,
    actor: User,
    client_id: UUID | str,
    purpose: str,
    lawful_basis: str,
    data_categories: Collection[str],
    given_by: str,
    method: str,
    notice_version: str,
    explanation_language: str,
    recipient_agencies: Collection[Agency | UUID | str] = (),
    recipient_service_categories: Collection[str] = (),
    special_category_condition: str = "",
    given_by_name: str = "",
    evidence_id: UUID | str | None = None,
    interpreter_used: bool = False,
    given_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> Consent:
    """Record what a client agreed to, on the client's agency. Needs
    RECORD_CONSENT on the client. Refuses legitimate interests for a public
    authority, health data without an Art. 9(2) condition, written consent
    without its signed form, a referral consent without recipients. Writes the
    history; a consent is never edited afterwards, only withdrawn."""
    client = get_client_for(actor, client_id, Perm.RECORD_CONSENT, lock=True)
    interpreter_used = require_bool(interpreter_used, "interpreter_used")
    categories = _choice_list(
        data_categories, DataCategory.values, "data_categories", required=True
    )
    kinds = _choice_list(
        recipient_service_categories,
        ServiceCategory.values,
        "recipient_service_categories",
        required=False,
    )
    agencies = _recipient_agencies(recipient_agencies)
    consent = Consent(
        client=client,
        agency=client.agency,
        purpose=purpose,
        lawful_basis=lawful_basis,
        special_category_condition=special_category_condition,
        data_categories=categories,
        recipient_service_categories=kinds,
        given_by=given_by,
        given_by_name=require_text(given_by_name, "given_by_name", required=False),
        method=method,
        notice_version=require_text(notice_version, "notice_version"),
        explanation_language=_language_code(explanation_language),
        interpreter_used=interpreter_used,
        given_at=given_at or timezone.now(),
        expires_at=expires_at,
        recorded_by=actor,
    )
    consent.full_clean(exclude=["recipient_agencies"])
    errors: dict[str, str] = {}
    if (
        consent.lawful_basis == Consent.LawfulBasis.LEGITIMATE_INTERESTS
        and client.agency.is_public_authority
    ):
        errors["lawful_basis"] = ValidationError(
            _(
                "A public authority may not rely on legitimate interests (GDPR Art. 6(1), "
                "last sentence)."
            ),
            code="public_authority",
        )
    if set(categories) & SPECIAL_CATEGORIES and not consent.special_category_condition:
        errors["special_category_condition"] = _(
            "Health and other special-category data need an Art. 9(2) condition."
        )
    if consent.given_by != Consent.GivenBy.CLIENT and not consent.given_by_name:
        errors["given_by_name"] = _("Name the person who gave the consent.")
    if consent.purpose == Consent.Purpose.REFERRAL and not agencies and not kinds:
        errors["recipient_agencies"] = _(
            "Name the agencies or the kinds of service the client agreed to share with."
        )
    if consent.given_at > timezone.now() + CLOCK_SKEW:
        errors["given_at"] = ValidationError(
            _("A consent cannot be given in the future."), code="future"
        )
    if consent.expires_at is not None and consent.expires_at <= consent.given_at:
        errors["expires_at"] = ValidationError(
            _("The expiry must come after the date it was given."), code="date_order"
        )
    if evidence_id is not None:
        consent.evidence = (
            consent_evidence_documents(actor, client).filter(pk=evidence_id).first()
            if is_uuid(evidence_id)
            else None
        )
        if consent.evidence is None:
            errors["evidence"] = ValidationError(
                _("Choose a signed consent form uploaded to one of this client's cases."),
                code="does_not_exist",
            )
    elif consent.method == Consent.Method.WRITTEN:
        errors["evidence"] = _("A written consent needs its signed form.")
    if errors:
        raise ValidationError(errors)
    save_with_history(consent, actor=actor, reason=gettext_noop("consent recorded"))
    consent._recording = True
    try:
        consent.recipient_agencies.set(agencies)
    finally:
        del consent._recording
    return consent


def _withdraw(actor: User, consent: Consent, reason: str, at) -> Consent:
    consent.withdrawn_at = at
    consent.withdrawn_by = actor
    consent.withdrawal_reason = reason
    save_with_history(consent, actor=actor, reason=gettext_noop("consent withdrawn"))
    consent_withdrawn.send(sender=Consent, consent=consent, actor=actor)
    return consent


@transaction.atomic
def withdraw_consent(*, actor: User, consent_id: UUID | str, reason: str = "") -> Consent:
    """Record that the client withdrew a consent; it stops covering anything at
    once. Needs WITHDRAW_CONSENT on the client. Sends ``consent_withdrawn``
    inside this transaction."""
    reason = require_text(reason, "reason", required=False)
    consent = get_consent_for(actor, consent_id, Perm.WITHDRAW_CONSENT)
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        raise Conflict(_("This consent was already withdrawn."), code="already_withdrawn")
    return _withdraw(actor, consent, reason, timezone.now())


@transaction.atomic
def withdraw_all_consents(*, actor: User, client_id: UUID | str, reason: str = "") -> list[Consent]:
    """Withdraw every consent of the client still in force, in one step.
    Needs WITHDRAW_CONSENT on the client. One signal per consent."""
    reason = require_text(reason, "reason", required=False)
    client = get_client_for(actor, client_id, Perm.WITHDRAW_CONSENT, lock=True)
    now = timezone.now()
    # Consents still in force (active or not yet valid); expired ones stay expired.
    open_consents = Consent.objects.select_for_update().filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        client=client,
        withdrawn_at__isnull=True,
    )
    return [_withdraw(actor, consent, reason, now) for consent in open_consents]


@transaction.atomic
def add_do_not_disclose(
    *,
    actor: User,
    case_id: UUID | str,
    agency: Agency | UUID | str | None = None,
    person_name: str = "",
    reason: str = "",
) -> DoNotDisclose:
    """Record an agency or a person who must never learn about this case's
    client (``agency`` an Agency or its id). Needs ADD_DO_NOT_DISCLOSE on the
    case. Referrals to a listed agency are refused from then on."""
    case = get_case_for(actor, case_id, Perm.ADD_DO_NOT_DISCLOSE, lock=True)
    person_name = require_text(person_name, "person_name", required=False)
    if agency is not None and not isinstance(agency, Agency):
        found = Agency.objects.filter(pk=agency).first() if is_uuid(agency) else None
        if found is None:
            raise InvalidInput(_("Unknown agency."), code="does_not_exist", field="agency")
        agency = found
    if agency is None and not person_name:
        raise InvalidInput(_("Name an agency or a person."), code="required", field="agency")
    if agency is not None and DoNotDisclose.objects.filter(case=case, agency=agency).exists():
        raise InvalidInput(
            _("This agency is already on the list."), code="already_listed", field="agency"
        )
    entry = DoNotDisclose(
        case=case,
        agency=agency,
        person_name=person_name,
        reason=require_text(reason, "reason", required=False),
        created_by=actor,
    )
    save_with_history(entry, actor=actor, reason=gettext_noop("do-not-disclose entry added"))
    return entry
