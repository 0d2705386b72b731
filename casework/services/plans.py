"""Integration plans: goals, actions, the client's agreement, and what a
referral carrying out an action reports back.

Every write locks the case (one writer of a case's plan at a time, so the
plan's version counts every change once) and then the row it changes; a
stale ``expected_version`` of a goal or action is a 412 and changes nothing.
A change of what the plan says (a goal or action added, reworded, re-dated,
handed to someone else or dropped) makes a new version of the plan, which
waits for the client's agreement (``record_plan_agreement``). Progress (an
action started, done or blocked; a goal achieved) is not a new version.
"""

import datetime
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
    SPECIAL_DOMAINS,
    Case,
    CaseNote,
    Document,
    IntegrationPlan,
    PlanAction,
    PlanAgreement,
    PlanDomain,
    PlanGoal,
)
from casework.selectors import get_case_for, is_uuid
from casework.selectors.case_items import documents_visible_to, notes_visible_to
from casework.selectors.plans import actions_visible_to, get_action_for, get_goal_for
from casework.services.cases import check_assignee
from casework.services.common import (
    ExpectedVersion,
    check_version,
    require_caller_transaction,
    require_mapping,
    require_text,
    unknown_fields,
)
from config.errors import Conflict, Forbidden, InvalidInput

GOAL_FIELDS = ("domain", "statement", "statement_client", "target_date", "priority", "status")
ACTION_FIELDS = (
    "description",
    "responsible",
    "responsible_user",
    "responsible_agency",
    "due_on",
    "status",
    "evidence_document",
    "evidence_note",
)
# Changes of these make a new version of the plan; the rest is progress.
_GOAL_CONTENT = frozenset({"domain", "statement", "statement_client", "target_date", "priority"})
_ACTION_CONTENT_COLUMNS = (
    "description",
    "responsible",
    "responsible_user_id",
    "responsible_agency_id",
    "due_on",
)
TEXT_MAX_LENGTH = 2000


# --- Input -----------------------------------------------------------------------------


def _choice(value: Any, choices, field: str) -> str:
    if value not in choices.values:
        raise InvalidInput(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)},
            code="invalid_choice",
            field=field,
        )
    return value


def _text(value: Any, field: str, *, required: bool) -> str:
    text = require_text(value if value is not None else "", field, required=required)
    if len(text) > TEXT_MAX_LENGTH:
        raise InvalidInput(
            _("At most %(count)d characters.") % {"count": TEXT_MAX_LENGTH},
            code="max_length",
            field=field,
        )
    return text


def _date(value: Any, field: str, *, past_allowed: bool = False) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise InvalidInput(_("Enter a valid date."), code="invalid", field=field)
    if not past_allowed and value < timezone.localdate():
        raise InvalidInput(_("The date cannot be in the past."), code="past", field=field)
    return value


def _require_changeable(case: Case) -> None:
    if not case.can_be_edited:
        raise Conflict(_("The case is closed. Reopen it first."), code="case_closed")


def _require_domain_allowed(actor: User, case: Case, domain: str) -> None:
    if domain in SPECIAL_DOMAINS and not actor.has_perm(Perm.VIEW_SENSITIVE, case):
        raise Forbidden(
            _("Only the assigned caseworker and supervisors may write goals about health.")
        )


def _new_version(plan: IntegrationPlan, actor: User, reason: str) -> None:
    plan.version += 1
    save_with_history(plan, actor=actor, reason=reason, update_fields=["version"])


def _locked_plan(case: Case) -> IntegrationPlan | None:
    return IntegrationPlan.objects.select_for_update().filter(case=case).first()


# --- Goals -----------------------------------------------------------------------------


@transaction.atomic
def add_goal(
    *,
    actor: User,
    case_id: UUID | str,
    domain: str,
    statement: str,
    statement_client: str = "",
    target_date: datetime.date | str | None = None,
    priority: str = PlanGoal.Priority.MEDIUM,
) -> PlanGoal:
    """Add a goal to the case's plan, drawing the plan up with its first goal
    (v1) or making a new version. Needs CHANGE_PLAN on an open case (409
    ``case_closed``); a goal about health also VIEW_SENSITIVE (403). The
    target date may not be in the past. Writes the history."""
    case = get_case_for(actor, case_id, Perm.CHANGE_PLAN, lock=True)
    _require_changeable(case)
    domain = _choice(domain, PlanDomain, "domain")
    _require_domain_allowed(actor, case, domain)
    goal_fields = {
        "domain": domain,
        "statement": _text(statement, "statement", required=True),
        "statement_client": _text(statement_client, "statement_client", required=False),
        "target_date": _date(target_date, "target_date"),
        "priority": _choice(priority, PlanGoal.Priority, "priority"),
    }
    plan = _locked_plan(case)
    if plan is None:
        languages = case.client.languages or []
        plan = IntegrationPlan(
            case=case, created_by=actor, client_language=languages[0] if languages else ""
        )
        save_with_history(plan, actor=actor, reason=gettext_noop("plan drawn up"))
    else:
        _new_version(plan, actor, gettext_noop("goal added"))
    goal = PlanGoal(plan=plan, case=case, created_by=actor, **goal_fields)
    save_with_history(goal, actor=actor, reason=gettext_noop("goal added"))
    return goal


@transaction.atomic
def update_goal(
    *,
    actor: User,
    case_id: UUID | str,
    goal_id: UUID | str,
    expected_version: ExpectedVersion,
    changes: dict[str, Any],
    reason: str = "",
) -> PlanGoal:
    """Change a goal: its wording, domain, target date, priority, or its status
    (achieved; dropped with a ``reason``, 400 without; active again). Needs
    CHANGE_PLAN on an open case. A stale ``expected_version`` is 412. A change
    of what the goal says, or dropping it, makes a new version of the plan.
    Writes the history."""
    unknown_fields(require_mapping(changes, "changes"), GOAL_FIELDS)
    case, goal = get_goal_for(actor, case_id, goal_id, Perm.CHANGE_PLAN, lock=True)
    check_version(goal, expected_version)
    _require_changeable(case)
    reason = _text(reason, "reason", required=False)
    before = {name: getattr(goal, name) for name in _GOAL_CONTENT}
    if "domain" in changes:
        goal.domain = _choice(changes["domain"], PlanDomain, "domain")
        _require_domain_allowed(actor, case, goal.domain)
    if "statement" in changes:
        goal.statement = _text(changes["statement"], "statement", required=True)
    if "statement_client" in changes:
        goal.statement_client = _text(
            changes["statement_client"], "statement_client", required=False
        )
    if "target_date" in changes:
        goal.target_date = _date(changes["target_date"], "target_date")
    if "priority" in changes:
        goal.priority = _choice(changes["priority"], PlanGoal.Priority, "priority")
    # Only a value that differs is a change (a form or PATCH may send them all).
    content = any(getattr(goal, name) != value for name, value in before.items())
    if "status" in changes:
        status = _choice(changes["status"], PlanGoal.Status, "status")
        if status == PlanGoal.Status.DROPPED and not reason:
            raise InvalidInput(
                _("Say why the goal is dropped."), code="reason_required", field="reason"
            )
        # Dropping a goal, or taking it up again, changes what the plan says.
        content = content or (
            status != goal.status and PlanGoal.Status.DROPPED in (status, goal.status)
        )
        if status == PlanGoal.Status.DROPPED and goal.status != status:
            _drop_open_actions(goal, actor, reason)
        goal.status = status
        goal.status_reason = reason if status != PlanGoal.Status.ACTIVE else ""
    goal.version += 1
    if content:
        _new_version(_locked_plan(case), actor, gettext_noop("goal changed"))
    save_with_history(goal, actor=actor, reason=reason or gettext_noop("goal changed"))
    return goal


def _drop_open_actions(goal: PlanGoal, actor: User, reason: str) -> None:
    """A dropped goal drops its open actions with it, unless a referral is
    carrying one out (409 ``action_referred``: withdraw it first)."""
    actions = list(
        PlanAction.objects.select_for_update()
        .filter(goal=goal, status__in=PlanAction.OPEN_STATUSES)
        .order_by("created_at", "id")
    )
    if any(action.is_referred for action in actions):
        raise Conflict(
            _("A referral is carrying out an action of this goal; withdraw it first."),
            code="action_referred",
        )
    for action in actions:
        action.status = PlanAction.Status.DROPPED
        action.status_reason = reason
        action.progressed_at = timezone.now()
        action.version += 1
        save_with_history(
            action,
            actor=actor,
            reason=gettext_noop("goal dropped"),
            update_fields=["status", "status_reason", "progressed_at", "version"],
        )


# --- Actions ---------------------------------------------------------------------------


def _responsible(
    case: Case,
    responsible: str,
    user_id: UUID | str | None,
    agency_id: UUID | str | None,
) -> tuple[str, User | None, Agency | None]:
    """The responsible kind with its staff member or partner agency, checked:
    a staff member is an active caseworker or supervisor of the case's agency,
    a partner agency is another agency."""
    responsible = _choice(responsible, PlanAction.Responsible, "responsible")
    if responsible == PlanAction.Responsible.STAFF:
        user = User.objects.filter(pk=user_id).first() if is_uuid(user_id) else None
        if user is None:
            raise InvalidInput(
                _("Choose a staff member of the agency."),
                code="required",
                field="responsible_user",
            )
        check_assignee(case.agency_id, user, field="responsible_user")
        return responsible, user, None
    if responsible == PlanAction.Responsible.PARTNER:
        agency = Agency.objects.filter(pk=agency_id).first() if is_uuid(agency_id) else None
        if agency is None or agency.pk == case.agency_id:
            raise InvalidInput(
                _("Choose another agency."), code="required", field="responsible_agency"
            )
        return responsible, None, agency
    return responsible, None, None


def _evidence_document(actor: User, case: Case, document_id) -> Document | None:
    if document_id in (None, ""):
        return None
    document = (
        documents_visible_to(actor, case).filter(pk=document_id).first()
        if is_uuid(document_id)
        else None
    )
    if document is None:
        raise InvalidInput(
            _("Choose a document of this case."), code="invalid", field="evidence_document"
        )
    return document


def _evidence_note(actor: User, case: Case, note_id) -> CaseNote | None:
    if note_id in (None, ""):
        return None
    note = notes_visible_to(actor, case).filter(pk=note_id).first() if is_uuid(note_id) else None
    if note is None:
        raise InvalidInput(_("Choose a note of this case."), code="invalid", field="evidence_note")
    return note


def _achieve_goal_when_done(goal: PlanGoal, actor: User | None) -> None:
    """An active goal all of whose actions (dropped ones aside) are done is
    achieved."""
    if goal.status != PlanGoal.Status.ACTIVE:
        return
    # Locked, then read again: a referral's answer (follow_referral) does not
    # lock the case, so the goal may have been dropped, or given another
    # action, since it was read.
    goal = PlanGoal.objects.select_for_update().get(pk=goal.pk)
    if goal.status != PlanGoal.Status.ACTIVE:
        return
    statuses = set(
        PlanAction.objects.filter(goal=goal)
        .exclude(status=PlanAction.Status.DROPPED)
        .values_list("status", flat=True)
    )
    if statuses == {PlanAction.Status.DONE}:
        goal.status = PlanGoal.Status.ACHIEVED
        goal.version += 1
        save_with_history(
            goal,
            actor=actor,
            reason=gettext_noop("every action done"),
            update_fields=["status", "version"],
        )


def _reopen_goal(goal: PlanGoal, actor: User) -> None:
    """A goal achieved because its actions were done is active again when one
    of them is no longer done."""
    goal = PlanGoal.objects.select_for_update().get(pk=goal.pk)
    if goal.status != PlanGoal.Status.ACHIEVED:
        return
    goal.status = PlanGoal.Status.ACTIVE
    goal.status_reason = ""
    goal.version += 1
    save_with_history(
        goal,
        actor=actor,
        reason=gettext_noop("an action is no longer done"),
        update_fields=["status", "status_reason", "version"],
    )


@transaction.atomic
def add_action(
    *,
    actor: User,
    case_id: UUID | str,
    goal_id: UUID | str,
    description: str,
    responsible: str,
    responsible_user: UUID | str | None = None,
    responsible_agency: UUID | str | None = None,
    due_on: datetime.date | str | None = None,
) -> PlanAction:
    """Add an action under a goal the actor sees: what, who is responsible
    (the client, a staff member of the agency, or a partner agency), due
    date. Needs CHANGE_PLAN on an open case; the goal must be active (409
    ``goal_closed``). Makes a new version of the plan. Writes the history."""
    case, goal = get_goal_for(actor, case_id, goal_id, Perm.CHANGE_PLAN, lock=True)
    _require_changeable(case)
    if not goal.is_open:
        raise Conflict(_("The goal is achieved or dropped."), code="goal_closed")
    description = _text(description, "description", required=True)
    kind, user, agency = _responsible(case, responsible, responsible_user, responsible_agency)
    action = PlanAction(
        goal=goal,
        case=case,
        description=description,
        responsible=kind,
        responsible_user=user,
        responsible_agency=agency,
        due_on=_date(due_on, "due_on"),
        created_by=actor,
    )
    _new_version(_locked_plan(case), actor, gettext_noop("action added"))
    save_with_history(action, actor=actor, reason=gettext_noop("action added"))
    return action


@transaction.atomic
def update_action(
    *,
    actor: User,
    case_id: UUID | str,
    action_id: UUID | str,
    expected_version: ExpectedVersion,
    changes: dict[str, Any],
    reason: str = "",
) -> PlanAction:
    """Change an action: what, who, due date (a new version of the plan), or
    its progress: status (planned, in progress, done; dropped or blocked with
    a ``reason``), evidence (a document or a note of the case). Needs
    CHANGE_PLAN on an open case. A stale ``expected_version`` is 412 and
    changes nothing. While a referral carries the action out, who is
    responsible does not change (409 ``action_referred``). An action done
    whose goal has nothing else left achieves the goal. Writes the history."""
    unknown_fields(require_mapping(changes, "changes"), ACTION_FIELDS)
    case, action = get_action_for(actor, case_id, action_id, Perm.CHANGE_PLAN, lock=True)
    check_version(action, expected_version)
    _require_changeable(case)
    reason = _text(reason, "reason", required=False)
    before = {name: getattr(action, name) for name in _ACTION_CONTENT_COLUMNS}
    if "description" in changes:
        action.description = _text(changes["description"], "description", required=True)
    if {"responsible", "responsible_user", "responsible_agency"} & set(changes):
        kind, user, agency = _responsible(
            case,
            changes.get("responsible", action.responsible),
            changes.get("responsible_user", action.responsible_user_id),
            changes.get("responsible_agency", action.responsible_agency_id),
        )
        handed_over = (kind, user and user.pk, agency and agency.pk) != (
            action.responsible,
            action.responsible_user_id,
            action.responsible_agency_id,
        )
        if handed_over and action.is_referred:
            raise Conflict(
                _("A referral is carrying this action out; withdraw it first."),
                code="action_referred",
            )
        action.responsible, action.responsible_user, action.responsible_agency = kind, user, agency
    if "due_on" in changes:
        action.due_on = _date(changes["due_on"], "due_on")
    if "evidence_document" in changes:
        action.evidence_document = _evidence_document(actor, case, changes["evidence_document"])
    if "evidence_note" in changes:
        action.evidence_note = _evidence_note(actor, case, changes["evidence_note"])
    content = any(getattr(action, name) != value for name, value in before.items())
    if "status" in changes:
        status = _choice(changes["status"], PlanAction.Status, "status")
        if status in (PlanAction.Status.DROPPED, PlanAction.Status.BLOCKED) and not reason:
            raise InvalidInput(
                _("Say why the action is dropped or blocked."),
                code="reason_required",
                field="reason",
            )
        if status == PlanAction.Status.DROPPED != action.status and action.is_referred:
            raise Conflict(
                _("A referral is carrying this action out; withdraw it first."),
                code="action_referred",
            )
        content = content or (
            status != action.status and PlanAction.Status.DROPPED in (status, action.status)
        )
        if status != action.status:
            action.progressed_at = timezone.now()
        if action.status == PlanAction.Status.DONE and status != PlanAction.Status.DONE:
            _reopen_goal(action.goal, actor)
        action.status = status
        action.status_reason = reason if status != PlanAction.Status.PLANNED else ""
    action.version += 1
    if content:
        _new_version(_locked_plan(case), actor, gettext_noop("action changed"))
    save_with_history(action, actor=actor, reason=reason or gettext_noop("action changed"))
    if action.status == PlanAction.Status.DONE:
        _achieve_goal_when_done(action.goal, actor)
    return action


# --- Agreement -------------------------------------------------------------------------


@transaction.atomic
def record_plan_agreement(
    *,
    actor: User,
    case_id: UUID | str,
    plan_version: int | str,
    method: str,
    agreed_at: datetime.datetime | str | None = None,
    reason: str = "",
    document_id: UUID | str | None = None,
) -> PlanAgreement:
    """Record that the client agreed to this version of the plan — when and
    how (a signed form, verbally, with an interpreter, through a legal
    guardian) — or, with ``not_obtained``, why not (``reason``, 400
    without). Needs CHANGE_PLAN on an open case (409 ``case_closed``).
    ``plan_version`` is the version shown to the client: if the plan changed
    since, 409 ``plan_changed``. The date may not be in the future. Writes
    the history."""
    case = get_case_for(actor, case_id, Perm.CHANGE_PLAN, lock=True)
    _require_changeable(case)
    plan = _locked_plan(case)
    if plan is None:
        raise Conflict(_("This case has no plan yet."), code="no_plan")
    try:
        version = int(str(plan_version).strip())
    except ValueError:
        raise InvalidInput(
            _("The version must be a whole number."), code="invalid", field="plan_version"
        ) from None
    if version != plan.version:
        raise Conflict(
            _("The plan has changed since (it is now version %(version)d): show it again.")
            % {"version": plan.version},
            code="plan_changed",
        )
    method = _choice(method, PlanAgreement.Method, "method")
    reason = _text(reason, "reason", required=method == PlanAgreement.Method.NOT_OBTAINED)
    when = None
    if method != PlanAgreement.Method.NOT_OBTAINED:
        when = _agreed_at(agreed_at)
    agreement = PlanAgreement(
        plan=plan,
        case=case,
        plan_version=plan.version,
        method=method,
        agreed_at=when,
        reason=reason,
        document=_evidence_document_as(actor, case, document_id, "document"),
        recorded_by=actor,
    )
    save_with_history(agreement, actor=actor, reason=gettext_noop("agreement recorded"))
    return agreement


def _agreed_at(value: Any) -> datetime.datetime:
    if value in (None, ""):
        raise InvalidInput(_("Say when the client agreed."), code="required", field="agreed_at")
    if isinstance(value, datetime.datetime):
        when = value
    elif isinstance(value, datetime.date):
        # A day without a time (a form's date field): noon of it, or now when
        # it is today and noon is still to come.
        when = timezone.make_aware(datetime.datetime.combine(value, datetime.time(12)))
        if value == timezone.localdate():
            when = min(when, timezone.now())
    else:
        try:
            when = datetime.datetime.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput(
                _("Enter a valid date and time."), code="invalid", field="agreed_at"
            ) from None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > timezone.now() + datetime.timedelta(minutes=5):
        raise InvalidInput(_("The date cannot be in the future."), code="future", field="agreed_at")
    return when


def _evidence_document_as(actor: User, case: Case, document_id, field: str) -> Document | None:
    try:
        return _evidence_document(actor, case, document_id)
    except InvalidInput as error:
        raise InvalidInput(error.message, code="invalid", field=field) from None


# --- What a referral reports back ------------------------------------------------------


def check_action_referable(
    actor: User, case: Case, action_id: UUID | str, to_agency_id
) -> PlanAction:
    """The action of ``case`` a new referral to ``to_agency_id`` will carry
    out, locked: one the actor sees, open, for that partner agency (400 at
    ``plan_action`` otherwise), not already referred (409 ``action_referred``).
    A check inside the referral's transaction, no write."""
    require_caller_transaction()
    action = (
        actions_visible_to(actor, case).select_for_update(of=("self",)).filter(pk=action_id).first()
        if is_uuid(action_id)
        else None
    )
    if action is None or not action.is_open:
        raise InvalidInput(
            _("Choose an open action of this case's plan."), code="invalid", field="plan_action"
        )
    if action.responsible != PlanAction.Responsible.PARTNER or str(
        action.responsible_agency_id
    ) != str(to_agency_id):
        raise InvalidInput(
            _("This action is not for the agency you are referring to."),
            code="not_for_this_agency",
            field="plan_action",
        )
    if action.is_referred:
        raise Conflict(_("A referral is already carrying this action out."), code="action_referred")
    return action


_REFERRAL_REASONS = {
    "draft": gettext_noop("referral drafted"),
    "sent": gettext_noop("referral sent"),
    "accepted": gettext_noop("referral accepted"),
    "progress": gettext_noop("progress reported by the partner"),
    "completed": gettext_noop("referral completed"),
    "declined": gettext_noop("referral declined"),
    "expired": gettext_noop("referral expired"),
    "withdrawn": gettext_noop("referral withdrawn"),
    "cancelled": gettext_noop("consent withdrawn"),
}
# What the action becomes on each report of its referral (None: unchanged).
_REFERRAL_STATUS = {
    "draft": None,
    "sent": PlanAction.Status.PLANNED,
    "accepted": PlanAction.Status.IN_PROGRESS,
    "progress": PlanAction.Status.IN_PROGRESS,
    "completed": PlanAction.Status.DONE,
    "declined": PlanAction.Status.BLOCKED,
    "expired": PlanAction.Status.BLOCKED,
    "withdrawn": PlanAction.Status.PLANNED,
    "cancelled": PlanAction.Status.BLOCKED,
}


def follow_referral(
    *, actor: User | None, action_id: UUID, event: str, referral_state: str, note: str = ""
) -> PlanAction:
    """What the referral carrying an action out did (``event``: its new
    state, or ``progress``) moves the action on: accepted or progress → in
    progress; completed → done (the outcome as its note; the goal achieved
    when nothing else is left); declined or expired → blocked with the
    reason; cancelled because the consent was withdrawn → blocked; withdrawn
    by the sender → planned again. A done or dropped action stays as it is.
    Called by the referrals services inside their transaction (no permission
    of its own); writes the history."""
    require_caller_transaction()
    action = PlanAction.objects.select_for_update().select_related("goal").get(pk=action_id)
    action.referral_state = referral_state
    fields = ["referral_state"]
    status = _REFERRAL_STATUS[event]
    if status is not None and action.status not in (
        PlanAction.Status.DONE,
        PlanAction.Status.DROPPED,
    ):
        action.status = status
        action.status_reason = note
        action.progressed_at = timezone.now()
        fields += ["status", "status_reason", "progressed_at"]
    elif event == "progress":
        action.progressed_at = timezone.now()
        fields.append("progressed_at")
    action.version += 1
    save_with_history(
        action, actor=actor, reason=_REFERRAL_REASONS[event], update_fields=[*fields, "version"]
    )
    if action.status == PlanAction.Status.DONE:
        _achieve_goal_when_done(action.goal, actor)
    return action
