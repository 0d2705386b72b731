from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import Calendar, Digits
from accounts.permissions import Role
from accounts.services.agencies import (
    INACTIVITY_DAYS_MAX,
    INACTIVITY_DAYS_MIN,
    SMALL_CELL_THRESHOLD_MAX,
    SMALL_CELL_THRESHOLD_MIN,
)
from accounts.validation import time_zone_names


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _("The email address or the password is not right."),
        "inactive": _("The email address or the password is not right."),
    }


class AddMemberForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=150,
        required=False,
        help_text=_("Needed only for a person who has no Sanad account yet."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    preferred_language = forms.ChoiceField(
        label=_("Language of the invitation"),
        choices=[("", _("Agency default")), *settings.LANGUAGES],
        required=False,
    )


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class DeactivateMemberForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False, widget=forms.TextInput
    )


class NewTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, e.g. 'case import script'."),
    )


# --- Own password (accounts.services.change_password) ------------------------------


class OwnPasswordForm(PasswordChangeForm):
    """Django's form for changing one's password, on the account page (which
    has other forms: nothing takes the focus)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        # Plain sentences: the field's help is a paragraph, not a list.
        self.fields["new_password1"].help_text = " ".join(
            password_validation.password_validators_help_texts()
        )
        self.error_messages = {
            **self.error_messages,
            "password_incorrect": _("This is not your current password."),
        }


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(time_zone_names())]


class AgencyTimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_(
            "Pages show times in this zone to the agency's members; stored times stay UTC."
        ),
    )


def _whole_number_field(*, label, minimum: int, maximum: int, help_text) -> forms.IntegerField:
    """A whole number from ``minimum`` to ``maximum``, typed on a number pad."""
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=maximum,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class AgencyInactivityForm(forms.Form):
    inactivity_days = _whole_number_field(
        label=_("Days without activity"),
        minimum=INACTIVITY_DAYS_MIN,
        maximum=INACTIVITY_DAYS_MAX,
        help_text=_(
            "An open case with no change, note, follow-up or document for this many days"
            " is shown to supervisors as without activity (1 to 365)."
        ),
    )


class AgencySmallCellForm(forms.Form):
    small_cell_threshold = _whole_number_field(
        label=_("Smallest count shown in statistics"),
        minimum=SMALL_CELL_THRESHOLD_MIN,
        maximum=SMALL_CELL_THRESHOLD_MAX,
        help_text=_(
            "Statistics and registers show a count below this number as “<k” and hide"
            " enough other counts that totals cannot reveal it (2 to 50)."
        ),
    )


class AgencyActivePdfForm(forms.Form):
    allow_active_pdf = forms.BooleanField(
        label=_("Accept PDFs with scripts or attachments"),
        required=False,
        help_text=_(
            "Off: uploaded PDFs that contain scripts, automatic actions or attached files are"
            " refused. Turn it on only if your agency works with such PDFs (some fillable forms)."
        ),
    )


class OwnTimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Times on your pages are shown in this zone."),
    )

    def __init__(self, *args, agency_time_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        default = (
            _("Your agency's time zone (%(zone)s)") % {"zone": agency_time_zone}
            if agency_time_zone
            else _("Your agency's time zone")
        )
        self.fields["time_zone"].choices = [("", default), *time_zone_choices()]


class DateDisplayForm(forms.Form):
    calendar = forms.ChoiceField(
        label=_("Calendar"),
        choices=Calendar.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Dates on your pages are written in this calendar; records keep the Gregorian date."
        ),
    )
    digits = forms.ChoiceField(label=_("Digits"), choices=Digits.choices, widget=forms.RadioSelect)


# --- Second factor ----------------------------------------------------------------


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The six digits your authenticator app shows, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "off",
                "spellcheck": "false",
                "dir": "ltr",
            }
        ),
    )


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."), code="wrong_password")
        return password


class RemoveFactorForm(forms.Form):
    kind = forms.ChoiceField(choices=[("app", "app"), ("passkey", "passkey")])
    device_id = forms.IntegerField(min_value=1)
