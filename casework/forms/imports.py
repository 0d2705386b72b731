"""The spreadsheet import's forms: the upload, the mapping page (built from
the file's sheets and columns), a duplicate's decision, the run.

They parse the shape of the input only; the import's services check the
mapping, the decisions and the states."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from casework.models import ClientImport, ImportRow
from casework.services.imports.fields import FIELDS_BY_NAME, value_options
from casework.services.imports.preview import MappingView, field_choices

# Big enough for the largest allowed file; the service checks the real limit.
FILE_HELP = _(
    "An .xlsx, .ods or .csv file (UTF-8 or UTF-16, any delimiter), one row per client. "
    "Cases and identity documents may be on the same row or on sheets of their own."
)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet"), help_text=FILE_HELP)
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=None, empty_label=None)
    saved_mapping = forms.ChoiceField(label=_("Mapping"), required=False)

    def __init__(self, *args, agencies, saved_mappings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.only_agency = agencies[0] if len(agencies) == 1 else None
        if self.only_agency is not None:
            # One agency: the form does not ask.
            del self.fields["agency"]
        self.fields["saved_mapping"].choices = [
            ("", _("A saved mapping the file fits, else guessed from the headers")),
            *[
                (str(saved.pk), f"{saved.name} ({saved.agency.name})")
                if len(agencies) > 1
                else (str(saved.pk), saved.name)
                for saved in saved_mappings
            ],
        ]
        if not saved_mappings:
            self.fields["saved_mapping"].widget = forms.HiddenInput()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refused before it is read (the service checks the bytes again).
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.")
                % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
                code="file_too_large",
            )
        return upload

    def chosen_agency(self):
        return self.only_agency or self.cleaned_data["agency"]


def _column_key(sheet_index: int, column_index: int) -> str:
    return f"col_{sheet_index}_{column_index}"


def _value_key(field_name: str, index: int) -> str:
    return f"val_{field_name}_{index}"


class MappingForm(forms.Form):
    """Which sheet holds what, each column's field, each choice text's code,
    how dates are written; and, optionally, a name to keep the mapping under."""

    version = forms.IntegerField(widget=forms.HiddenInput())
    sheet = forms.ChoiceField(label=_("Sheet of the clients"))
    case_sheet = forms.ChoiceField(label=_("Sheet of their cases"), required=False)
    document_sheet = forms.ChoiceField(label=_("Sheet of their identity documents"), required=False)
    day_first = forms.BooleanField(
        label=_("Dates are written day first (03/04/2024 is 3 April)"), required=False
    )
    save_as = forms.CharField(
        label=_("Save this mapping as"),
        help_text=_("Optional: a name to reuse the mapping for the next file of the same shape."),
        max_length=100,
        required=False,
    )

    def __init__(self, *args, client_import: ClientImport, view: MappingView, **kwargs):
        kwargs.setdefault("auto_id", "mapping_%s")
        super().__init__(*args, **kwargs)
        self.view = view
        names = [(sheet["name"], sheet["name"]) for sheet in client_import.sheets]
        self.fields["sheet"].choices = names
        none = [("", _("None (on the clients' rows)"))]
        self.fields["case_sheet"].choices = none + names
        self.fields["document_sheet"].choices = none + names
        self.fields["version"].initial = client_import.version
        self.fields["sheet"].initial = client_import.sheet
        self.fields["case_sheet"].initial = client_import.case_sheet
        self.fields["document_sheet"].initial = client_import.document_sheet
        self.fields["day_first"].initial = view.day_first
        choices = [("", _("— left out —")), *field_choices()]
        self.columns = []
        for sheet_index, sheet in enumerate(view.sheets):
            rows = []
            for column in sheet.columns:
                if not column.header:
                    continue
                key = _column_key(sheet_index, column.index)
                self.fields[key] = forms.ChoiceField(
                    label=column.header, choices=choices, required=False, initial=column.field
                )
                rows.append((column, key))
            self.columns.append((sheet, rows))
        self.values = []
        for field_name, texts in view.values.items():
            options = [("", _("— not known —")), *value_options(field_name)]
            rows = []
            for index, text in enumerate(texts):
                key = _value_key(field_name, index)
                self.fields[key] = forms.ChoiceField(
                    label=text.text, choices=options, required=False, initial=text.code
                )
                rows.append((text, key))
            self.values.append(
                (
                    FIELDS_BY_NAME[field_name].label,
                    field_name,
                    rows,
                    view.more_values.get(field_name, 0),
                )
            )

    def column_fields(self):
        for sheet, rows in self.columns:
            yield sheet, [(column, self[key]) for column, key in rows]

    def value_fields(self):
        for label, field_name, rows, more in self.values:
            yield label, field_name, [(text, self[key]) for text, key in rows], more

    def mapping(self, client_import: ClientImport) -> dict:
        """The mapping sent: every shown sheet's columns, and the codes chosen
        where they differ from the guess; the codes of texts not shown (past
        the page's limit) are kept as they were."""
        data = self.cleaned_data
        columns = {
            sheet.name: {column.header: data.get(key) or "" for column, key in rows}
            for sheet, rows in self.columns
        }
        stored = (client_import.mapping or {}).get("values", {})
        values = {field_name: dict(codes) for field_name, codes in stored.items()}
        for _label, field_name, rows, _more in self.values:
            chosen = values.setdefault(field_name, {})
            for text, key in rows:
                code = data.get(key) or ""
                if code and code != text.guessed:
                    chosen[text.text] = code
                else:
                    chosen.pop(text.text, None)
        values = {field_name: codes for field_name, codes in values.items() if codes}
        return {"columns": columns, "values": values, "day_first": bool(data.get("day_first"))}


class DecisionForm(forms.Form):
    """What a possible duplicate row is: one of its candidates (or the earlier
    row it repeats), to be skipped, or a new person."""

    choice = forms.ChoiceField(label=_("This row is"), widget=forms.RadioSelect)
    # The import's version the page showed: a remap since changes which person
    # each row is.
    version = forms.IntegerField(widget=forms.HiddenInput())

    def __init__(self, *args, row: ImportRow, candidates: dict, **kwargs):
        kwargs.setdefault("auto_id", f"row{row.row_number}_%s")
        kwargs.setdefault("prefix", f"row{row.row_number}")
        super().__init__(*args, **kwargs)
        self.row = row
        self.fields["version"].initial = row.client_import.version
        options = []
        for pk in row.candidates:
            client = candidates.get(pk)
            if client is not None:
                options.append((f"link:{pk}", _("the existing client %(name)s") % {"name": client}))
            else:
                options.append((f"link:{pk}", _("an existing client you cannot see")))
        if row.duplicate_of_row is not None:
            options.append(
                ("link:", _("the person of row %(row)s") % {"row": row.duplicate_of_row})
            )
        options += [
            (ImportRow.Decision.SKIP.value, _("to be skipped")),
            (ImportRow.Decision.NEW.value, _("a different person: import as new")),
        ]
        self.fields["choice"].choices = options
        if row.decision == ImportRow.Decision.LINK:
            self.fields["choice"].initial = f"link:{row.linked_client_id or ''}"
        elif row.decision:
            self.fields["choice"].initial = row.decision

    def decision(self) -> tuple[str, str | None]:
        """(decision, client id or None) chosen."""
        choice = self.cleaned_data["choice"]
        if choice.startswith("link:"):
            return ImportRow.Decision.LINK.value, choice.split(":", 1)[1] or None
        return choice, None


class RunForm(forms.Form):
    mode = forms.ChoiceField(choices=ClientImport.Mode.choices)
    # The version of the report the page showed.
    version = forms.IntegerField(widget=forms.HiddenInput())
