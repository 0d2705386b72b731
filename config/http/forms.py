"""What the HTML forms of every app share: the date widget, the text direction
of free text, a field of language codes."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Free text typed by people in any script: the browser picks the direction.
AUTO_DIR = {"dir": "auto"}


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
