"""Forms of the client pages: register, edit, identity documents, the
special-category section, search."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from casework import sections
from casework.forms.common import (
    blank_and_country_choices,
    blank_choice,
    country_choices,
    long_text,
    text_field,
)
from casework.models import Client, ClientSensitive, IdentityDocument, LegalStatus, Sex
from config.http.forms import AUTO_DIR, DATE_WIDGET, AgencyChoiceMixin, LanguageCodesField


def _client_label(name: str) -> dict:
    """Label and help text of a client field as the model words them, so the
    form, the detail page and the API describe the field the same way."""
    field = Client._meta.get_field(name)
    return {"label": capfirst(field.verbose_name), "help_text": field.help_text}


class ClientForm(forms.Form):
    """Identity, contact, legal status, family, education and work of a client
    (never the special-category section)."""

    name = text_field(
        _("Name as written"),
        200,
        required=True,
        help_text=_("In the person's own script, e.g. Arabic or Farsi."),
        attrs={"autocomplete": "off"},
    )
    name_latin = text_field(
        _("Name in Latin letters"),
        200,
        help_text=_("As in a passport or as the person spells it."),
        attrs={"autocomplete": "off"},
    )
    preferred_name = text_field(_("Preferred name"), 120, attrs={"autocomplete": "off"})
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DATE_WIDGET)
    date_of_birth_estimated = forms.BooleanField(
        label=_("The date of birth is estimated"), required=False
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    gender_identity = text_field(_("Gender identity"), 80)
    nationalities = forms.MultipleChoiceField(
        label=_("Nationalities"),
        choices=country_choices,
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
    address = long_text(_("Address"), rows=3)
    city = text_field(_("City"), 100)
    # Nothing chosen means what the model's default says: the status is not known.
    legal_status = forms.TypedChoiceField(
        choices=LegalStatus.choices,
        initial=LegalStatus.UNKNOWN,
        required=False,
        empty_value=LegalStatus.UNKNOWN,
        **_client_label("legal_status"),
    )
    legal_status_note = long_text(rows=3, **_client_label("legal_status_note"))
    family_situation = long_text(rows=3, **_client_label("family_situation"))
    dependants = forms.IntegerField(
        min_value=0,
        max_value=32767,
        required=False,
        widget=forms.NumberInput(attrs={"dir": "ltr"}),
        **_client_label("dependants"),
    )
    education = long_text(rows=3, **_client_label("education"))
    employment = long_text(rows=3, **_client_label("employment"))

    CLIENT_FIELDS = sections.CLIENT_FIELDS

    def clean_interpreter_language(self):
        code = self.cleaned_data["interpreter_language"].strip().lower()
        if code and (not code.isascii() or not code.replace("-", "").isalpha()):
            raise ValidationError(_("Use a language code such as ar, fa or ti."))
        return code

    def client_data(self) -> dict:
        """The cleaned client fields, as the services take them."""
        return {name: self.cleaned_data[name] for name in self.CLIENT_FIELDS}


class RegisterClientForm(AgencyChoiceMixin, ClientForm):
    agency = forms.ChoiceField(label=_("Registering agency"))
    confirmed_not_duplicate = forms.BooleanField(
        label=_("This is a different person"),
        required=False,
        help_text=_("Tick only after checking the records listed above."),
    )

    field_order = ["agency"]


class ClientEditForm(ClientForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = text_field(
        _("Reason for the change"),
        500,
        help_text=_("Optional; kept in the record's history."),
    )

    EDIT_FIELDS = ClientForm.CLIENT_FIELDS


class IdentityDocumentForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Document type"),
        choices=blank_choice(IdentityDocument.Type.choices),
        required=False,
    )
    number = forms.CharField(
        label=_("Document number"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    issuing_country = forms.ChoiceField(
        label=_("Issuing country"), choices=blank_and_country_choices, required=False
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
    health = long_text(_("Health"))
    disability = long_text(_("Disability"))
    protection_concerns = long_text(_("Protection concerns"))
    ethnicity = text_field(_("Ethnicity"), 120)
    religion = text_field(_("Religion"), 120)
    sexual_orientation = text_field(_("Sexual orientation"), 120)
    vulnerabilities = forms.MultipleChoiceField(
        label=_("Vulnerabilities"),
        choices=ClientSensitive.Vulnerability.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = text_field(
        _("Reason for the change"), 500, help_text=_("Optional; kept in the record's history.")
    )

    SENSITIVE_FIELDS = sections.SENSITIVE_FIELDS

    def sensitive_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.SENSITIVE_FIELDS}


class ClientSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search clients"),
        max_length=200,
        required=False,
        help_text=_("A name in any script or spelling, or an identity-document number."),
        widget=forms.TextInput(attrs={"type": "search", **AUTO_DIR}),
    )
