"""What the casework forms share: widgets, field helpers, the case-page form
base and the assignee select. Forms only parse and check the shape of input;
the rules (permissions, duplicates, versions, states) live in the services."""

from django import forms
from django.utils.translation import ngettext
from django_countries import countries

from accounts.permissions import Role
from config.http.forms import AUTO_DIR


def blank_choice(choices, label=None) -> list:
    """``choices`` after an empty first choice ("—", or ``label``)."""
    return [("", "—" if label is None else label), *choices]


def country_choices():
    # A callable: evaluated per form, so the names follow the active language.
    return [(code, name) for code, name in countries]


def blank_and_country_choices():
    return blank_choice(country_choices())


def text_field(label, max_length, **kwargs) -> forms.CharField:
    """A one-line text field, optional unless ``required=True``."""
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=kwargs.pop("required", False),
        widget=forms.TextInput(attrs={**AUTO_DIR, **kwargs.pop("attrs", {})}),
        **kwargs,
    )


def long_text(label, rows=4, **kwargs) -> forms.CharField:
    """A text area, optional unless ``required=True``."""
    return forms.CharField(
        label=label,
        required=kwargs.pop("required", False),
        widget=forms.Textarea(attrs={**AUTO_DIR, "rows": rows}),
        **kwargs,
    )


class CaseForm(forms.Form):
    """A form on the case page: its own id prefix, as several share field names."""

    id_prefix = "case"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


_ASSIGNABLE_ROLES = {Role.CASEWORKER, Role.SUPERVISOR}


def assignee_label(name: str, open_cases: int | None) -> str:
    """A person as an assignee list shows them: "Layla Haddad — 12 open cases"
    (the name alone when the caseload was not counted)."""
    if open_cases is None:
        return name
    return ngettext(
        "%(name)s — %(count)d open case", "%(name)s — %(count)d open cases", open_cases
    ) % {"name": name, "count": open_cases}


def assignee_choices(memberships) -> list[tuple[str, str]]:
    """Active caseworkers and supervisors among ``memberships`` (one entry per
    person). Memberships annotated with ``open_cases``
    (``casework.selectors.with_open_caseload``) add the person's open cases,
    counted once per agency."""
    names: dict[str, str] = {}
    caseloads: dict[str, dict] = {}
    for membership in memberships:
        user = membership.user
        if membership.is_active and user.is_active and membership.role in _ASSIGNABLE_ROLES:
            key = str(user.pk)
            names.setdefault(key, user.display_name)
            if hasattr(membership, "open_cases"):
                caseloads.setdefault(key, {})[membership.agency_id] = membership.open_cases
    people = sorted(names.items(), key=lambda item: item[1].casefold())
    return [
        (key, assignee_label(name, sum(caseloads[key].values()) if key in caseloads else None))
        for key, name in people
    ]


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
