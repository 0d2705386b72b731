"""Forms of the case pages: open, edit, filter, and the small forms of the
case page (note, follow-up, document, hold, close, reopen, assign, restrict)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.forms.common import AssigneeMixin, CaseForm, blank_choice, long_text, text_field
from casework.models import Case, CaseNote, Document
from casework.selectors.my_work import FollowUpPeriod
from casework.selectors.team import UNASSIGNED
from casework.services.common import CASE_EDIT_FIELDS
from config.http.forms import AUTO_DIR, DATE_WIDGET, LongSelect


class OpenCaseForm(AssigneeMixin, forms.Form):
    case_type = forms.ChoiceField(label=_("Type"), choices=blank_choice(Case.Type.choices))
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=Case.Risk.choices, initial=Case.Risk.LOW
    )
    summary = long_text(_("Summary"), rows=5)
    assigned_to = forms.ChoiceField(
        label=_("Assigned caseworker"), required=False, widget=LongSelect
    )
    is_restricted = forms.BooleanField(
        label=_("Restricted case"),
        required=False,
        help_text=_("Only the assigned caseworker and supervisors will see it."),
    )

    def __init__(self, *args, assignees=None, can_restrict=False, **kwargs):
        super().__init__(*args, **kwargs)
        if assignees is None:
            del self.fields["assigned_to"]
        else:
            self.set_assignees(assignees, blank_label=_("Me"))
        if not can_restrict:
            del self.fields["is_restricted"]


class CaseEditForm(forms.Form):
    case_type = forms.ChoiceField(label=_("Type"), choices=Case.Type.choices)
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=Case.Risk.choices)
    summary = long_text(_("Summary"), rows=6)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = text_field(
        _("Reason for the change"), 500, help_text=_("Optional; kept in the case history.")
    )

    CASE_FIELDS = CASE_EDIT_FIELDS
    EDIT_FIELDS = CASE_FIELDS

    def case_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.CASE_FIELDS}


class FlagCheckbox(forms.CheckboxInput):
    """A filter's checkbox that hands the raw value to its field (``FlagField``)."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: FlagField.read(value) is True)

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class FlagField(forms.BooleanField):
    """A yes/no filter in a query string: on, true, 1 or yes; off, false, 0, no
    or empty. Anything else is an error on the field (not silently "yes", as
    a plain checkbox reads it)."""

    widget = FlagCheckbox
    default_error_messages = {"invalid": _("Use “on” or “off”.")}
    ON = frozenset({"on", "true", "1", "yes"})
    OFF = frozenset({"off", "false", "0", "no", ""})

    @classmethod
    def read(cls, value) -> bool | None:
        """True, False, or None for a value that is neither."""
        if value is None or isinstance(value, bool):
            return bool(value)
        text = str(value).strip().lower()
        if text in cls.ON:
            return True
        if text in cls.OFF:
            return False
        return None

    def to_python(self, value):
        flag = self.read(value)
        if flag is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return flag

    def has_changed(self, initial, data):
        try:
            return super().has_changed(initial, data)
        except forms.ValidationError:
            return True


class AssigneeFilterField(forms.ChoiceField):
    """Whose cases: a person of the choices (their user id), or "unassigned"."""

    widget = LongSelect

    default_error_messages = {
        "invalid_choice": _("Choose a person of your agencies, or “unassigned”."),
    }


class CaseFilterForm(forms.Form):
    """The filters of the case list (GET). A value that is not one the field
    accepts is an error on that field, and the page answers 400."""

    q = forms.CharField(
        label=_("Search"),
        max_length=200,
        required=False,
        help_text=_("Case number, client name in any script, or document number."),
        widget=forms.TextInput(attrs={"type": "search", **AUTO_DIR}),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=blank_choice(Case.Status.choices, _("Any")), required=False
    )
    case_type = forms.ChoiceField(
        label=_("Type"), choices=blank_choice(Case.Type.choices, _("Any")), required=False
    )
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=blank_choice(Case.Risk.choices, _("Any")), required=False
    )
    mine = FlagField(label=_("Assigned to me"), required=False)
    overdue = FlagField(
        label=_("With overdue follow-ups"),
        required=False,
        help_text=_("Open or on hold, with an open follow-up due before today."),
    )
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    assignee = AssigneeFilterField(label=_("Assigned to"), required=False)
    high_risk = FlagField(label=_("High or critical risk"), required=False)
    inactive = FlagField(
        label=_("Without activity"),
        required=False,
        help_text=_(
            "Open or on hold, with no change, note, follow-up or document for the"
            " number of days the agency set (14 unless changed)."
        ),
    )
    my_follow_ups = forms.ChoiceField(
        label=_("My follow-ups"),
        choices=blank_choice(FollowUpPeriod.choices, _("Any")),
        required=False,
        help_text=_("Cases with an open follow-up assigned to you, due then."),
    )

    def __init__(self, *args, agencies=(), people=(), **kwargs):
        """``agencies``: (slug, name) of the user's agencies; ``people``:
        (user id, label) of those whose cases the list may be narrowed to
        (``casework.selectors.case_filter_choices``)."""
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = blank_choice(list(agencies), _("Any"))
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            (UNASSIGNED, _("No one (unassigned)")),
            *people,
        ]

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "query": data.get("q", ""),
            "status": data.get("status", ""),
            "case_type": data.get("case_type", ""),
            "risk_level": data.get("risk_level", ""),
            "assigned_to_me": data.get("mine", False),
            "overdue_follow_ups": data.get("overdue", False),
            "agency": data.get("agency", ""),
            "assignee": data.get("assignee", ""),
            "high_risk": data.get("high_risk", False),
            "inactive": data.get("inactive", False),
            "my_follow_ups": data.get("my_follow_ups", ""),
        }


class NoteForm(CaseForm):
    id_prefix = "note"

    kind = forms.ChoiceField(
        label=_("Kind"), choices=CaseNote.Kind.choices, initial=CaseNote.Kind.NOTE
    )
    body = long_text(_("Note"), rows=4, required=True)
    is_confidential = forms.BooleanField(
        label=_("Confidential"),
        required=False,
        help_text=_("Only you and the supervisors will see this note."),
    )


class FollowUpForm(AssigneeMixin, CaseForm):
    id_prefix = "follow_up"

    title = text_field(_("What to do"), 200, required=True)
    due_on = forms.DateField(label=_("Due on"), widget=DATE_WIDGET)
    assigned_to = forms.ChoiceField(label=_("Assigned to"), required=False, widget=LongSelect)

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignees is None:
            del self.fields["assigned_to"]
        else:
            self.set_assignees(assignees, blank_label=_("Me"))


class DocumentUploadForm(CaseForm):
    id_prefix = "document"

    category = forms.ChoiceField(
        label=_("Category"), choices=blank_choice(Document.Category.choices)
    )
    description = text_field(_("Description"), 200)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, image (JPEG, PNG, WebP, TIFF, HEIC) or Word/OpenDocument text."),
    )

    def __init__(self, *args, allow_medical=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_medical:
            self.fields["category"].choices = [
                choice
                for choice in self.fields["category"].choices
                if choice[0] != Document.Category.MEDICAL
            ]


class HoldForm(CaseForm):
    id_prefix = "hold"

    reason = text_field(_("Why is the case put on hold?"), 500, required=True)


class CloseForm(CaseForm):
    id_prefix = "close"

    closure_reason = forms.ChoiceField(
        label=_("Closure reason"), choices=blank_choice(Case.ClosureReason.choices)
    )
    note = long_text(_("Closing note"), rows=3)


class ReopenForm(CaseForm):
    id_prefix = "reopen"

    reason = text_field(_("Why is the case reopened?"), 500, required=True)


REASSIGN_HELP = _(
    "Open follow-ups of the previous caseworker move with the case. Both caseworkers are notified."
)


class AssignForm(AssigneeMixin, CaseForm):
    id_prefix = "assign"

    assigned_to = forms.ChoiceField(
        label=_("Assign to"), help_text=REASSIGN_HELP, widget=LongSelect
    )
    reason = text_field(_("Reason"), 500)

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_assignees(assignees)


class CaseIdsField(forms.Field):
    """The ids of the cases ticked on a page, as text: which of them exist and
    may be reassigned is the service's question (404 / 403), not the form's."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": _("Choose at least one case.")}

    def to_python(self, value):
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        return [str(item).strip() for item in value if str(item).strip()]

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class BulkAssignForm(AssigneeMixin, forms.Form):
    """Reassign several cases at once (the cases ticked on the case list)."""

    cases = CaseIdsField(label=_("Cases"))
    assigned_to = forms.ChoiceField(
        label=_("Assign to"), help_text=REASSIGN_HELP, widget=LongSelect
    )
    reason = text_field(_("Reason"), 500, help_text=_("Optional; kept in each case's history."))

    def __init__(self, *args, assignees, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.set_assignees(assignees)


class RestrictForm(CaseForm):
    id_prefix = "restrict"

    restricted = forms.TypedChoiceField(
        choices=[("1", _("Restrict")), ("0", _("Lift the restriction"))],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )
    reason = text_field(_("Reason"), 500)
