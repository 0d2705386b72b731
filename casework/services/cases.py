"""Case services: open, update, assign, restrict, hold, close, reopen.

The state rules (which status allows which change) are properties of ``Case``
(``can_be_closed``…): these services enforce them on the locked row, and
``casework.selectors.case_actions_for`` reads the same ones for the pages."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.models import Agency, User
from accounts.permissions import Perm
from casework.models import (
    Case,
    CaseCounter,
    Client,
)
from casework.selectors import (
    assignable_members,
    get_case_for,
    get_client_for,
)
from casework.services.common import (
    CASE_EDIT_FIELDS,
    ExpectedVersion,
    check_version,
    require_bool,
    require_caller_transaction,
    require_mapping,
    require_text,
    unknown_fields,
)
from config.errors import Conflict, Forbidden, InvalidInput


def _next_case_number(agency: Agency, year: int) -> str:
    counter, _created = CaseCounter.objects.select_for_update().get_or_create(
        agency=agency, year=year
    )
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return f"{agency.slug.upper()}-{year}-{counter.last_value:05d}"


def check_assignee(
    case_agency_id: UUID | Agency, assignee: User | None, field: str = "assigned_to"
) -> None:
    """InvalidInput at ``field`` unless ``assignee`` (when given) is an active
    caseworker or supervisor of the case's agency. A check, no write."""
    if assignee is None:
        return
    if not assignable_members(case_agency_id).filter(user=assignee).exists():
        raise InvalidInput(
            _("Choose an active caseworker or supervisor of the case's agency."),
            code="invalid_assignee",
            field=field,
        )


def _refresh_client_restriction(actor: User, client: Client) -> None:
    """A client all of whose cases are restricted is restricted too."""
    statuses = list(Case.objects.filter(client=client).values_list("is_restricted", flat=True))
    restricted = bool(statuses) and all(statuses)
    if client.is_restricted != restricted:
        client.is_restricted = restricted
        save_with_history(
            client,
            actor=actor,
            reason=gettext_noop("restriction follows its cases"),
            update_fields=["is_restricted"],
        )


@transaction.atomic
def open_case(
    *,
    actor: User,
    client_id: UUID | str,
    case_type: str,
    risk_level: str = Case.Risk.LOW,
    summary: str = "",
    assigned_to: User | None = None,
    is_restricted: bool = False,
) -> Case:
    """Open a case for a visible client, in the client's agency. Needs ADD_CASE
    there. The case gets the next number ``<AGENCY>-<YEAR>-<SEQ>`` and, unless
    told otherwise, is assigned to the actor. Assigning someone else needs
    ASSIGN_CASE; restricting needs RESTRICT_CASE."""
    require_bool(is_restricted, "is_restricted")
    client = get_client_for(actor, client_id, lock=True)
    agency = client.agency
    if not actor.has_perm(Perm.ADD_CASE, agency):
        raise Forbidden()
    if is_restricted and not actor.has_perm(Perm.RESTRICT_CASE, agency):
        raise Forbidden(_("Only a supervisor may open a restricted case."))
    assignee = assigned_to or actor
    check_assignee(agency.pk, assignee)
    if assignee != actor and not actor.has_perm(Perm.ASSIGN_CASE, agency):
        raise Forbidden(_("Only a supervisor may assign a case to someone else."))
    return save_new_case(
        actor=actor,
        client=client,
        case_type=case_type,
        risk_level=risk_level,
        summary=summary,
        assigned_to=assignee,
        is_restricted=is_restricted,
        reason=gettext_noop("case opened"),
    )


def save_new_case(
    *,
    actor: User,
    client: Client,
    case_type: str,
    assigned_to: User,
    reason: str,
    risk_level: str = Case.Risk.LOW,
    summary: str = "",
    is_restricted: bool = False,
) -> Case:
    """Write a new case of ``client`` in the client's agency, validated, with
    the next number ``<AGENCY>-<YEAR>-<SEQ>`` (the agency's counter is
    locked), saved with history under ``reason``; the client's restriction
    follows its cases. No permission check: for a use case that checked its
    own and the assignee (``open_case``: ADD_CASE…; referrals' intake:
    RESPOND_REFERRAL on the referral). Call inside its transaction."""
    require_caller_transaction()
    agency = client.agency
    case = Case(
        agency=agency,
        client=client,
        case_type=case_type,
        risk_level=risk_level,
        summary=summary,
        assigned_to=assigned_to,
        is_restricted=is_restricted,
        created_by=actor,
    )
    case.full_clean(exclude=["number"])
    case.number = _next_case_number(agency, timezone.now().year)
    save_with_history(case, actor=actor, reason=reason)
    _refresh_client_restriction(actor, client)
    return case


@transaction.atomic
def update_case(
    *,
    actor: User,
    case_id: UUID | str,
    expected_version: ExpectedVersion,
    changes: dict[str, Any],
    reason: str = "",
) -> Case:
    """Edit a case's type, risk level and summary. Needs CHANGE_CASE; the case
    must not be closed (409 ``case_closed``). A stale ``expected_version``
    raises PreconditionFailed (412) and changes nothing. Writes the history."""
    unknown_fields(require_mapping(changes, "changes"), CASE_EDIT_FIELDS)
    case = get_case_for(actor, case_id, Perm.CHANGE_CASE, lock=True)
    check_version(case, expected_version)
    if not case.can_be_edited:
        raise Conflict(_("The case is closed. Reopen it first."), code="case_closed")
    for name, value in changes.items():
        setattr(case, name, value)
    case.version += 1
    save_with_history(case, actor=actor, reason=reason or gettext_noop("case updated"))
    return case


def _locked_case(actor: User, case_id: UUID | str, expected_version: ExpectedVersion) -> Case:
    case = get_case_for(actor, case_id, lock=True)
    if expected_version is not None:
        check_version(case, expected_version)
    return case


def _require_case_perm(actor: User, perm: Perm, case: Case) -> None:
    if not actor.has_perm(perm, case):
        raise Forbidden()


def _change_status(
    actor: User, case: Case, allowed: bool, apply: Callable[[Case], None], reason: str
) -> Case:
    """Apply a state change to a case already locked and checked; ``allowed`` is
    the case's state rule for it (a ``Case.can_be_*`` property)."""
    if not allowed:
        raise Conflict(
            _("The case is %(status)s; this is not possible now.")
            % {"status": case.get_status_display().lower()},
            code="invalid_transition",
        )
    apply(case)
    case.version += 1
    save_with_history(case, actor=actor, reason=reason)
    return case


@transaction.atomic
def assign_case(
    *,
    actor: User,
    case_id: UUID | str,
    assignee: User,
    expected_version: ExpectedVersion = None,
    reason: str = "",
) -> Case:
    """Reassign an open or on-hold case to an active caseworker or supervisor
    of its agency. Needs ASSIGN_CASE (supervisors). Writes the history."""
    case = _locked_case(actor, case_id, expected_version)
    _require_case_perm(actor, Perm.ASSIGN_CASE, case)
    check_assignee(case.agency_id, assignee, field="assignee")

    def apply(c: Case) -> None:
        c.assigned_to = assignee

    return _change_status(
        actor, case, case.can_be_assigned, apply, reason or gettext_noop("case reassigned")
    )


@transaction.atomic
def set_case_restricted(
    *,
    actor: User,
    case_id: UUID | str,
    restricted: bool,
    reason: str = "",
    expected_version: ExpectedVersion = None,
) -> Case:
    """Restrict a case to its assigned caseworker and supervisors, or lift the
    restriction (in any state). Needs RESTRICT_CASE (supervisors). Writes the
    history; the client follows (restricted when all its cases are)."""
    require_bool(restricted, "restricted")
    case = _locked_case(actor, case_id, expected_version)
    _require_case_perm(actor, Perm.RESTRICT_CASE, case)
    if case.is_restricted == restricted:
        return case
    case.is_restricted = restricted
    case.version += 1
    save_with_history(
        case,
        actor=actor,
        reason=reason
        or (gettext_noop("case restricted") if restricted else gettext_noop("restriction lifted")),
    )
    _refresh_client_restriction(actor, case.client)
    return case


@transaction.atomic
def put_case_on_hold(
    *, actor: User, case_id: UUID | str, reason: str, expected_version: ExpectedVersion = None
) -> Case:
    """Pause an open case. Needs CHANGE_CASE; a reason is required (kept in the
    history)."""
    reason = require_text(reason, "reason")
    case = _locked_case(actor, case_id, expected_version)
    _require_case_perm(actor, Perm.CHANGE_CASE, case)

    def apply(c: Case) -> None:
        c.status = Case.Status.ON_HOLD

    return _change_status(actor, case, case.can_be_put_on_hold, apply, reason)


@transaction.atomic
def close_case(
    *,
    actor: User,
    case_id: UUID | str,
    closure_reason: str,
    note: str = "",
    expected_version: ExpectedVersion = None,
) -> Case:
    """Close an open or on-hold case with a reason. Needs CLOSE_CASE. Writes
    the history (the note, or the closure reason)."""
    if closure_reason not in Case.ClosureReason.values:
        raise InvalidInput(
            _("Choose a closure reason."), code="invalid_choice", field="closure_reason"
        )
    note = require_text(note, "note", required=False)
    case = _locked_case(actor, case_id, expected_version)
    _require_case_perm(actor, Perm.CLOSE_CASE, case)

    def apply(c: Case) -> None:
        c.status = Case.Status.CLOSED
        c.closure_reason = closure_reason
        c.closed_at = timezone.now()

    return _change_status(
        actor, case, case.can_be_closed, apply, note or f"closed: {closure_reason}"
    )


@transaction.atomic
def reopen_case(
    *, actor: User, case_id: UUID | str, reason: str, expected_version: ExpectedVersion = None
) -> Case:
    """Reopen a closed or on-hold case. Needs ``Case.reopen_permission``
    (CLOSE_CASE for a closed case, CHANGE_CASE for one on hold), decided on the
    locked row; a reason is required (kept in the history)."""
    reason = require_text(reason, "reason")
    case = _locked_case(actor, case_id, expected_version)
    _require_case_perm(actor, case.reopen_permission, case)

    def apply(c: Case) -> None:
        c.status = Case.Status.OPEN
        c.closure_reason = ""
        c.closed_at = None

    return _change_status(actor, case, case.can_be_reopened, apply, reason)
