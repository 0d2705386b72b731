"""Forms of the referral pages: sending (with the check), a draft's changes,
the actions on a referral, the inbox's filters."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.forms import AssigneeMixin, CaseForm
from casework.models import Case, DataCategory
from config.http.forms import AUTO_DIR, DATE_WIDGET, LongSelect
from referrals.forms.common import blank_choice, text_field
from referrals.models import Referral, Service


def _service_choices(services, own_agency_id):
    """The directory as option groups, one per agency, each service with its status."""
    groups: dict[str, list] = {}
    for service in services:
        if service.agency_id == own_agency_id:
            continue
        label = str(service.name)
        if not service.takes_referrals:
            reason = (
                service.get_status_display()
                if service.status != Service.Status.ACTIVE
                else _("not accepting referrals")
            )
            label = f"{label} ({reason})"
        groups.setdefault(service.agency.name, []).append((str(service.pk), label))
    return [("", "—"), *groups.items()]


def _override_reason():
    return text_field(
        _("Reason for sending without a covering consent"),
        rows=3,
        help_text=_(
            "Only when the consent does not cover this referral, for example vital "
            "interests. Recorded with your name and shown to both agencies."
        ),
    )


class RecipientMixin:
    """The service (or agency) a referral goes to, and the categories to share."""

    def set_recipients(self, *, services, agencies, own_agency_id):
        self.fields["service"].choices = _service_choices(services, own_agency_id)
        self.fields["to_agency"].choices = blank_choice(
            [(str(agency.pk), agency.name) for agency in agencies if agency.pk != own_agency_id]
        )

    def recipient_key(self, data) -> str:
        service = data.get("service") or ""
        return f"service:{service}" if service else f"agency:{data.get('to_agency') or ''}"


class ReferralCheckForm(RecipientMixin, forms.Form):
    """What the explanation panel needs: the recipient and the chosen categories
    (``chosen`` says the categories were chosen, even none; without it Sanad proposes)."""

    service = forms.ChoiceField(required=False)
    to_agency = forms.ChoiceField(required=False)
    data_categories = forms.MultipleChoiceField(choices=DataCategory.choices, required=False)
    chosen = forms.BooleanField(required=False)

    def __init__(self, *args, services, agencies, own_agency_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_recipients(services=services, agencies=agencies, own_agency_id=own_agency_id)

    def check_arguments(self) -> dict | None:
        """Keyword arguments of ``referral_check_for``, or None without a recipient."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        if not data["service"] and not data["to_agency"]:
            return None
        return {
            "to_agency_id": data["to_agency"] or None,
            "service_id": data["service"] or None,
            "data_categories": data["data_categories"] if data["chosen"] else None,
        }


class ReferralForm(RecipientMixin, forms.Form):
    """Every field of ``create_referral`` and ``send_referral``."""

    service = forms.ChoiceField(
        label=_("Service"),
        required=False,
        help_text=_("From the directory. Services that take no referrals now say why."),
    )
    to_agency = forms.ChoiceField(
        label=_("Or an agency"),
        required=False,
        help_text=_("When no service of the directory fits: the agency itself."),
    )
    purpose = text_field(
        _("Purpose"),
        300,
        required=True,
        help_text=_("What the client needs from this service."),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Referral.Urgency.choices,
        initial=Referral.Urgency.ROUTINE,
        widget=forms.RadioSelect,
    )
    respond_by = forms.DateField(
        label=_("Respond by"),
        widget=DATE_WIDGET,
        help_text=_("The partner is asked to accept or decline by this day."),
    )
    message = text_field(_("Message to the partner"), rows=4)
    data_categories = forms.MultipleChoiceField(
        label=_("Information to share"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of information to share.")},
        help_text=_(
            "Only what the service needs and the client's consent covers is ticked. "
            "Nothing else of the client's file leaves the agency."
        ),
    )
    override_reason = _override_reason()
    proposed_for = forms.CharField(required=False, widget=forms.HiddenInput)
    # The action of the case's integration plan the referral carries out
    # ("Refer this action" on the plan page); the service checks it.
    plan_action = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, services, agencies, own_agency_id, check_url="", **kwargs):
        initial = {
            "respond_by": timezone.now().date() + timedelta(days=14),
            **kwargs.pop("initial", {}),
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.set_recipients(services=services, agencies=agencies, own_agency_id=own_agency_id)
        self.check_url = check_url
        if check_url:
            # A new recipient: htmx asks for Sanad's proposal and explanation.
            for name in ("service", "to_agency"):
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": check_url,
                        "hx-trigger": "change",
                        "hx-target": "#sharing",
                        "hx-swap": "outerHTML",
                        "hx-include": "#id_service, #id_to_agency",
                        "hx-vals": '{"part": "sharing"}',
                    }
                )

    def referral_data(self) -> dict:
        """The cleaned fields, as ``create_referral`` takes them."""
        data = self.cleaned_data
        return {
            "service_id": data["service"] or None,
            "to_agency_id": data["to_agency"] or None,
            "purpose": data["purpose"],
            "urgency": data["urgency"],
            "respond_by": data["respond_by"],
            "message": data["message"],
            "data_categories": data["data_categories"],
            "plan_action_id": data.get("plan_action"),
        }

    def category_options(self, check=None) -> list[dict]:
        """Each category checkbox with what Sanad says about it: whether the
        service needs it, and why the consent refuses it."""
        refused = check.refused_categories if check is not None else {}
        covered = set(check.covered) if check is not None else set()
        needed = set(check.needed) if check is not None else set()
        labels = dict(DataCategory.choices)
        options = []
        for widget in self["data_categories"]:
            value = widget.data["value"]
            refusal = ""
            if check is not None and value not in covered:
                refusal = refused.get(value) or _("The consent does not cover %(category)s.") % {
                    "category": str(labels[value]).lower()
                }
            if refusal:
                widget.data["attrs"]["aria-describedby"] = f"refusal-{value}"
            options.append(
                {
                    "widget": widget,
                    "value": value,
                    "needed": value in needed,
                    "refusal": refusal,
                }
            )
        return options


class DraftForm(ReferralForm):
    """A draft's changeable fields (``update_referral_draft``): the recipient
    is fixed once drafted, so it is not on the form."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    DRAFT_FIELDS = ("purpose", "urgency", "respond_by", "message", "data_categories")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("service", "to_agency", "override_reason", "proposed_for", "plan_action"):
            del self.fields[name]

    def draft_changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.DRAFT_FIELDS}


# --- Acting on a referral --------------------------------------------------------------


class SendDraftForm(CaseForm):
    id_prefix = "send"

    override_reason = _override_reason()


class WithdrawForm(CaseForm):
    id_prefix = "withdraw"

    reason = text_field(
        _("Reason (optional)"),
        rows=2,
        help_text=_("The partner is told the referral was withdrawn and loses access at once."),
    )


class AcceptForm(CaseForm):
    id_prefix = "accept"

    note = text_field(_("Note (optional)"), rows=2)


class DeclineForm(CaseForm):
    id_prefix = "decline"

    reason = text_field(
        _("Why do you decline?"),
        rows=3,
        required=True,
        help_text=_("The sending agency reads this. Say what would help the client instead."),
    )


class ProgressForm(CaseForm):
    id_prefix = "progress"

    note = text_field(_("Progress"), rows=3, required=True)


class CompleteForm(CaseForm):
    id_prefix = "complete"

    outcome = text_field(
        _("Outcome"),
        rows=3,
        required=True,
        help_text=_("What was done for the client; the sending agency reads this."),
    )


class OpenCaseForm(AssigneeMixin, CaseForm):
    id_prefix = "open_case"

    assigned_to = forms.ChoiceField(label=_("Caseworker"), widget=LongSelect)
    case_type = forms.ChoiceField(
        label=_("Type of case"),
        choices=blank_choice(Case.Type.choices, _("From the kind of service")),
        required=False,
    )

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_assignees(assignees, blank_label="—")


class MessageForm(CaseForm):
    id_prefix = "message"

    body = forms.CharField(
        label=_("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={**AUTO_DIR, "rows": 3}),
        help_text=_("Both agencies read the conversation. Share no more than the referral needs."),
    )


# --- The inbox ------------------------------------------------------------------------------


class InboxFilterForm(forms.Form):
    """The inbox's filters (GET). Unknown values are simply ignored."""

    DIRECTIONS = ("incoming", "outgoing")

    direction = forms.ChoiceField(
        choices=[(d, d) for d in DIRECTIONS], required=False, widget=forms.HiddenInput
    )
    state = forms.ChoiceField(
        label=_("State"), choices=blank_choice(Referral.State.choices, _("Any")), required=False
    )
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)
    without_case = forms.BooleanField(label=_("Only those without a case yet"), required=False)

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "state": data.get("state", ""),
            "overdue": True if data.get("overdue") else None,
            "without_case": bool(data.get("without_case")),
        }
