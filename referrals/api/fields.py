"""Fields shared by the referrals API."""

from rest_framework import serializers


class NamedChoiceField(serializers.ChoiceField):
    """A ChoiceField whose description lists the values. Its enum has one name
    whatever the field is called (``ENUM_NAME_OVERRIDES`` in the settings)."""

    def __init__(self, *, choices, **kwargs):
        values = ", ".join(str(value) for value, _label in _pairs(choices))
        help_text = kwargs.pop("help_text", "")
        kwargs["help_text"] = f"{help_text} One of: {values}.".strip()
        super().__init__(choices=choices, **kwargs)


def _pairs(choices):
    return [choice if isinstance(choice, tuple | list) else (choice, choice) for choice in choices]


def category_list(help_text: str = "", **kwargs) -> serializers.ListField:
    """A list of data categories in an answer (the schema's DataCategory), under
    a name other than data_categories."""
    from casework.models import DataCategory

    return serializers.ListField(
        child=serializers.ChoiceField(choices=DataCategory.choices),
        help_text=help_text,
        **kwargs,
    )
