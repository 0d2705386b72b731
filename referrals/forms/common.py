"""Small helpers shared by the referral forms."""

from django import forms
from django_countries import countries

from config.http.forms import AUTO_DIR


def blank_choice(choices, label="—"):
    return [("", label), *choices]


def text_field(label, max_length=None, *, required=False, rows=None, **kwargs):
    widget = (
        forms.Textarea(attrs={**AUTO_DIR, "rows": rows})
        if rows
        else forms.TextInput(attrs={**AUTO_DIR, **kwargs.pop("attrs", {})})
    )
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=widget, **kwargs
    )


def country_choices():
    return blank_choice([(code, name) for code, name in countries])
