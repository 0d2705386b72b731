"""Forms of the privacy pages: filter the access log, find a client, place a
legal hold, erase a client, break the glass, record or withdraw an emergency
access agreement, set a retention period. They check the shape of input; the
rules (who may, legal holds, the 30-day minimum) live in ``privacy.services``
and come back as errors next to their field."""

from datetime import date, datetime, time, timedelta
from uuid import UUID

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import AccessLog
from config.http.forms import AUTO_DIR
from privacy.models import RetentionPolicy


class AccessPeriodForm(forms.Form):
    """A period of the access log: "from" and "to" days, both optional. Days
    are the viewer's (in the zone the request activated,
    ``accounts.middleware.TimeZoneMiddleware``); "to" includes its whole day.
    The "who accessed this" pages filter by it; the DPO's filters add theirs."""

    since = forms.DateField(
        label=pgettext_lazy("the first day of a period", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end of the period is before its start."))
        return data

    def period(self) -> dict:
        """The period as ``since`` and ``until`` instants (None where not
        given): the start of the "from" day and of the day after "to", in the
        current zone."""
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        return {
            "since": day_start(since) if since else None,
            "until": day_start(until + timedelta(days=1)) if until else None,
        }


def day_start(day: date) -> datetime:
    """The first instant of ``day`` in the current zone (the viewer's, on a page)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def days_back(days: int) -> date:
    """The first day of "the last ``days`` days", today in the current zone being the last."""
    return timezone.localdate() - timedelta(days=days - 1)


class AccessLogFilterForm(AccessPeriodForm):
    """The DPO's filters. Days are the viewer's; "to" includes its whole day."""

    user = forms.ChoiceField(label=_("Staff member"), required=False)
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    client = forms.UUIDField(
        label=_("Client id"),
        required=False,
        help_text=_("The record id of a client of your agency."),
    )
    case = forms.UUIDField(
        label=_("Case id"), required=False, help_text=_("The record id of a case of your agency.")
    )
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Any action")), *AccessLog.Action.choices],
    )

    def __init__(
        self,
        data: dict | None,
        *,
        people: list[tuple[str, str]],
        agencies: list[tuple[str, str]],
    ):
        super().__init__(data)
        self.fields["user"].choices = [("", _("Anyone")), *people]
        self.fields["agency"].choices = [("", _("Any agency")), *agencies]

    def filters(self) -> dict:
        """The form's values as ``privacy.selectors.read_access_log`` filters."""
        data = self.cleaned_data
        return {
            "user_id": UUID(data["user"]) if data.get("user") else None,
            "agency_id": UUID(data["agency"]) if data.get("agency") else None,
            "client_id": data.get("client"),
            "case_id": data.get("case"),
            "action": data.get("action") or "",
            **self.period(),
        }


class DataProtectionSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, client id or case number"),
        max_length=100,
        required=False,
        help_text=_(
            "A name in any script (or part of one), the whole client id, or a case number "
            "(or part of one)."
        ),
    )

    held = forms.BooleanField(label=_("Only clients under a legal hold"), required=False)

    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""

    def only_held(self) -> bool:
        return bool(self.cleaned_data.get("held")) if self.is_valid() else False


class LegalHoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={**AUTO_DIR, "rows": 3}),
        help_text=_("For example: a court case, an investigation, a pending appeal."),
        error_messages={"required": _("Say why the data must be kept.")},
    )
    case = forms.ChoiceField(
        label=_("Case"),
        required=False,
        help_text=_("Leave empty to hold everything about the client."),
    )

    def __init__(self, *args, cases=(), **kwargs):
        kwargs.setdefault("auto_id", "hold_%s")
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [
            ("", _("The whole client")),
            *((str(case.pk), case.number) for case in cases),
        ]


class EraseClientForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={**AUTO_DIR, "rows": 3}),
        help_text=_(
            "For example: the person's request of a given date. Do not write the "
            "person's name: the reason is kept."
        ),
        error_messages={"required": _("Say why the client is erased.")},
    )
    confirm = forms.BooleanField(
        label=_("I understand this cannot be undone."),
        error_messages={"required": _("Tick the box to confirm the erasure.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "erase_%s")
        super().__init__(*args, **kwargs)


class BreakGlassForm(forms.Form):
    case_number = forms.CharField(
        label=_("Case number"),
        max_length=40,
        help_text=_("Exactly as written on the case, e.g. AMAL-2026-00012."),
        error_messages={"required": _("Give the number of the case to open.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={**AUTO_DIR, "rows": 3}),
        help_text=_(
            "The emergency that needs this case now. The case's agency is told who "
            "opened it and why."
        ),
        error_messages={"required": _("Say what the emergency is.")},
    )


class EmergencyAccessAgreementForm(forms.Form):
    partner = forms.ChoiceField(
        label=_("Partner agency"),
        help_text=_("Its supervisors may then open your agency's cases in an emergency."),
        error_messages={"required": _("Choose an agency.")},
    )
    reference = forms.CharField(
        label=_("Written agreement"),
        max_length=200,
        help_text=_("The signed agreement's reference and date, e.g. DSA-2026-07 of 2026-03-02."),
        error_messages={"required": _("Give the reference of the signed agreement.")},
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={**AUTO_DIR, "rows": 2}),
    )

    def __init__(self, *args, partners=(), **kwargs):
        kwargs.setdefault("auto_id", "agreement_%s")
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [
            ("", _("Choose an agency")),
            *((str(agency.pk), agency.name) for agency in partners),
        ]


class WithdrawAgreementForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={**AUTO_DIR, "rows": 2}),
        error_messages={"required": _("Say why the agreement is withdrawn.")},
    )


class RetentionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Records"), choices=RetentionPolicy.Kind.choices)
    days = forms.IntegerField(
        label=_("Kept for (days)"),
        min_value=1,
        help_text=_("At least 30 days. Five years are 1826 days."),
    )
