"""The integration plan's pages: the plan of a case (its goals by domain,
their actions, the client's agreement) with the forms that change it, and
the edit page of a goal and of an action. Each form posts to its own
address and calls one service; a refused form comes back on its page with
the error beside its field."""

from functools import partial
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.permissions import Perm
from accounts.selectors import partner_choices
from casework import selectors, services
from casework.forms.plans import ActionEditForm, ActionForm, AgreementForm, GoalEditForm, GoalForm
from casework.models import Case, PlanAction, PlanGoal
from casework.views.cases import focus_first_error
from config.errors import Forbidden
from config.http.pages import attempt, error_status, today, versioned_edit

require_get_or_post = require_http_methods(["GET", "HEAD", "POST"])


def _plan_url(case: Case, anchor: str = "") -> str:
    url = reverse("casework:case_plan", args=[case.pk])
    return f"{url}#{anchor}" if anchor else url


def _action_form(case: Case, goals, data=None, initial=None) -> ActionForm:
    return ActionForm(
        data,
        initial=initial,
        goals=goals,
        staff=selectors.assignable_members(case.agency),
        agencies=partner_choices(case.agency),
    )


def _show_evidence(actions, agreements, user, case: Case, documents) -> None:
    """Mark which evidence the reader may open: a document or note of the case
    they do not see (a medical document, another's confidential note) is
    said to exist, never shown."""
    visible_documents = {document.pk for document in documents}
    notes_needed = any(action.evidence_note_id for action in actions)
    visible_notes = (
        set(selectors.notes_visible_to(user, case).values_list("pk", flat=True))
        if notes_needed
        else set()
    )
    for action in actions:
        action.evidence_document_visible = action.evidence_document_id in visible_documents
        action.evidence_note_visible = action.evidence_note_id in visible_notes
    for agreement in agreements:
        agreement.document_visible = agreement.document_id in visible_documents


def _plan_page(request: HttpRequest, case: Case, **forms) -> HttpResponse:
    """The plan page, with any bound (refused) form passed in ``forms``: that
    form's panel opens with the focus on its first error."""
    user = request.user
    view = selectors.plan_view_for(user, case)
    if view is None:
        raise Forbidden()
    for form in forms.values():
        if form is not None and form.errors:
            focus_first_error(form)
    documents = list(selectors.documents_visible_to(user, case))
    agreements = list(selectors.agreements_of(view.plan)) if view.plan is not None else []
    _show_evidence(view.actions, agreements, user, case, documents)
    open_goals = [goal for goal in view.goals if goal.is_open]
    context = {
        "case": case,
        "view": view,
        "plan": view.plan,
        "domains": [(domain.label, domain.value, goals) for domain, goals in view.goals_by_domain],
        "agreements": agreements,
        "today": today(),
        "section": "cases",
        "can_view_referrals": user.has_perm(Perm.VIEW_REFERRAL, case.agency),
        "goal_form": None,
        "action_form": None,
        "agreement_form": None,
        "open_action_panel": False,
        # No plan yet: the form that draws it up (its first goal) opens.
        "first_goal": view.plan is None,
    }
    if view.can_change:
        chosen_goal = request.GET.get("goal", "")
        context["goal_form"] = GoalForm(allow_special=user.has_perm(Perm.VIEW_SENSITIVE, case))
        if open_goals:
            context["action_form"] = _action_form(case, open_goals, initial={"goal": chosen_goal})
            # "Add an action" under a goal opens the form with that goal chosen.
            context["open_action_panel"] = any(str(goal.pk) == chosen_goal for goal in open_goals)
        if view.plan is not None:
            context["agreement_form"] = AgreementForm(
                documents=documents,
                initial={"plan_version": view.plan.version, "agreed_at": today()},
            )
    # A refused form comes back as it was sent, even where the page would not
    # offer it now (the case was closed meanwhile: the error says so).
    context.update({name: form for name, form in forms.items() if form is not None})
    agreement_form = forms.get("agreement_form")
    if agreement_form is not None and view.plan is not None:
        # The page shows the plan as it is now: the form sent again from it is
        # about this version (after a refusal because the plan changed, too).
        agreement_form.data = agreement_form.data.copy()
        agreement_form.data[agreement_form.add_prefix("plan_version")] = str(view.plan.version)
    return render(
        request,
        "casework/case_plan.html",
        context,
        status=error_status(*[form for form in forms.values() if form is not None]),
    )


@require_safe
@never_cache
@login_required
def case_plan(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The plan of a case. Needs VIEW_PLAN; its forms, CHANGE_PLAN on an open case."""
    case = selectors.get_case_for(request.user, case_id, Perm.VIEW_PLAN)
    return _plan_page(request, case)


@require_POST
@login_required
def plan_goal_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Add a goal (the first one draws the plan up). Needs CHANGE_PLAN."""
    user = request.user
    case = selectors.get_case_for(user, case_id, Perm.CHANGE_PLAN)
    form = GoalForm(request.POST, allow_special=user.has_perm(Perm.VIEW_SENSITIVE, case))
    if form.is_valid():
        goal = attempt(form, services.add_goal, actor=user, case_id=case.pk, **form.goal_data())
        if goal is not None:
            messages.success(
                request,
                _("The goal was added. The plan is now version %(version)d.")
                % {"version": goal.plan.version},
            )
            return redirect(_plan_url(case, f"goal-{goal.pk}"))
    return _plan_page(request, case, goal_form=form)


@require_POST
@login_required
def plan_action_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Add an action under a goal. Needs CHANGE_PLAN."""
    user = request.user
    case = selectors.get_case_for(user, case_id, Perm.CHANGE_PLAN)
    # Any goal the user sees: whether it still takes actions is the service's answer.
    goals = list(selectors.goals_visible_to(user, case))
    form = _action_form(case, goals, data=request.POST)
    if form.is_valid():
        action = attempt(
            form, services.add_action, actor=user, case_id=case.pk, **form.action_data()
        )
        if action is not None:
            messages.success(request, _("The action was added."))
            return redirect(_plan_url(case, f"action-{action.pk}"))
    return _plan_page(request, case, action_form=form)


@require_POST
@login_required
def plan_agreement(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Record the client's agreement to the version shown, or why it was not
    obtained. Needs CHANGE_PLAN."""
    user = request.user
    case = selectors.get_case_for(user, case_id, Perm.CHANGE_PLAN)
    documents = list(selectors.documents_visible_to(user, case))
    form = AgreementForm(request.POST, documents=documents)
    if form.is_valid():
        agreement = attempt(
            form,
            services.record_plan_agreement,
            actor=user,
            case_id=case.pk,
            **form.agreement_data(),
        )
        if agreement is not None:
            messages.success(
                request,
                _("The agreement to version %(version)d was recorded.")
                % {"version": agreement.plan_version},
            )
            return redirect(_plan_url(case))
    return _plan_page(request, case, agreement_form=form)


def _with_options(form_class, **options):
    """``form_class`` with its choices, as ``versioned_edit`` builds it."""
    make = partial(form_class, **options)
    make.EDIT_FIELDS = form_class.EDIT_FIELDS
    return make


def _goal_initial(goal: PlanGoal) -> dict:
    initial = {name: getattr(goal, name) for name in GoalEditForm.EDIT_FIELDS}
    initial["version"] = goal.version
    return initial


@require_get_or_post
@never_cache
@login_required
def plan_goal_edit(request: HttpRequest, case_id: UUID, goal_id: UUID) -> HttpResponse:
    """Change a goal: its wording, domain, dates, priority or status. Needs
    CHANGE_PLAN; a goal about health, VIEW_SENSITIVE too (404 otherwise). A
    stale version changes nothing (412)."""
    user = request.user
    case, goal = selectors.get_goal_for(user, case_id, goal_id, Perm.CHANGE_PLAN)

    def reload():
        return selectors.get_goal_for(user, case_id, goal_id, Perm.CHANGE_PLAN)[1]

    def save(form):
        services.update_goal(
            actor=user,
            case_id=case.pk,
            goal_id=goal.pk,
            expected_version=form.cleaned_data["version"],
            changes=form.changes(goal),
            reason=form.cleaned_data["reason"],
        )

    return versioned_edit(
        request,
        record=goal,
        reload=reload,
        form_class=_with_options(
            GoalEditForm, allow_special=user.has_perm(Perm.VIEW_SENSITIVE, case)
        ),
        initial=_goal_initial,
        save=save,
        template="casework/plan_goal_edit.html",
        context=lambda goal: {"case": case, "goal": goal, "section": "cases"},
        success_message=_("The goal was saved."),
        success_url=_plan_url(case, f"goal-{goal.pk}"),
    )


def _action_initial(action: PlanAction) -> dict:
    return {
        "description": action.description,
        "responsible": action.responsible,
        "responsible_user": str(action.responsible_user_id or ""),
        "responsible_agency": str(action.responsible_agency_id or ""),
        "due_on": action.due_on,
        "status": action.status,
        "evidence_document": str(action.evidence_document_id or ""),
        "evidence_note": str(action.evidence_note_id or ""),
        "version": action.version,
    }


@require_get_or_post
@never_cache
@login_required
def plan_action_edit(request: HttpRequest, case_id: UUID, action_id: UUID) -> HttpResponse:
    """Change an action: what, who, when, its status (with the reason) and
    evidence. Needs CHANGE_PLAN; an action under a goal about health,
    VIEW_SENSITIVE too (404 otherwise). A stale version changes nothing (412)."""
    user = request.user
    case, action = selectors.get_action_for(user, case_id, action_id, Perm.CHANGE_PLAN)

    def reload():
        return selectors.get_action_for(user, case_id, action_id, Perm.CHANGE_PLAN)[1]

    def save(form):
        services.update_action(
            actor=user,
            case_id=case.pk,
            action_id=action.pk,
            expected_version=form.cleaned_data["version"],
            changes=form.changes(action),
            reason=form.cleaned_data["reason"],
        )

    form_class = _with_options(
        ActionEditForm,
        staff=selectors.assignable_members(case.agency),
        agencies=partner_choices(case.agency),
        documents=selectors.documents_visible_to(user, case),
        notes=selectors.notes_visible_to(user, case),
        current=action,
    )
    return versioned_edit(
        request,
        record=action,
        reload=reload,
        form_class=form_class,
        initial=_action_initial,
        save=save,
        template="casework/plan_action_edit.html",
        context=lambda action: {"case": case, "action": action, "section": "cases"},
        success_message=_("The action was saved."),
        success_url=_plan_url(case, f"action-{action.pk}"),
    )
