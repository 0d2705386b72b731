"""Case services: open, update, assign, restrict, hold, close, reopen.

The state rules (which status allows which change) are properties of ``Case``
(``can_be_closed``…): these services enforce them on the locked row, and
``casework.selectors.case_actions_for`` reads the same ones for the pages."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.audit import save_with_history
from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.services import notify_users
from casework.models import (
    Case,
    CaseCounter,
    Client,
    FollowUp,
)
from casework.selectors import (
    assignable_members,
    get_case_for,
    get_client_for,
    is_uuid,
)
from casework.services.common import (
    CASE_EDIT_FIELDS,
    TRUSTED_LINKS,
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
    opened_at: datetime | None = None,
) -> Case:
    """Write a new case of ``client`` in the client's agency, validated, with
    the next number ``<AGENCY>-<YEAR>-<SEQ>`` (the agency's counter is
    locked), saved with history under ``reason``; the client's restriction
    follows its cases. No permission check: for a use case that checked its
    own and the assignee (``open_case``: ADD_CASE…; referrals' intake:
    RESPOND_REFERRAL on the referral). Call inside its transaction."""
    require_caller_transaction()
    agency = client.agency
    case = validate_new_case(
        actor=actor,
        client=client,
        case_type=case_type,
        risk_level=risk_level,
        summary=summary,
        assigned_to=assigned_to,
        is_restricted=is_restricted,
    )
    if opened_at is not None:
        case.opened_at = opened_at
    case.number = _next_case_number(agency, timezone.now().year)
    save_with_history(case, actor=actor, reason=reason)
    _refresh_client_restriction(actor, client)
    return case


def validate_new_case(
    *,
    actor: User,
    client: Client,
    case_type: str,
    assigned_to: User | None,
    risk_level: str = Case.Risk.LOW,
    summary: str = "",
    is_restricted: bool = False,
    trusted_links: bool = False,
) -> Case:
    """The case ``save_new_case`` would write, validated, unsaved and without
    its number: a ValidationError naming every wrong field. The client may be
    unsaved (the spreadsheet import's dry run checks a new client's case).
    ``trusted_links``: see ``common.TRUSTED_LINKS``; the assignee too, which
    the caller checked among the agency's assignable members."""
    case = Case(
        agency=client.agency,
        client=client,
        case_type=case_type,
        risk_level=risk_level,
        summary=summary,
        assigned_to=assigned_to,
        is_restricted=is_restricted,
        created_by=actor,
    )
    exclude = ["number", "client"] if client._state.adding else ["number"]
    if trusted_links:
        exclude += [*TRUSTED_LINKS, "assigned_to"]
    # A new case is open: its one constraint (a closed case has a reason) holds;
    # checking it costs a query, which the import would pay on every row.
    case.full_clean(
        exclude=exclude, validate_unique=not trusted_links, validate_constraints=not trusted_links
    )
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


# The most cases one bulk reassignment takes (a page of the case list).
MAX_BULK_ASSIGN = 100

_ASSIGNED_NOTICE = gettext_noop("Case %(number)s of %(agency)s was assigned to you.")
_UNASSIGNED_NOTICE = gettext_noop(
    "Case %(number)s of %(agency)s was reassigned: it is no longer assigned to you."
)


def _move_open_follow_ups(actor: User, case: Case, previous: User, assignee: User) -> int:
    """Hand the previous assignee's open follow-ups of ``case`` to the new one
    (locked, one history row each); returns how many moved. Done follow-ups
    and those of other people stay as they are."""
    moved = 0
    follow_ups = FollowUp.objects.select_for_update().filter(
        case=case, assigned_to=previous, done_at__isnull=True
    )
    for follow_up in follow_ups.order_by("due_on", "id"):
        follow_up.assigned_to = assignee
        save_with_history(
            follow_up,
            actor=actor,
            reason=gettext_noop("follow-up moved with the case"),
            update_fields=["assigned_to"],
        )
        moved += 1
    return moved


def _notify_reassignment(actor: User, case: Case, previous: User | None, assignee: User) -> None:
    """Tell the new and the previous assignee (never the actor of their own
    action, never an inactive user). The notice names the case number and the
    agency only: notices are read on shared screens and sent by e-mail."""
    values = {"number": case.number, "agency": case.agency.name}
    url = reverse("casework:case_detail", args=[case.pk])
    if assignee.pk != actor.pk and assignee.is_active:
        notify_users(
            [assignee], kind="case.assigned", text=_ASSIGNED_NOTICE, values=values, url=url
        )
    if previous is not None and previous.pk != actor.pk and previous.is_active:
        notify_users(
            [previous], kind="case.unassigned", text=_UNASSIGNED_NOTICE, values=values, url=url
        )


def _reassign(actor: User, case: Case, assignee: User, reason: str) -> Case:
    """Assign a case already locked and checked (ASSIGN_CASE, assignee) to
    ``assignee``: its open follow-ups of the previous assignee move with it,
    both people are told. Assigning to the current assignee changes nothing.
    Sets ``case.follow_ups_moved`` (how many follow-ups moved)."""
    if not case.can_be_assigned:
        raise Conflict(
            _("Case %(number)s is %(status)s; it cannot be reassigned now.")
            % {"number": case.number, "status": case.get_status_display().lower()},
            code="invalid_transition",
        )
    previous = case.assigned_to
    case.follow_ups_moved = 0
    if previous is not None and previous.pk == assignee.pk:
        return case
    case.assigned_to = assignee
    case.version += 1
    save_with_history(case, actor=actor, reason=reason or gettext_noop("case reassigned"))
    if previous is not None:
        case.follow_ups_moved = _move_open_follow_ups(actor, case, previous, assignee)
    _notify_reassignment(actor, case, previous, assignee)
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
    of its agency. Needs ASSIGN_CASE (supervisors). In the same transaction the
    previous assignee's open follow-ups of the case move to the new one (with
    history); the new and the previous assignee are notified (in-app and by
    e-mail after the commit), unless they are the actor. Assigning to the
    current assignee changes nothing. ``case.follow_ups_moved`` tells how many
    follow-ups moved."""
    case = _locked_case(actor, case_id, expected_version)
    _require_case_perm(actor, Perm.ASSIGN_CASE, case)
    check_assignee(case.agency_id, assignee, field="assignee")
    return _reassign(actor, case, assignee, reason)


def _bulk_case_ids(case_ids: Any) -> list[str]:
    """The distinct ids of a bulk request, in the order given; InvalidInput at
    ``cases`` unless a non-empty list of at most ``MAX_BULK_ASSIGN``."""
    if not isinstance(case_ids, list | tuple) or not case_ids:
        raise InvalidInput(_("Choose at least one case."), code="required", field="cases")
    distinct = list(
        dict.fromkeys(
            str(UUID(str(case_id))) if is_uuid(case_id) else str(case_id) for case_id in case_ids
        )
    )
    if len(distinct) > MAX_BULK_ASSIGN:
        raise InvalidInput(
            ngettext(
                "Reassign at most %(max)d case at once.",
                "Reassign at most %(max)d cases at once.",
                MAX_BULK_ASSIGN,
            )
            % {"max": MAX_BULK_ASSIGN},
            code="too_many",
            field="cases",
        )
    return distinct


@transaction.atomic
def assign_cases(
    *,
    actor: User,
    case_ids: list[UUID | str],
    assigned_to: User,
    reason: str = "",
) -> list[Case]:
    """Reassign several cases to one person, all or nothing. Every case is
    locked (in id order, so two bulk requests cannot deadlock) and must be
    visible to the actor (else 404, before any permission is looked at), then
    needs ASSIGN_CASE (403), an assignable state (409) and ``assigned_to``
    must be an active caseworker or supervisor of its agency (400 at
    ``assigned_to``). Each case is reassigned as ``assign_case`` does it: open
    follow-ups move, both assignees are told. Returns the cases in the order
    given; a case already assigned to that person is left unchanged."""
    ids = _bulk_case_ids(case_ids)
    reason = require_text(reason, "reason", required=False)
    locked = {str(case_id): _locked_case(actor, case_id, None) for case_id in sorted(ids)}
    cases = [locked[case_id] for case_id in ids]
    for case in cases:
        _require_case_perm(actor, Perm.ASSIGN_CASE, case)
    for agency_id in dict.fromkeys(case.agency_id for case in cases):
        check_assignee(agency_id, assigned_to)
    return [_reassign(actor, case, assigned_to, reason) for case in cases]


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
