"""Fields shared by the referrals API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field({"type": "string"})
class NamedChoiceField(serializers.ChoiceField):
    """A ChoiceField documented as a string whose description lists the values.

    drf-spectacular names an enum after the field that carries it, once for the
    whole schema: DataCategory is ``data_categories`` and ServiceCategory
    ``recipient_service_categories`` (the consent API), and ``status`` and
    ``category`` already name other choice sets. A field of another name with
    one of those sets would make a second name for it (a schema warning)."""

    def __init__(self, *, choices, **kwargs):
        values = ", ".join(str(value) for value, _label in _pairs(choices))
        help_text = kwargs.pop("help_text", "")
        kwargs["help_text"] = f"{help_text} One of: {values}.".strip()
        super().__init__(choices=choices, **kwargs)


def _pairs(choices):
    return [choice if isinstance(choice, tuple | list) else (choice, choice) for choice in choices]


def category_list(help_text: str = "", **kwargs) -> serializers.ListField:
    """A list of data categories in an answer, under a name other than data_categories."""
    from casework.models import DataCategory

    return serializers.ListField(
        child=serializers.CharField(),
        help_text=f"{help_text} Data categories: {', '.join(DataCategory.values)}.".strip(),
        **kwargs,
    )
