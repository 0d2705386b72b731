"""Forms of the service directory: search, add, edit, import (HSDS)."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from casework.models import DataCategory, ServiceCategory
from config.errors import InvalidInput
from config.http.forms import AUTO_DIR, AgencyChoiceMixin, LanguageCodesField
from referrals import services
from referrals.forms.common import blank_choice, country_choices, text_field
from referrals.hsds import parse_services
from referrals.models import Service

MAX_IMPORT_BYTES = 2 * 1024 * 1024


class DirectoryFilterForm(forms.Form):
    """The directory's search (GET). Unknown values are simply ignored."""

    q = forms.CharField(
        label=_("Search"),
        max_length=200,
        required=False,
        help_text=_("Words in the name, description, agency or city."),
        widget=forms.TextInput(attrs={"type": "search", **AUTO_DIR}),
    )
    category = forms.ChoiceField(
        label=_("Kind of service"),
        choices=blank_choice(ServiceCategory.choices, _("Any")),
        required=False,
    )
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=blank_choice(Service.Status.choices, _("Any")), required=False
    )

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = blank_choice(
            [(agency.slug, agency.name) for agency in agencies], _("Any")
        )

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "query": data.get("q", ""),
            "category": data.get("category", ""),
            "agency_slug": data.get("agency", ""),
            "status": data.get("status", ""),
        }


class ServiceForm(forms.Form):
    """Every field of a service (``referrals.services.SERVICE_FIELDS``)."""

    name = text_field(_("Name"), 200, required=True)
    alternate_name = text_field(_("Other name"), 200)
    category = forms.ChoiceField(
        label=_("Kind of service"), choices=blank_choice(ServiceCategory.choices)
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=Service.Status.choices, initial=Service.Status.ACTIVE
    )
    accepts_referrals = forms.BooleanField(
        label=_("Accepts referrals"),
        required=False,
        initial=True,
        help_text=_("Other agencies may send referrals to this service through Sanad."),
    )
    data_categories_needed = forms.MultipleChoiceField(
        label=_("Information it needs with a referral"),
        choices=DataCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Sanad proposes these when a caseworker refers a client, as far as the "
            "client's consent covers them. Ask only for what the service needs."
        ),
    )
    description = text_field(_("Description"), rows=4)
    eligibility_description = text_field(_("Who can use it"), rows=3)
    application_process = text_field(_("How to apply"), rows=3)
    fees_description = text_field(_("Fees"), 200)
    languages = LanguageCodesField(
        label=_("Languages"),
        help_text=_("Language codes separated by commas, e.g. ar, fa, ti."),
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    location_name = text_field(_("Place"), 200)
    address = text_field(_("Street address"), 200)
    city = text_field(_("City"), 100)
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    country = forms.ChoiceField(label=_("Country"), choices=country_choices, required=False)
    url = forms.URLField(
        label=_("Website"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"dir": "ltr"}),
    )
    email = forms.EmailField(
        label=_("Email"), required=False, widget=forms.EmailInput(attrs={"dir": "ltr"})
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "dir": "ltr"}),
    )

    SERVICE_FIELDS = services.SERVICE_FIELDS
    EDIT_FIELDS = SERVICE_FIELDS

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.SERVICE_FIELDS}


class AddServiceForm(AgencyChoiceMixin, ServiceForm):
    agency = forms.ChoiceField(label=_("Agency"))

    field_order = ["agency"]


class EditServiceForm(ServiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ImportServicesForm(forms.Form):
    """HSDS JSON from a file or pasted. ``clean`` parses it into the records
    ``import_services`` takes; an error names the record and its field."""

    agency = forms.ChoiceField(label=_("Agency"))
    file = forms.FileField(
        label=_("HSDS JSON file"),
        required=False,
        help_text=_("An Open Referral HSDS file: a page of services, a list or one service."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/json,.json"}),
    )
    text = forms.CharField(
        label=_("Or paste the JSON"),
        required=False,
        widget=forms.Textarea(attrs={"dir": "ltr", "rows": 10, "spellcheck": "false"}),
    )

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = {str(agency.pk): agency for agency in agencies}
        self.fields["agency"].choices = [(key, a.name) for key, a in self.agencies.items()]
        if len(self.agencies) == 1:
            del self.fields["agency"]

    def _document(self, raw: bytes | str, field: str):
        try:
            return json.loads(raw)
        except RecursionError:
            # Nested deeper than any HSDS file (the API's parser refuses it the same way).
            self.add_error(field, _("This JSON is nested too deeply."))
            return None
        except (ValueError, UnicodeDecodeError) as error:
            self.add_error(
                field,
                _("This is not valid JSON (%(problem)s).") % {"problem": str(error)[:120]},
            )
            return None

    def clean(self):
        data = super().clean()
        if "agency" in self.fields:
            data["agency"] = self.agencies.get(data.get("agency") or "")
        else:
            data["agency"] = next(iter(self.agencies.values()))
        upload = data.get("file")
        text = (data.get("text") or "").strip()
        if self.errors:
            return data
        if upload and text:
            self.add_error("text", _("Give a file or pasted JSON, not both."))
            return data
        if upload:
            if upload.size > MAX_IMPORT_BYTES:
                self.add_error("file", _("The file is larger than 2 MB."))
                return data
            document, field = self._document(upload.read(), "file"), "file"
        elif text:
            document, field = self._document(text, "text"), "text"
        else:
            self.add_error("file", _("Choose a file or paste the JSON."))
            return data
        if self.errors:
            return data
        try:
            data["records"], data["not_kept"] = parse_services(document)
        except InvalidInput as error:
            self.add_error(field, describe_import_error(error, document))
        except ValidationError as error:
            # Not HSDS 3.0: every error (the first 50), each naming its record and place.
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field, describe_import_problem(name, message, document))
        return data


def describe_import_error(error: InvalidInput, document=None) -> str:
    """ "Record 3 (“Legal aid”), field status: …" from ``services.2.status``."""
    return describe_import_problem(error.field, error.message, document)


def describe_import_problem(field_path: str | None, message, document=None) -> str:
    """The same, from the field's path and the message."""
    parts = (field_path or "").split(".")
    if len(parts) < 2 or parts[0] != "services" or not parts[1].isdigit():
        return str(message)
    index = int(parts[1])
    records = document.get("contents") if isinstance(document, dict) else document
    name = ""
    if isinstance(records, list) and index < len(records) and isinstance(records[index], dict):
        name = str(records[index].get("name") or "")[:80]
    elif isinstance(document, dict) and index == 0:
        name = str(document.get("name") or "")[:80]
    field = ".".join(parts[2:])
    record = (
        _("Record %(number)d (“%(name)s”)") % {"number": index + 1, "name": name}
        if name
        else _("Record %(number)d") % {"number": index + 1}
    )
    if field:
        return _("%(record)s, field %(field)s: %(message)s") % {
            "record": record,
            "field": field,
            "message": message,
        }
    return _("%(record)s: %(message)s") % {"record": record, "message": message}
