"""What the HTML forms of every app share: the date widget, the text direction
of free text, a field of language codes, the choice of one of the user's agencies."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Free text typed by people in any script: the browser picks the direction.
AUTO_DIR = {"dir": "auto"}


class LongSelect(forms.Select):
    """A select of flat choices written in Python, for lists of hundreds of
    people (the staff of a large agency): Django's template renders each
    option through two template includes, about 30 µs an option, 9.5 ms for
    the 315 people of the benchmark's largest agency; this writes the same
    markup in well under a millisecond. Option groups are not supported."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(item) for item in self.format_value(value)}
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                (str(key), " selected" if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>\n{}\n</select>', name, attributes, options)


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


class AgencyChoiceMixin:
    """The form's ``agency`` field offers ``agencies`` (those the page allows the
    user, by id); with one agency there is nothing to choose and no field to
    tamper with. ``cleaned_data["agency"]`` is the agency (None if not offered)."""

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = {str(agency.pk): agency for agency in agencies}
        self.fields["agency"].choices = [(key, a.name) for key, a in self.agencies.items()]
        if len(self.agencies) == 1:
            del self.fields["agency"]

    def clean(self):
        data = super().clean()
        if "agency" in self.fields:
            data["agency"] = self.agencies.get(data.get("agency") or "")
        else:
            data["agency"] = next(iter(self.agencies.values()))
        return data
