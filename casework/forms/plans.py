"""Forms of the integration plan's pages: a goal, an action, the client's
agreement. They parse and check the shape of input; the rules (who may
write a goal about health, which staff member or agency may be responsible,
versions, dates in the past) live in ``casework.services.plans``."""

from django import forms
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from casework.forms.common import CaseForm, assignee_choices, blank_choice, long_text
from casework.models import SPECIAL_DOMAINS, PlanAction, PlanAgreement, PlanDomain, PlanGoal
from casework.services.plans import TEXT_MAX_LENGTH
from config.http.forms import DATE_WIDGET, LongSelect


def _text(label, *, rows=3, required=False, help_text=""):
    return long_text(
        label, rows=rows, required=required, max_length=TEXT_MAX_LENGTH, help_text=help_text
    )


def _keep_current(choices: list, current, label) -> list:
    """``choices`` with the record's current value kept when the list no
    longer offers it (a staff member who left, a document or note this user
    may not see): saving the form unchanged must not change it."""
    if current and str(current) not in {key for key, _label in choices}:
        return [*choices, (str(current), label)]
    return choices


def _changed(cleaned: dict, record, names) -> dict:
    return {name: cleaned[name] for name in names if cleaned[name] != getattr(record, name)}


# --- Goals -----------------------------------------------------------------------------


class GoalForm(CaseForm):
    """A new goal (``add_goal``)."""

    id_prefix = "goal"

    domain = forms.ChoiceField(label=_("Domain"), choices=blank_choice(PlanDomain.choices))
    statement = _text(_("Goal"), required=True, help_text=_("In the agency's language."))
    statement_client = _text(
        _("In the client's words"), help_text=_("As the client says it, in any script.")
    )
    target_date = forms.DateField(label=_("Target date"), required=False, widget=DATE_WIDGET)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=PlanGoal.Priority.choices, initial=PlanGoal.Priority.MEDIUM
    )

    def __init__(self, *args, allow_special: bool = True, **kwargs):
        """``allow_special``: the user may write goals about health (VIEW_SENSITIVE)."""
        super().__init__(*args, **kwargs)
        if not allow_special:
            self.fields["domain"].choices = [
                choice
                for choice in self.fields["domain"].choices
                if choice[0] not in SPECIAL_DOMAINS
            ]

    GOAL_FIELDS = ("domain", "statement", "statement_client", "target_date", "priority")

    def goal_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.GOAL_FIELDS}


class GoalEditForm(GoalForm):
    """A goal's changes (``update_goal``): its wording and dates, or its status."""

    id_prefix = "goal_edit"

    status = forms.ChoiceField(label=_("Status"), choices=PlanGoal.Status.choices)
    reason = _text(
        _("Why"),
        rows=2,
        help_text=_("Needed when the goal is dropped; kept in the plan's history."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    EDIT_FIELDS = (*GoalForm.GOAL_FIELDS, "status")

    def changes(self, goal: PlanGoal) -> dict:
        """Only what differs from ``goal``: the service counts every field it
        is given as a change of what the plan says (a new version)."""
        return _changed(self.cleaned_data, goal, self.EDIT_FIELDS)


# --- Actions ---------------------------------------------------------------------------


def goal_label(goal: PlanGoal) -> str:
    return f"{goal.get_domain_display()}: {Truncator(goal.statement).chars(80)}"


class ActionForm(CaseForm):
    """A new action under one of the plan's active goals (``add_action``)."""

    id_prefix = "action"

    goal = forms.ChoiceField(label=_("Goal"))
    description = _text(_("What"), required=True)
    responsible = forms.ChoiceField(
        label=_("Who is responsible"),
        choices=PlanAction.Responsible.choices,
        initial=PlanAction.Responsible.CLIENT,
    )
    responsible_user = forms.ChoiceField(
        label=_("Staff member"),
        required=False,
        widget=LongSelect,
        help_text=_("When a staff member of the agency is responsible."),
    )
    responsible_agency = forms.ChoiceField(
        label=_("Partner agency"),
        required=False,
        widget=LongSelect,
        help_text=_("When a partner agency is responsible."),
    )
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, goals=(), staff=(), agencies=(), current=None, **kwargs):
        """``goals``: the active goals an action may go under; ``staff``: the
        agency's assignable memberships; ``agencies``: the other agencies;
        ``current``: the action being changed, if any."""
        super().__init__(*args, **kwargs)
        if "goal" in self.fields:
            self.fields["goal"].choices = blank_choice(
                [(str(goal.pk), goal_label(goal)) for goal in goals]
            )
        staff_choices = assignee_choices(staff)
        agency_choices = [(str(agency.pk), agency.name) for agency in agencies]
        if current is not None:
            staff_choices = _keep_current(
                staff_choices,
                current.responsible_user_id,
                current.responsible_user.display_name if current.responsible_user else "",
            )
            agency_choices = _keep_current(
                agency_choices,
                current.responsible_agency_id,
                current.responsible_agency.name if current.responsible_agency else "",
            )
        self.fields["responsible_user"].choices = blank_choice(staff_choices)
        self.fields["responsible_agency"].choices = blank_choice(agency_choices)

    def action_data(self) -> dict:
        data = self.cleaned_data
        return {
            "goal_id": data["goal"],
            "description": data["description"],
            "responsible": data["responsible"],
            "responsible_user": data["responsible_user"] or None,
            "responsible_agency": data["responsible_agency"] or None,
            "due_on": data["due_on"],
        }


def _document_label(document) -> str:
    description = Truncator(document.description).chars(60) if document.description else ""
    when = document.uploaded_at.date().isoformat()
    parts = [str(document.get_category_display()), description, when]
    return " — ".join(part for part in parts if part)


def _note_label(note) -> str:
    when = note.created_at.date().isoformat()
    return f"{note.get_kind_display()} — {when} — {Truncator(note.body).chars(60)}"


class ActionEditForm(ActionForm):
    """An action's changes (``update_action``): what, who, when, or its
    progress (status with its reason, the evidence)."""

    id_prefix = "action_edit"

    status = forms.ChoiceField(label=_("Status"), choices=PlanAction.Status.choices)
    reason = _text(
        _("Why"),
        rows=2,
        help_text=_("Needed when the action is dropped or blocked; kept in the plan's history."),
    )
    evidence_document = forms.ChoiceField(
        label=_("Evidence: a document of the case"), required=False, widget=LongSelect
    )
    evidence_note = forms.ChoiceField(
        label=_("Evidence: a note of the case"), required=False, widget=LongSelect
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    EDIT_FIELDS = ("description", "responsible", "due_on", "status")

    def __init__(self, *args, documents=(), notes=(), current=None, **kwargs):
        """``documents`` and ``notes``: those of the case the user sees."""
        super().__init__(*args, current=current, **kwargs)
        del self.fields["goal"]
        document_choices = [(str(document.pk), _document_label(document)) for document in documents]
        note_choices = [(str(note.pk), _note_label(note)) for note in notes]
        if current is not None:
            document_choices = _keep_current(
                document_choices, current.evidence_document_id, _("A document you cannot see")
            )
            note_choices = _keep_current(
                note_choices, current.evidence_note_id, _("A note you cannot see")
            )
        self.fields["evidence_document"].choices = blank_choice(document_choices)
        self.fields["evidence_note"].choices = blank_choice(note_choices)

    def changes(self, action: PlanAction) -> dict:
        """Only what differs from ``action``: the service counts every field
        it is given as a change (a new version of the plan; refused while a
        referral carries the action out, for who is responsible)."""
        data = self.cleaned_data
        changes = _changed(data, action, ("description", "due_on", "status"))
        kind = data["responsible"]
        user = data["responsible_user"] if kind == PlanAction.Responsible.STAFF else ""
        agency = data["responsible_agency"] if kind == PlanAction.Responsible.PARTNER else ""
        now = (
            action.responsible,
            str(action.responsible_user_id or ""),
            str(action.responsible_agency_id or ""),
        )
        if (kind, user, agency) != now:
            changes.update(
                responsible=kind, responsible_user=user or None, responsible_agency=agency or None
            )
        for name in ("evidence_document", "evidence_note"):
            if data[name] != str(getattr(action, f"{name}_id") or ""):
                changes[name] = data[name] or None
        return changes


# --- The client's agreement ------------------------------------------------------------


class AgreementForm(CaseForm):
    """The client's agreement to the version of the plan shown, or why it was
    not obtained (``record_plan_agreement``)."""

    id_prefix = "agreement"

    plan_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    method = forms.ChoiceField(
        label=_("How did the client agree?"), choices=blank_choice(PlanAgreement.Method.choices)
    )
    agreed_at = forms.DateField(
        label=_("Agreed on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("The day the client agreed; not needed when it was not obtained."),
    )
    reason = _text(
        _("Reason or remark"),
        rows=2,
        help_text=_("Needed when the agreement was not obtained: say why."),
    )
    document_id = forms.ChoiceField(
        label=_("Signed form"),
        required=False,
        widget=LongSelect,
        help_text=_("A document of the case: upload the signed form on the case page first."),
    )

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_id"].choices = blank_choice(
            [(str(document.pk), _document_label(document)) for document in documents]
        )

    def agreement_data(self) -> dict:
        data = self.cleaned_data
        return {
            "plan_version": data["plan_version"],
            "method": data["method"],
            "agreed_at": data["agreed_at"],
            "reason": data["reason"],
            "document_id": data["document_id"] or None,
        }
