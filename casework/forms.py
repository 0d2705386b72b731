"""Forms of the casework pages. They only parse and check the shape of input;
the rules (permissions, duplicates, versions, states) live in the services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.permissions import Role
from casework.models import (
    Case,
    CaseNote,
    Client,
    ClientSensitive,
    Document,
    IdentityDocument,
    LegalStatus,
    Sex,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Free text typed by people in any script: the browser picks the direction.
AUTO_DIR = {"dir": "auto"}


def _blank(choices, label=None):
    return [("", "—" if label is None else label), *choices]


def _country_choices():
    # A callable: evaluated per form, so the names follow the active language.
    return [(code, name) for code, name in countries]


def _blank_and_country_choices():
    return _blank(_country_choices())


def _text(label, max_length, **kwargs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=kwargs.pop("required", False),
        widget=forms.TextInput(attrs={**AUTO_DIR, **kwargs.pop("attrs", {})}),
        **kwargs,
    )


def _long_text(label, rows=4, **kwargs):
    return forms.CharField(
        label=label,
        required=kwargs.pop("required", False),
        widget=forms.Textarea(attrs={**AUTO_DIR, "rows": rows}),
        **kwargs,
    )


def _client_label(name: str) -> dict:
    """Label and help text of a client field as the model words them, so the
    form, the detail page and the API describe the field the same way."""
    field = Client._meta.get_field(name)
    return {"label": capfirst(field.verbose_name), "help_text": field.help_text}


class LanguageCodesField(forms.CharField):
    """Language codes typed as "ar, fa, ti" and cleaned to ["ar", "fa", "ti"]."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        codes = [code.strip().lower() for code in text.replace(";", ",").split(",")]
        return list(dict.fromkeys(code for code in codes if code))

    def validate(self, value):
        super().validate(value)
        for code in value:
            if not code.isascii() or not code.isalpha() or not 2 <= len(code) <= 3:
                raise ValidationError(
                    _("“%(code)s” is not a language code. Use codes such as ar, fa or ti."),
                    code="invalid_language",
                    params={"code": code},
                )


class ClientForm(forms.Form):
    """Identity, contact, legal status, family, education and work of a client
    (never the special-category section)."""

    name = _text(
        _("Name as written"),
        200,
        required=True,
        help_text=_("In the person's own script, e.g. Arabic or Farsi."),
        attrs={"autocomplete": "off"},
    )
    name_latin = _text(
        _("Name in Latin letters"),
        200,
        help_text=_("As in a passport or as the person spells it."),
        attrs={"autocomplete": "off"},
    )
    preferred_name = _text(_("Preferred name"), 120, attrs={"autocomplete": "off"})
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DATE_WIDGET)
    date_of_birth_estimated = forms.BooleanField(
        label=_("The date of birth is estimated"), required=False
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    gender_identity = _text(_("Gender identity"), 80)
    nationalities = forms.MultipleChoiceField(
        label=_("Nationalities"),
        choices=_country_choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Hold Ctrl (or Cmd) to choose more than one."),
    )
    languages = LanguageCodesField(
        label=_("Languages spoken"),
        help_text=_("Language codes separated by commas, e.g. ar, fa, ti."),
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    interpreter_needed = forms.BooleanField(label=_("Needs an interpreter"), required=False)
    interpreter_language = forms.CharField(
        label=_("Interpreter language"),
        max_length=16,
        required=False,
        help_text=_("A language code, e.g. ar."),
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "dir": "ltr", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        widget=forms.EmailInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    address = _long_text(_("Address"), rows=3)
    city = _text(_("City"), 100)
    # Nothing chosen means what the model's default says: the status is not known.
    legal_status = forms.TypedChoiceField(
        choices=LegalStatus.choices,
        initial=LegalStatus.UNKNOWN,
        required=False,
        empty_value=LegalStatus.UNKNOWN,
        **_client_label("legal_status"),
    )
    legal_status_note = _long_text(rows=3, **_client_label("legal_status_note"))
    family_situation = _long_text(rows=3, **_client_label("family_situation"))
    dependants = forms.IntegerField(
        min_value=0,
        max_value=32767,
        required=False,
        widget=forms.NumberInput(attrs={"dir": "ltr"}),
        **_client_label("dependants"),
    )
    education = _long_text(rows=3, **_client_label("education"))
    employment = _long_text(rows=3, **_client_label("employment"))

    CLIENT_FIELDS = (
        "name",
        "name_latin",
        "preferred_name",
        "date_of_birth",
        "date_of_birth_estimated",
        "sex",
        "gender_identity",
        "nationalities",
        "languages",
        "interpreter_needed",
        "interpreter_language",
        "phone",
        "email",
        "address",
        "city",
        "legal_status",
        "legal_status_note",
        "family_situation",
        "dependants",
        "education",
        "employment",
    )

    def clean_interpreter_language(self):
        code = self.cleaned_data["interpreter_language"].strip().lower()
        if code and (not code.isascii() or not code.replace("-", "").isalpha()):
            raise ValidationError(_("Use a language code such as ar, fa or ti."))
        return code

    def client_data(self) -> dict:
        """The cleaned client fields, as the services take them."""
        return {name: self.cleaned_data[name] for name in self.CLIENT_FIELDS}


class RegisterClientForm(ClientForm):
    agency = forms.ChoiceField(label=_("Registering agency"))
    confirmed_not_duplicate = forms.BooleanField(
        label=_("This is a different person"),
        required=False,
        help_text=_("Tick only after checking the records listed above."),
    )

    field_order = ["agency"]

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = {str(agency.pk): agency for agency in agencies}
        self.fields["agency"].choices = [(key, a.name) for key, a in self.agencies.items()]
        if len(self.agencies) == 1:
            # Nothing to choose: the one agency, not even a hidden field to tamper with.
            del self.fields["agency"]

    def clean(self):
        data = super().clean()
        if "agency" in self.fields:
            data["agency"] = self.agencies.get(data.get("agency") or "")
        else:
            data["agency"] = next(iter(self.agencies.values()))
        return data


class ClientEditForm(ClientForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = _text(
        _("Reason for the change"),
        500,
        help_text=_("Optional; kept in the record's history."),
    )

    EDIT_FIELDS = ClientForm.CLIENT_FIELDS


class IdentityDocumentForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Document type"), choices=_blank(IdentityDocument.Type.choices), required=False
    )
    number = forms.CharField(
        label=_("Document number"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    issuing_country = forms.ChoiceField(
        label=_("Issuing country"), choices=_blank_and_country_choices, required=False
    )
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, require=False, **kwargs):
        super().__init__(*args, **kwargs)
        if require:
            self.fields["type"].required = True
            self.fields["number"].required = True

    def clean(self):
        data = super().clean()
        if self.has_changed() and not self.errors:
            if not data.get("type"):
                self.add_error("type", _("Choose the type of document."))
            if not (data.get("number") or "").strip():
                self.add_error("number", _("Enter the document number."))
        return data

    def document_data(self) -> dict:
        return {
            "type": self.cleaned_data["type"],
            "number": self.cleaned_data["number"],
            "issuing_country": self.cleaned_data["issuing_country"] or "",
            "expires_on": self.cleaned_data["expires_on"],
        }


IdentityDocumentFormSet = forms.formset_factory(
    IdentityDocumentForm, extra=2, max_num=2, validate_max=True, absolute_max=2
)


class SensitiveForm(forms.Form):
    health = _long_text(_("Health"))
    disability = _long_text(_("Disability"))
    protection_concerns = _long_text(_("Protection concerns"))
    ethnicity = _text(_("Ethnicity"), 120)
    religion = _text(_("Religion"), 120)
    sexual_orientation = _text(_("Sexual orientation"), 120)
    vulnerabilities = forms.MultipleChoiceField(
        label=_("Vulnerabilities"),
        choices=ClientSensitive.Vulnerability.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = _text(
        _("Reason for the change"), 500, help_text=_("Optional; kept in the record's history.")
    )

    SENSITIVE_FIELDS = (
        "health",
        "disability",
        "protection_concerns",
        "ethnicity",
        "religion",
        "sexual_orientation",
        "vulnerabilities",
    )

    def sensitive_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.SENSITIVE_FIELDS}


class CaseForm(forms.Form):
    """A form on the case page: its own id prefix, as several share field names."""

    id_prefix = "case"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


_ASSIGNABLE_ROLES = {Role.CASEWORKER, Role.SUPERVISOR}


def assignee_choices(memberships) -> list[tuple[str, str]]:
    """Active caseworkers and supervisors among ``memberships`` (one entry per person)."""
    people: dict[str, str] = {}
    for membership in memberships:
        user = membership.user
        if membership.is_active and user.is_active and membership.role in _ASSIGNABLE_ROLES:
            people.setdefault(str(user.pk), user.display_name)
    return sorted(people.items(), key=lambda item: item[1].casefold())


class AssigneeMixin:
    """A select of people who may hold a case; cleaned to the user object."""

    def set_assignees(self, memberships, *, blank_label=None):
        self.people = {}
        for membership in memberships:
            self.people.setdefault(str(membership.user_id), membership.user)
        choices = assignee_choices(memberships)
        if blank_label is not None:
            choices = [("", blank_label), *choices]
        self.fields["assigned_to"].choices = choices

    def clean_assigned_to(self):
        value = self.cleaned_data.get("assigned_to")
        return self.people.get(value) if value else None


class OpenCaseForm(AssigneeMixin, forms.Form):
    case_type = forms.ChoiceField(label=_("Type"), choices=_blank(Case.Type.choices))
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=Case.Risk.choices, initial=Case.Risk.LOW
    )
    summary = _long_text(_("Summary"), rows=5)
    assigned_to = forms.ChoiceField(label=_("Assigned caseworker"), required=False)
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
    summary = _long_text(_("Summary"), rows=6)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = _text(
        _("Reason for the change"), 500, help_text=_("Optional; kept in the case history.")
    )

    CASE_FIELDS = ("case_type", "risk_level", "summary")
    EDIT_FIELDS = CASE_FIELDS

    def case_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.CASE_FIELDS}


class CaseFilterForm(forms.Form):
    """The filters of the case list (GET). Unknown values are simply ignored."""

    q = forms.CharField(
        label=_("Search"),
        max_length=200,
        required=False,
        help_text=_("Case number, client name in any script, or document number."),
        widget=forms.TextInput(attrs={"type": "search", **AUTO_DIR}),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=_blank(Case.Status.choices, _("Any")), required=False
    )
    case_type = forms.ChoiceField(
        label=_("Type"), choices=_blank(Case.Type.choices, _("Any")), required=False
    )
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=_blank(Case.Risk.choices, _("Any")), required=False
    )
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    overdue = forms.BooleanField(label=_("With overdue follow-ups"), required=False)

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "query": data.get("q", ""),
            "status": data.get("status", ""),
            "case_type": data.get("case_type", ""),
            "risk_level": data.get("risk_level", ""),
            "assigned_to_me": data.get("mine", False),
            "overdue_follow_ups": data.get("overdue", False),
        }


class ClientSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search clients"),
        max_length=200,
        required=False,
        help_text=_("A name in any script or spelling, or an identity-document number."),
        widget=forms.TextInput(attrs={"type": "search", **AUTO_DIR}),
    )


class NoteForm(CaseForm):
    id_prefix = "note"

    kind = forms.ChoiceField(
        label=_("Kind"), choices=CaseNote.Kind.choices, initial=CaseNote.Kind.NOTE
    )
    body = _long_text(_("Note"), rows=4, required=True)
    is_confidential = forms.BooleanField(
        label=_("Confidential"),
        required=False,
        help_text=_("Only you and the supervisors will see this note."),
    )


class FollowUpForm(AssigneeMixin, CaseForm):
    id_prefix = "follow_up"

    title = _text(_("What to do"), 200, required=True)
    due_on = forms.DateField(label=_("Due on"), widget=DATE_WIDGET)
    assigned_to = forms.ChoiceField(label=_("Assigned to"), required=False)

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignees is None:
            del self.fields["assigned_to"]
        else:
            self.set_assignees(assignees, blank_label=_("Me"))


class DocumentUploadForm(CaseForm):
    id_prefix = "document"

    category = forms.ChoiceField(label=_("Category"), choices=_blank(Document.Category.choices))
    description = _text(_("Description"), 200)
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

    reason = _text(_("Why is the case put on hold?"), 500, required=True)


class CloseForm(CaseForm):
    id_prefix = "close"

    closure_reason = forms.ChoiceField(
        label=_("Closure reason"), choices=_blank(Case.ClosureReason.choices)
    )
    note = _long_text(_("Closing note"), rows=3)


class ReopenForm(CaseForm):
    id_prefix = "reopen"

    reason = _text(_("Why is the case reopened?"), 500, required=True)


class AssignForm(AssigneeMixin, CaseForm):
    id_prefix = "assign"

    assigned_to = forms.ChoiceField(label=_("Assign to"))
    reason = _text(_("Reason"), 500)

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_assignees(assignees)


class RestrictForm(CaseForm):
    id_prefix = "restrict"

    restricted = forms.TypedChoiceField(
        choices=[("1", _("Restrict")), ("0", _("Lift the restriction"))],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )
    reason = _text(_("Reason"), 500)
