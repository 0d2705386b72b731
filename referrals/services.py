"""Referral writes: the service directory, the referral lifecycle, the packet,
the partner's grants, messages and notifications.

Every transition is one transaction: lock the referral, check the table in
``Referral.TRANSITIONS`` (anything else is a 409 naming the current state),
write the referral with its history, append a timeline event, grant or revoke
the receiving agency's access, write the in-app notifications; e-mail goes
out only after the commit.
"""

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import Action, record_access
from accounts.audit import save_with_history
from accounts.models import Agency, Membership, Notification, RoleGroup, User
from accounts.permissions import (
    REFERRAL_CASE_OWNER_GRANTS,
    REFERRAL_RECEIVER_GRANTS,
    Perm,
    Role,
)
from accounts.selectors import agency_permissions
from casework.models import (
    SPECIAL_CATEGORIES,
    Case,
    Client,
    ClientSensitive,
    Consent,
    DataCategory,
    ServiceCategory,
)
from casework.sections import SECTION_FIELDS, sections_of
from casework.selectors import get_case_for
from casework.services.cases import _next_case_number, check_assignee
from casework.services.clients import _identity_document
from casework.services.common import require_text, unknown_fields, validated_client
from config.errors import Conflict, Forbidden, InvalidInput, NotFound
from referrals.models import (
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralMessage,
    ReferralPacket,
    ReferralUserObjectPermission,
    Service,
)
from referrals.selectors import (
    MESSAGE_STATES,
    expirable_referrals,
    get_recipient,
    get_referral_for,
    get_service,
    get_service_for,
    referral_check,
    referrals_relying_on,
)

logger = logging.getLogger(__name__)
MESSAGE_MAX_LENGTH = 5000

# --- Errors ---------------------------------------------------------------------------


class InvalidTransition(Conflict):
    """409: the lifecycle does not allow this action from the current state."""

    code = "invalid_transition"

    def __init__(self, referral: Referral, action: str):
        self.extensions = {"state": referral.state, "action": action}
        super().__init__(
            _("This referral is %(state)s: it cannot be %(action)s.")
            % {
                "state": referral.get_state_display().lower(),
                "action": _(_ACTION_PARTICIPLES.get(action, action)),
            }
        )


_ACTION_PARTICIPLES = {
    Referral.Action.SEND: gettext_noop("sent"),
    Referral.Action.ACCEPT: gettext_noop("accepted"),
    Referral.Action.DECLINE: gettext_noop("declined"),
    Referral.Action.COMPLETE: gettext_noop("completed"),
    Referral.Action.WITHDRAW: gettext_noop("withdrawn"),
    Referral.Action.EXPIRE: gettext_noop("expired"),
    Referral.Action.CANCEL: gettext_noop("cancelled"),
}


class ReferralRefused(Conflict):
    """409: the recipient may not receive this referral (inactive service, no
    data-sharing agreement, do-not-disclose), or no consent covers it and no
    override was given. ``reasons`` lists every one."""

    code = "referral_refused"

    def __init__(self, reasons, *, code: str = "referral_refused"):
        self.reasons = list(reasons)
        self.extensions = {"reasons": [reason.as_dict() for reason in self.reasons]}
        super().__init__(" ".join(str(reason.message) for reason in self.reasons), code=code)


# --- Input checks ---------------------------------------------------------------------


def _categories(value, field: str = "data_categories") -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(_("Give a list of data categories."), code="invalid", field=field)
    unknown = sorted(set(value) - set(DataCategory.values))
    if unknown:
        raise InvalidInput(
            _("Unknown data category: %(category)s.") % {"category": unknown[0]},
            code="invalid_choice",
            field=field,
        )
    return [category for category in DataCategory.values if category in set(value)]


def _date(value, field: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise InvalidInput(_("Give a date as YYYY-MM-DD."), code="invalid", field=field)
    return parsed


def _respond_by(value) -> datetime.date:
    respond_by = _date(value, "respond_by")
    today = timezone.now().date()
    if respond_by < today:
        raise InvalidInput(
            _("The respond-by date cannot be in the past."), code="past", field="respond_by"
        )
    if respond_by > today + datetime.timedelta(days=366):
        raise InvalidInput(
            _("The respond-by date must be within a year."), code="too_far", field="respond_by"
        )
    return respond_by


def _choice(value, choices, field: str) -> str:
    if value not in choices:
        raise InvalidInput(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)},
            code="invalid_choice",
            field=field,
        )
    return value


def _text(value, field: str, *, required: bool, max_length: int | None = None) -> str:
    text = require_text(value if value is not None else "", field, required=required)
    if max_length is not None and len(text) > max_length:
        raise InvalidInput(
            _("At most %(count)d characters.") % {"count": max_length},
            code="max_length",
            field=field,
        )
    return text


# --- The service directory --------------------------------------------------------------

SERVICE_FIELDS = (
    "name",
    "alternate_name",
    "description",
    "category",
    "status",
    "accepts_referrals",
    "data_categories_needed",
    "languages",
    "eligibility_description",
    "application_process",
    "fees_description",
    "url",
    "email",
    "phone",
    "location_name",
    "address",
    "city",
    "postal_code",
    "country",
)


def _validated_service(service: Service) -> Service:
    errors: dict[str, Any] = {}
    if not isinstance(service.accepts_referrals, bool):
        errors["accepts_referrals"] = _("Must be true or false.")
    try:
        service.data_categories_needed = _categories(
            service.data_categories_needed, "data_categories_needed"
        )
    except InvalidInput as error:
        errors["data_categories_needed"] = error.message
    if not isinstance(service.languages, list) or any(
        not isinstance(code, str) or not code.isalpha() or not 2 <= len(code) <= 3
        for code in service.languages
    ):
        errors["languages"] = _("Use a list of language codes such as ar, fa or ti.")
    else:
        service.languages = [code.lower() for code in service.languages]
    if isinstance(service.country, str):
        service.country = service.country.upper()
    if errors:
        raise ValidationError(errors)
    return service


@transaction.atomic
def create_service(*, actor: User, agency: Agency, data: dict[str, Any]) -> Service:
    """Add a service of ``agency`` to the directory. Needs MANAGE_SERVICES there."""
    if not actor.has_perm(Perm.MANAGE_SERVICES, agency):
        raise Forbidden()
    if not isinstance(data, dict):
        raise InvalidInput(_("Expected an object with fields."), code="invalid", field="data")
    unknown_fields(data, SERVICE_FIELDS)
    service = _validated_service(Service(agency=agency, **data))
    save_with_history(service, actor=actor, reason=gettext_noop("service added"))
    return service


@transaction.atomic
def update_service(
    *, actor: User, service_id, changes: dict[str, Any], expected_version=None
) -> Service:
    """Change a service of the actor's agency (MANAGE_SERVICES). A stale
    ``expected_version`` (when given) raises PreconditionFailed."""
    from casework.services.common import check_version

    if not isinstance(changes, dict):
        raise InvalidInput(_("Expected an object with fields."), code="invalid", field="changes")
    unknown_fields(changes, SERVICE_FIELDS)
    service = get_service_for(actor, service_id)
    service = Service.objects.select_for_update().get(pk=service.pk)
    if expected_version is not None:
        check_version(service, expected_version)
    for name, value in changes.items():
        setattr(service, name, value)
    _validated_service(service)
    service.version += 1
    save_with_history(service, actor=actor, reason=gettext_noop("service updated"))
    return service


@transaction.atomic
def import_services(*, actor: User, agency: Agency, records: list[dict[str, Any]]) -> list[Service]:
    """Create or update ``agency``'s services from parsed HSDS records (by
    name). Needs MANAGE_SERVICES. All or nothing: one bad record (its index
    named in the error) imports none."""
    if not actor.has_perm(Perm.MANAGE_SERVICES, agency):
        raise Forbidden()
    saved = []
    seen_names: set[str] = set()
    for index, record in enumerate(records):
        try:
            unknown_fields(record, SERVICE_FIELDS)
            name = record.get("name")
            if isinstance(name, str):
                if name.strip().casefold() in seen_names:
                    raise InvalidInput(
                        _("Another record of this import has the same name."),
                        code="duplicate",
                        field="name",
                    )
                seen_names.add(name.strip().casefold())
            existing = (
                Service.objects.select_for_update().filter(agency=agency, name=name).first()
                if isinstance(name, str)
                else None
            )
            if existing is None:
                service = _validated_service(Service(agency=agency, **record))
                save_with_history(service, actor=actor, reason=gettext_noop("service imported"))
            else:
                for field_name, value in record.items():
                    setattr(existing, field_name, value)
                service = _validated_service(existing)
                service.version += 1
                save_with_history(service, actor=actor, reason=gettext_noop("service imported"))
        except ValidationError as error:
            messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            field_name, errors = next(iter(messages.items()))
            if field_name in ("", "__all__"):
                field_name = "name"  # the only record-wide rule: one name per agency
            raise InvalidInput(
                errors[0], code="invalid", field=f"services.{index}.{field_name}"
            ) from error
        except InvalidInput as error:
            raise InvalidInput(
                error.message, code=error.code, field=f"services.{index}.{error.field}"
            ) from error
        saved.append(service)
    return saved


# --- Grants ----------------------------------------------------------------------------


def _permissions(perms: Iterable[Perm]) -> list[Permission]:
    codenames = {perm.codename for perm in perms}
    return list(
        Permission.objects.filter(content_type__app_label="referrals", codename__in=codenames)
    )


def grant_partner_access(referral: Referral) -> None:
    """Give the receiving agency's role groups their object permissions on the
    referral and its packet (REFERRAL_RECEIVER_GRANTS)."""
    groups = RoleGroup.objects.filter(
        agency_id=referral.to_agency_id, role__in=list(REFERRAL_RECEIVER_GRANTS)
    ).select_related("group")
    for role_group in groups:
        for permission in _permissions(REFERRAL_RECEIVER_GRANTS[role_group.role]):
            ReferralGroupObjectPermission.objects.get_or_create(
                group=role_group.group, permission=permission, content_object=referral
            )


def grant_case_owner_access(referral: Referral, user: User) -> None:
    """The caseworker of the case opened from the referral reads its packet."""
    for permission in _permissions(REFERRAL_CASE_OWNER_GRANTS):
        ReferralUserObjectPermission.objects.get_or_create(
            user=user, permission=permission, content_object=referral
        )


def revoke_partner_access(referral: Referral) -> None:
    """Take every object permission on the referral away (the receiving
    agency's groups and users): from the next request on, the partner gets 404
    on the referral and its packet. The sender keeps its own access."""
    ReferralGroupObjectPermission.objects.filter(content_object=referral).delete()
    ReferralUserObjectPermission.objects.filter(content_object=referral).delete()


# --- Notifications ---------------------------------------------------------------------

_NOTICES = {
    ReferralEvent.Kind.SENT: gettext_noop("New referral %(reference)s from %(from)s."),
    ReferralEvent.Kind.CONSENT_OVERRIDE: gettext_noop("New referral %(reference)s from %(from)s."),
    ReferralEvent.Kind.ACCEPTED: gettext_noop("Referral %(reference)s was accepted by %(to)s."),
    ReferralEvent.Kind.DECLINED: gettext_noop("Referral %(reference)s was declined by %(to)s."),
    ReferralEvent.Kind.PROGRESS: gettext_noop(
        "%(to)s reported progress on referral %(reference)s."
    ),
    ReferralEvent.Kind.COMPLETED: gettext_noop("Referral %(reference)s was completed by %(to)s."),
    ReferralEvent.Kind.CASE_OPENED: gettext_noop(
        "%(to)s opened a case for referral %(reference)s."
    ),
    ReferralEvent.Kind.WITHDRAWN: gettext_noop("Referral %(reference)s was withdrawn by %(from)s."),
    ReferralEvent.Kind.EXPIRED: gettext_noop("Referral %(reference)s expired without an answer."),
    ReferralEvent.Kind.CANCELLED: gettext_noop(
        "Referral %(reference)s was cancelled: the consent it relied on was withdrawn."
    ),
    ReferralEvent.Kind.ACCESS_REVOKED: gettext_noop(
        "The consent behind referral %(reference)s was withdrawn: %(to)s no longer has access."
    ),
    "message": gettext_noop("New message on referral %(reference)s."),
}


def _members(agency_id, roles) -> list[User]:
    return [
        membership.user
        for membership in Membership.objects.filter(
            agency_id=agency_id, role__in=roles, is_active=True, user__is_active=True
        ).select_related("user")
    ]


def _receivers(referral: Referral) -> list[User]:
    officers = _members(referral.to_agency_id, [Role.REFERRAL_OFFICER])
    return officers or _members(referral.to_agency_id, [Role.SUPERVISOR])


def _senders(referral: Referral) -> list[User]:
    users = [referral.from_user]
    assignee = referral.case.assigned_to
    if assignee is not None and assignee.pk != referral.from_user_id:
        users.append(assignee)
    return [user for user in users if user.is_active]


def notify(referral: Referral, kind: str, recipients: Iterable[User]) -> list[Notification]:
    """Write the in-app notices now (in the caller's transaction) and e-mail
    them once it commits. Notices name the referral's reference and the
    agencies only, never the client."""
    from referrals.tasks import email_notifications

    text = _NOTICES[kind]
    values = {
        "reference": referral.reference,
        "from": referral.from_agency_name,
        "to": referral.to_agency_name,
    }
    url = reverse("referrals:referral_detail", args=[referral.pk])
    notices = []
    seen = set()
    for user in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        with translation.override(user.preferred_language or None):
            message = _(text) % values
        notice = Notification(recipient=user, kind=f"referral.{kind}", message=message, url=url)
        notice.full_clean()
        notice.save()
        notices.append(notice)
    ids = [str(notice.pk) for notice in notices]
    if ids:
        transaction.on_commit(lambda: email_notifications.delay(ids))
    return notices


@transaction.atomic
def mark_notifications_read(*, actor: User) -> int:
    """Mark every unread notice of the actor read (their own only); returns how
    many. Notices carry no history: the update touches only ``read_at``."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- The lifecycle ---------------------------------------------------------------------


_HISTORY_REASONS = {
    Referral.Action.SEND: gettext_noop("referral sent"),
    Referral.Action.ACCEPT: gettext_noop("referral accepted"),
    Referral.Action.DECLINE: gettext_noop("referral declined"),
    Referral.Action.COMPLETE: gettext_noop("referral completed"),
    Referral.Action.WITHDRAW: gettext_noop("referral withdrawn"),
    Referral.Action.EXPIRE: gettext_noop("referral expired"),
    Referral.Action.CANCEL: gettext_noop("referral cancelled"),
}


def _transition(
    referral: Referral,
    action: str,
    *,
    actor: User | None,
    actor_agency_id=None,
    kind: str,
    note: str = "",
    fields: Iterable[str] = (),
) -> ReferralEvent:
    """Move ``referral`` along the table, save it with history and append the
    timeline event; a transition the table does not hold is a 409."""
    target = Referral.target_of(action, referral.state)
    if target is None:
        raise InvalidTransition(referral, action)
    from_state = referral.state
    referral.state = target
    referral.version += 1
    save_with_history(
        referral,
        actor=actor,
        reason=_HISTORY_REASONS[action],
        update_fields=["state", "version", *fields],
    )
    return _event(referral, kind, actor, actor_agency_id, note, from_state, target)


def _event(referral, kind, actor, actor_agency_id, note="", from_state="", to_state=""):
    event = ReferralEvent(
        referral=referral,
        kind=kind,
        actor=actor,
        actor_agency_id=actor_agency_id,
        note=note,
        from_state=from_state,
        to_state=to_state,
    )
    event.save()
    return event


def _may_share(actor: User, case: Case, categories) -> None:
    """Only who may see special-category data on the case may disclose it."""
    if set(categories) & SPECIAL_CATEGORIES and not actor.has_perm(Perm.VIEW_SENSITIVE, case):
        raise Forbidden(
            _(
                "Only the assigned caseworker and supervisors may share health and other "
                "special-category data."
            )
        )


def _sender_agency_perm(actor: User, case: Case, perm: Perm) -> None:
    if perm not in agency_permissions(actor).get(case.agency_id, frozenset()):
        raise Forbidden()


@transaction.atomic
def create_referral(
    *,
    actor: User,
    case_id,
    to_agency_id=None,
    service_id=None,
    purpose: str,
    urgency: str = Referral.Urgency.ROUTINE,
    respond_by,
    message: str = "",
    data_categories=None,
) -> Referral:
    """Draft a referral from a case the actor sees (SEND_REFERRAL in the case's
    agency) to a service, or to an agency. Without ``data_categories`` the
    draft shares what the service needs and the consent covers. Nothing is
    disclosed until ``send_referral``."""
    case = get_case_for(actor, case_id, lock=True)
    _sender_agency_perm(actor, case, Perm.SEND_REFERRAL)
    if case.status == Case.Status.CLOSED:
        raise Conflict(_("The case is closed: reopen it to refer the client."), code="case_closed")
    service = None
    if service_id:
        try:
            service = get_service(service_id)
        except NotFound:
            raise InvalidInput(_("Choose a service of the directory."), field="service") from None
        to_agency = service.agency
        if to_agency_id and str(to_agency_id) != str(to_agency.pk):
            raise InvalidInput(
                _("This service is not run by that agency."), code="invalid", field="to_agency"
            )
    elif to_agency_id:
        try:
            to_agency = get_recipient(to_agency_id)
        except NotFound:
            raise InvalidInput(_("Choose an agency."), field="to_agency") from None
    else:
        raise InvalidInput(_("Choose a service or an agency."), code="required", field="service")
    if to_agency.pk == case.agency_id:
        raise InvalidInput(
            _("A referral goes to another agency, not your own."),
            code="same_agency",
            field="to_agency",
        )
    purpose = _text(purpose, "purpose", required=True, max_length=300)
    urgency = _choice(urgency, Referral.Urgency.values, "urgency")
    respond_by = _respond_by(respond_by)
    message = _text(message, "message", required=False, max_length=MESSAGE_MAX_LENGTH)
    if data_categories is None:
        data_categories = list(referral_check(case, to_agency, service).proposed)
        if not actor.has_perm(Perm.VIEW_SENSITIVE, case):
            data_categories = [c for c in data_categories if c not in SPECIAL_CATEGORIES]
    else:
        data_categories = _categories(data_categories)
        _may_share(actor, case, data_categories)
    referral = Referral(
        case=case,
        from_agency=case.agency,
        from_user=actor,
        to_agency=to_agency,
        service=service,
        from_agency_name=case.agency.name,
        to_agency_name=to_agency.name,
        service_name=service.name if service is not None else "",
        service_category=service.category if service is not None else "",
        purpose=purpose,
        urgency=urgency,
        respond_by=respond_by,
        message=message,
        data_categories=data_categories,
    )
    save_with_history(referral, actor=actor, reason=gettext_noop("referral drafted"))
    _event(referral, ReferralEvent.Kind.CREATED, actor, case.agency_id, to_state=referral.state)
    return referral


@transaction.atomic
def update_referral_draft(
    *, actor: User, referral_id, changes: dict[str, Any], expected_version=None
) -> Referral:
    """Change a draft's purpose, urgency, respond-by, message or shared
    categories (SEND_REFERRAL). A sent referral never changes: 409."""
    from casework.services.common import check_version

    if not isinstance(changes, dict):
        raise InvalidInput(_("Expected an object with fields."), code="invalid", field="changes")
    unknown_fields(changes, ("purpose", "urgency", "respond_by", "message", "data_categories"))
    referral = get_referral_for(actor, referral_id, Perm.SEND_REFERRAL, lock=True)
    if expected_version is not None:
        check_version(referral, expected_version)
    if referral.state != Referral.State.DRAFT:
        raise Conflict(
            _("This referral is %(state)s: only a draft can be changed.")
            % {"state": referral.get_state_display().lower()},
            code="not_a_draft",
        )
    if "purpose" in changes:
        referral.purpose = _text(changes["purpose"], "purpose", required=True, max_length=300)
    if "urgency" in changes:
        referral.urgency = _choice(changes["urgency"], Referral.Urgency.values, "urgency")
    if "respond_by" in changes:
        referral.respond_by = _respond_by(changes["respond_by"])
    if "message" in changes:
        referral.message = _text(
            changes["message"], "message", required=False, max_length=MESSAGE_MAX_LENGTH
        )
    if "data_categories" in changes:
        referral.data_categories = _categories(changes["data_categories"])
        _may_share(actor, referral.case, referral.data_categories)
    referral.version += 1
    save_with_history(referral, actor=actor, reason=gettext_noop("draft changed"))
    return referral


def build_packet(referral: Referral) -> ReferralPacket:
    """Freeze exactly the referral's shared sections (``casework.sections``)."""
    case = Case.objects.select_related("client").get(pk=referral.case_id)
    data = sections_of(case, referral.data_categories)
    packet = ReferralPacket(
        referral=referral, data_categories=list(referral.data_categories), data=data
    )
    packet.save()
    return packet


@transaction.atomic
def send_referral(*, actor: User, referral_id, override_reason: str = "") -> Referral:
    """Send a draft (SEND_REFERRAL). The recipient must take referrals and hold
    a valid data-sharing agreement, and must not be on the client's
    do-not-disclose list: otherwise ReferralRefused (409), always. A live
    consent must cover the recipient and every shared category; without one a
    supervisor (OVERRIDE_CONSENT, else 403) may send it with a written reason
    (else 400), recorded on the referral and its timeline.

    Freezes the packet, grants the receiving agency's officers and supervisors
    access, notifies them (e-mail after commit). All or nothing."""
    referral = get_referral_for(actor, referral_id, Perm.SEND_REFERRAL, lock=True)
    if Referral.target_of(Referral.Action.SEND, referral.state) is None:
        raise InvalidTransition(referral, Referral.Action.SEND)
    override_reason = _text(override_reason, "override_reason", required=False)
    if not referral.data_categories:
        raise InvalidInput(
            _("Choose at least one kind of information to share."),
            code="required",
            field="data_categories",
        )
    _may_share(actor, referral.case, referral.data_categories)
    to_agency = Agency.objects.get(pk=referral.to_agency_id)
    service = Service.objects.filter(pk=referral.service_id).first()
    check = referral_check(referral.case, to_agency, service, referral.data_categories)
    if check.blocks:
        raise ReferralRefused(check.blocks)
    if check.consent is not None:
        # Lock the consent and look again: a withdrawal racing this send either
        # commits first (and is seen here) or waits and then cancels this referral.
        locked = Consent.objects.select_for_update().get(pk=check.consent.pk)
        if locked.status != Consent.Status.ACTIVE:
            check = referral_check(referral.case, to_agency, service, referral.data_categories)
    fields = ["sent_at", "consent"]
    kind = ReferralEvent.Kind.SENT
    note = ""
    if check.consent_gaps:
        may_override = actor.has_perm(Perm.OVERRIDE_CONSENT, referral)
        if not override_reason and not may_override:
            raise ReferralRefused(check.consent_gaps, code="consent_missing")
        if not may_override:
            raise Forbidden(_("Only a supervisor may send a referral without a covering consent."))
        if not override_reason:
            raise InvalidInput(
                _("Give the reason for sending without a covering consent."),
                code="override_reason_required",
                field="override_reason",
            )
        referral.consent = None
        referral.override_reason = override_reason
        referral.override_by = actor
        referral.override_at = timezone.now()
        fields += ["override_reason", "override_by", "override_at"]
        kind = ReferralEvent.Kind.CONSENT_OVERRIDE
        note = override_reason
        record_access(
            actor,
            Action.CONSENT_OVERRIDE,
            referral,
            client_id=referral.case.client_id,
            case_id=referral.case_id,
            agency_id=referral.from_agency_id,
        )
    else:
        referral.consent = check.consent
    referral.sent_at = timezone.now()
    _transition(
        referral,
        Referral.Action.SEND,
        actor=actor,
        actor_agency_id=referral.from_agency_id,
        kind=kind,
        note=note,
        fields=fields,
    )
    build_packet(referral)
    grant_partner_access(referral)
    notify(referral, kind, _receivers(referral))
    return referral


@transaction.atomic
def accept_referral(*, actor: User, referral_id, note: str = "") -> Referral:
    """The receiving agency accepts a sent referral (RESPOND_REFERRAL). Of two
    officers accepting at once, the second finds it accepted: 409."""
    referral = get_referral_for(actor, referral_id, Perm.RESPOND_REFERRAL, lock=True)
    note = _text(note, "note", required=False)
    referral.decided_at = timezone.now()
    referral.decided_by = actor
    _transition(
        referral,
        Referral.Action.ACCEPT,
        actor=actor,
        actor_agency_id=referral.to_agency_id,
        kind=ReferralEvent.Kind.ACCEPTED,
        note=note,
        fields=["decided_at", "decided_by"],
    )
    notify(referral, ReferralEvent.Kind.ACCEPTED, _senders(referral))
    return referral


@transaction.atomic
def decline_referral(*, actor: User, referral_id, reason: str) -> Referral:
    """The receiving agency declines (RESPOND_REFERRAL) with a reason (400
    without). Removes the agency's access to the packet; notifies the sender."""
    referral = get_referral_for(actor, referral_id, Perm.RESPOND_REFERRAL, lock=True)
    if Referral.target_of(Referral.Action.DECLINE, referral.state) is None:
        raise InvalidTransition(referral, Referral.Action.DECLINE)
    reason = _text(reason, "reason", required=True)
    referral.decided_at = timezone.now()
    referral.decided_by = actor
    referral.decline_reason = reason
    referral.closed_at = referral.decided_at
    _transition(
        referral,
        Referral.Action.DECLINE,
        actor=actor,
        actor_agency_id=referral.to_agency_id,
        kind=ReferralEvent.Kind.DECLINED,
        note=reason,
        fields=["decided_at", "decided_by", "decline_reason", "closed_at"],
    )
    revoke_partner_access(referral)
    notify(referral, ReferralEvent.Kind.DECLINED, _senders(referral))
    return referral


@transaction.atomic
def report_referral_progress(*, actor: User, referral_id, note: str) -> ReferralEvent:
    """The receiving agency reports progress on an accepted referral
    (RESPOND_REFERRAL); the sender sees it on the timeline and is notified."""
    referral = get_referral_for(actor, referral_id, Perm.RESPOND_REFERRAL, lock=True)
    note = _text(note, "note", required=True)
    if referral.state != Referral.State.ACCEPTED:
        raise Conflict(
            _("This referral is %(state)s: progress is reported on accepted referrals.")
            % {"state": referral.get_state_display().lower()},
            code="invalid_transition",
        )
    event = _event(referral, ReferralEvent.Kind.PROGRESS, actor, referral.to_agency_id, note)
    notify(referral, ReferralEvent.Kind.PROGRESS, _senders(referral))
    return event


@transaction.atomic
def complete_referral(*, actor: User, referral_id, outcome: str) -> Referral:
    """The receiving agency reports the outcome and completes an accepted
    referral (RESPOND_REFERRAL; the outcome note is required)."""
    referral = get_referral_for(actor, referral_id, Perm.RESPOND_REFERRAL, lock=True)
    if Referral.target_of(Referral.Action.COMPLETE, referral.state) is None:
        raise InvalidTransition(referral, Referral.Action.COMPLETE)
    outcome = _text(outcome, "outcome", required=True)
    referral.outcome = outcome
    referral.completed_at = timezone.now()
    _transition(
        referral,
        Referral.Action.COMPLETE,
        actor=actor,
        actor_agency_id=referral.to_agency_id,
        kind=ReferralEvent.Kind.COMPLETED,
        note=outcome,
        fields=["outcome", "completed_at"],
    )
    notify(referral, ReferralEvent.Kind.COMPLETED, _senders(referral))
    return referral


@transaction.atomic
def withdraw_referral(*, actor: User, referral_id, reason: str = "") -> Referral:
    """The sender withdraws a draft, sent or accepted referral (SEND_REFERRAL).
    The receiving agency loses access at once and is told."""
    referral = get_referral_for(actor, referral_id, Perm.SEND_REFERRAL, lock=True)
    if Referral.target_of(Referral.Action.WITHDRAW, referral.state) is None:
        raise InvalidTransition(referral, Referral.Action.WITHDRAW)
    reason = _text(reason, "reason", required=False)
    referral.closed_at = timezone.now()
    referral.closed_reason = reason
    _transition(
        referral,
        Referral.Action.WITHDRAW,
        actor=actor,
        actor_agency_id=referral.from_agency_id,
        kind=ReferralEvent.Kind.WITHDRAWN,
        note=reason,
        fields=["closed_at", "closed_reason"],
    )
    _close_to_partner(referral, ReferralEvent.Kind.WITHDRAWN, tell_sender=False)
    return referral


def _close_to_partner(referral: Referral, kind: str, *, tell_sender: bool) -> None:
    """Take the receiving side's access away and tell it (who it was is read
    before revoking; a referral never sent had no partner to tell), and the
    sending side too when ``tell_sender``."""
    receivers = []
    if referral.sent_at is not None:
        receivers = _receivers(referral)
        if referral.receiving_case_id:
            case = Case.objects.select_related("assigned_to").get(pk=referral.receiving_case_id)
            if case.assigned_to is not None:
                receivers.append(case.assigned_to)
    revoke_partner_access(referral)
    notify(referral, kind, [*(_senders(referral) if tell_sender else []), *receivers])


def expire_overdue_referrals(*, on: datetime.date | None = None) -> int:
    """Sanad itself expires sent referrals left unanswered for
    REFERRAL_EXPIRY_GRACE_DAYS after their respond-by date, as of ``on``
    (default today; the periodic task): access revoked, both sides notified.
    One transaction per referral: one that fails is logged and left for the
    next run, the others expire. Returns how many expired."""
    expired = 0
    ids = list(expirable_referrals(on).values_list("pk", flat=True))
    for referral_id in ids:
        try:
            expired += _expire(referral_id)
        except Exception:
            logger.exception("Referral %s could not be expired; retried next run", referral_id)
    return expired


@transaction.atomic
def _expire(referral_id) -> int:
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("case__assigned_to", "from_user")
        .filter(pk=referral_id, state=Referral.State.SENT)
        .first()
    )
    if referral is None:
        return 0
    referral.closed_at = timezone.now()
    _transition(
        referral,
        Referral.Action.EXPIRE,
        actor=None,
        kind=ReferralEvent.Kind.EXPIRED,
        note=gettext_noop("The respond-by date passed without an answer."),
        fields=["closed_at"],
    )
    _close_to_partner(referral, ReferralEvent.Kind.EXPIRED, tell_sender=True)
    return 1


def cancel_referrals_relying_on(sender, *, consent: Consent, actor: User, **kwargs) -> None:
    """Receiver of ``casework.signals.consent_withdrawn``, inside the
    withdrawal's transaction: every open referral that relied on the consent
    is cancelled and the partner loses access before the withdrawal commits."""
    for referral in (
        referrals_relying_on(consent)
        .select_for_update(of=("self",))
        .select_related("case__assigned_to", "from_user")
    ):
        referral.closed_at = timezone.now()
        referral.closed_reason = gettext_noop("The consent it relied on was withdrawn.")
        _transition(
            referral,
            Referral.Action.CANCEL,
            actor=actor,
            actor_agency_id=referral.from_agency_id,
            kind=ReferralEvent.Kind.CANCELLED,
            note=referral.closed_reason,
            fields=["closed_at", "closed_reason"],
        )
        _close_to_partner(referral, ReferralEvent.Kind.CANCELLED, tell_sender=True)
    # A completed referral stays completed, but the partner no longer reads the
    # packet the client has stopped agreeing to share.
    completed = Referral.objects.filter(consent=consent, state=Referral.State.COMPLETED)
    for referral in completed.select_related("case__assigned_to", "from_user"):
        _event(
            referral,
            ReferralEvent.Kind.ACCESS_REVOKED,
            actor,
            referral.from_agency_id,
            gettext_noop("The consent it relied on was withdrawn."),
        )
        _close_to_partner(referral, ReferralEvent.Kind.ACCESS_REVOKED, tell_sender=True)


# --- Messages --------------------------------------------------------------------------


@transaction.atomic
def post_referral_message(*, actor: User, referral_id, body: str) -> ReferralMessage:
    """Write on a referral's conversation (MESSAGE_REFERRAL, either side) while
    both agencies hold it (sent, accepted, completed); the other side is told."""
    referral = get_referral_for(actor, referral_id, Perm.MESSAGE_REFERRAL, lock=True)
    body = _text(body, "body", required=True, max_length=MESSAGE_MAX_LENGTH)
    if referral.state not in MESSAGE_STATES:
        raise Conflict(
            _("This referral is %(state)s: messages are closed.")
            % {"state": referral.get_state_display().lower()},
            code="messages_closed",
        )
    sender_side = actor.has_perm(Perm.SEND_REFERRAL, referral)
    message = ReferralMessage(
        referral=referral,
        author=actor,
        author_agency_id=referral.from_agency_id if sender_side else referral.to_agency_id,
        body=body,
    )
    save_with_history(message, actor=actor, reason=gettext_noop("message written"))
    recipients = _receivers(referral) if sender_side else _senders(referral)
    notify(referral, "message", [user for user in recipients if user.pk != actor.pk])
    return message


# --- Opening the partner's own case ---------------------------------------------------

_CASE_TYPE_OF_SERVICE = {
    ServiceCategory.LEGAL: Case.Type.ASYLUM_LEGAL,
    ServiceCategory.HOUSING: Case.Type.HOUSING,
    ServiceCategory.HEALTH: Case.Type.HEALTH,
    ServiceCategory.MENTAL_HEALTH: Case.Type.HEALTH,
    ServiceCategory.EDUCATION: Case.Type.EDUCATION,
    ServiceCategory.EMPLOYMENT: Case.Type.EMPLOYMENT,
    ServiceCategory.LANGUAGE: Case.Type.LANGUAGE,
    ServiceCategory.SOCIAL: Case.Type.SOCIAL_SUPPORT,
    ServiceCategory.CHILD_PROTECTION: Case.Type.CHILD_PROTECTION,
    ServiceCategory.GBV: Case.Type.GBV,
    ServiceCategory.FOOD: Case.Type.SOCIAL_SUPPORT,
}

# The packet sections that become the partner's own client record (the
# identity documents and special-category data are written separately).
_PACKET_CLIENT_FIELDS = {
    category: tuple(name for name in SECTION_FIELDS[category] if name != "identity_documents")
    for category in (
        DataCategory.IDENTITY,
        DataCategory.CONTACT,
        DataCategory.LEGAL_STATUS,
        DataCategory.FAMILY,
        DataCategory.EDUCATION_EMPLOYMENT,
    )
}


@transaction.atomic
def open_case_from_referral(
    *, actor: User, referral_id, assigned_to: User | None, case_type: str = ""
) -> Case:
    """The receiving agency registers the client from the packet (only what
    the packet holds) and opens its own case, assigned to one of its
    caseworkers, linked to the referral (RESPOND_REFERRAL; the referral must
    be accepted or completed, once). The assignee may then read the packet."""
    referral = get_referral_for(actor, referral_id, Perm.RESPOND_REFERRAL, lock=True)
    if referral.state not in (Referral.State.ACCEPTED, Referral.State.COMPLETED):
        raise Conflict(
            _("This referral is %(state)s: accept it before opening a case.")
            % {"state": referral.get_state_display().lower()},
            code="invalid_transition",
        )
    if referral.receiving_case_id is not None:
        raise Conflict(_("A case was already opened for this referral."), code="case_exists")
    packet = ReferralPacket.objects.get(referral=referral)
    if DataCategory.IDENTITY not in packet.data:
        raise Conflict(
            _("The packet holds no identity data: a client cannot be registered from it."),
            code="packet_without_identity",
        )
    if assigned_to is None:
        raise InvalidInput(_("Choose who takes the case."), code="required", field="assigned_to")
    check_assignee(referral.to_agency_id, assigned_to)
    if case_type:
        case_type = _choice(case_type, Case.Type.values, "case_type")
    else:
        case_type = _CASE_TYPE_OF_SERVICE.get(referral.service_category, Case.Type.OTHER)
    agency = Agency.objects.get(pk=referral.to_agency_id)
    values: dict[str, Any] = {}
    for category, names in _PACKET_CLIENT_FIELDS.items():
        section = packet.data.get(category)
        if section:
            values.update({name: section[name] for name in names if name in section})
    if values.get("date_of_birth"):
        values["date_of_birth"] = parse_date(values["date_of_birth"])
    client = validated_client(Client(agency=agency, registered_by=actor, **values))
    reason = gettext_noop("registered from a referral")
    save_with_history(client, actor=actor, reason=reason)
    for index, document in enumerate(packet.data[DataCategory.IDENTITY]["identity_documents"]):
        identity_document = _identity_document(client, dict(document), f"documents.{index}.")
        save_with_history(identity_document, actor=actor, reason=reason)
    health = packet.data.get(DataCategory.HEALTH)
    if health:
        sensitive = ClientSensitive(client=client, **health)
        save_with_history(sensitive, actor=actor, reason=reason)
    case = Case(
        agency=agency,
        client=client,
        case_type=case_type,
        summary=referral.purpose,
        assigned_to=assigned_to,
        created_by=actor,
    )
    case.full_clean(exclude=["number"])
    case.number = _next_case_number(agency, timezone.now().year)
    save_with_history(case, actor=actor, reason=reason)
    referral.receiving_case = case
    referral.version += 1
    save_with_history(
        referral,
        actor=actor,
        reason=gettext_noop("case opened from referral"),
        update_fields=["receiving_case", "version"],
    )
    grant_case_owner_access(referral, assigned_to)
    _event(referral, ReferralEvent.Kind.CASE_OPENED, actor, referral.to_agency_id)
    notify(referral, ReferralEvent.Kind.CASE_OPENED, _senders(referral))
    return case
