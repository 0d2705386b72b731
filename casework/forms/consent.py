"""Forms of the consent pages: record a consent, withdraw one or all, and add
to a case's do-not-disclose list. They parse and check the shape of input;
the rules (public authorities, Art. 9(2), evidence, recipients) live in
``casework.services.consent`` and come back as errors next to their field."""

from datetime import datetime, time

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from casework.forms.common import CaseForm
from casework.models import SPECIAL_CATEGORIES, Consent, DataCategory, ServiceCategory
from config.http.forms import AUTO_DIR, DATE_WIDGET

# Languages consent is most often explained in (code, English name, own name).
# Django does not know all of them, so the names are ours.
COMMON_LANGUAGES = (
    ("ar", _("Arabic"), "العربية"),
    ("fa", _("Persian (Farsi, Dari)"), "فارسی"),
    ("ps", _("Pashto"), "پښتو"),
    ("ti", _("Tigrinya"), "ትግርኛ"),
    ("uk", _("Ukrainian"), "Українська"),
    ("ru", _("Russian"), "Русский"),
    ("fr", _("French"), "Français"),
    ("en", _("English"), "English"),
    ("es", _("Spanish"), "Español"),
    ("so", _("Somali"), "Soomaali"),
    ("ku", _("Kurdish"), "Kurdî / کوردی"),
    ("ur", _("Urdu"), "اردو"),
    ("bn", _("Bengali"), "বাংলা"),
    ("it", _("Italian"), "Italiano"),
    ("de", _("German"), "Deutsch"),
)
OTHER_LANGUAGE = "other"

# What each purpose means, in plain words (for the form and for the client).
PURPOSE_EXPLANATIONS = {
    Consent.Purpose.CASE_MANAGEMENT: _(
        "We keep a record of your situation and of the help we give you, so that we "
        "can support you and follow up."
    ),
    Consent.Purpose.REFERRAL: _(
        "We share the information you choose with the organisations or kinds of "
        "service you agree to, so that they can help you."
    ),
    Consent.Purpose.STATISTICS: _(
        "We use your information, without your name, to count how many people we "
        "support and what help they need."
    ),
    Consent.Purpose.CONTACT: _(
        "We contact you by phone, SMS or e-mail about your case and your appointments."
    ),
}
OPTIONAL_NOTE = _("Optional: saying no changes nothing in the help you receive.")


def language_label(code: str) -> str:
    """A language code as "Arabic — العربية" (or the code itself when unknown)."""
    for known, name, local in COMMON_LANGUAGES:
        if known == code:
            return _both_names(str(name), local)
    try:
        info = get_language_info(code)
    except KeyError:
        return code
    return _both_names(str(info["name_translated"]), info["name_local"])


def _both_names(translated: str, local: str) -> str:
    # In the language itself the two names are the same word: say it once.
    return translated if translated == local else f"{translated} — {local}"


def _purpose_choices():
    return [
        (
            value,
            format_lazy("{} ({})", label, _("optional"))
            if value in Consent.OPTIONAL_PURPOSES
            else label,
        )
        for value, label in Consent.Purpose.choices
    ]


def _data_category_choices():
    return [
        (
            value,
            format_lazy("{} — {}", label, _("special category"))
            if value in SPECIAL_CATEGORIES
            else label,
        )
        for value, label in DataCategory.choices
    ]


def _language_choices():
    return [
        ("", "—"),
        *((code, language_label(code)) for code, _name, _local in COMMON_LANGUAGES),
        (OTHER_LANGUAGE, _("Another language (type its code below)")),
    ]


class ChoicesWithDisabled(forms.RadioSelect):
    """Radio buttons where some options are shown but cannot be chosen."""

    def __init__(self, *args, disabled=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values = set(disabled)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


def agency_directory():
    """The directory of agencies is public to every user: any agency may be named."""
    return Agency.objects.order_by("name")


class AgencyMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.city})" if obj.city else obj.name


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.city})" if obj.city else obj.name


class RecordConsentForm(forms.Form):
    """Every field of ``services.record_consent``."""

    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=_purpose_choices, widget=forms.RadioSelect
    )
    lawful_basis = forms.ChoiceField(label=_("Lawful basis"), choices=Consent.LawfulBasis.choices)
    data_categories = forms.MultipleChoiceField(
        label=_("Information covered"),
        choices=_data_category_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick only what the purpose needs. Health is special-category data: it needs "
            "an Art. 9(2) condition as well."
        ),
    )
    special_category_condition = forms.ChoiceField(
        label=_("Art. 9(2) condition"),
        choices=[("", "—"), *Consent.SpecialCategoryCondition.choices],
        required=False,
        help_text=_("Required when health data is covered."),
    )
    recipient_agencies = AgencyMultipleChoiceField(
        label=_("Recipient agencies"),
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_(
            "The organisations the client agreed to share with. Hold Ctrl (or Cmd) to "
            "choose more than one. A referral consent needs agencies or kinds of service."
        ),
    )
    recipient_service_categories = forms.MultipleChoiceField(
        label=_("Recipient kinds of service"),
        choices=ServiceCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Any provider of these kinds of service may receive the information."),
    )
    given_by = forms.ChoiceField(
        label=_("Given by"),
        choices=Consent.GivenBy.choices,
        initial=Consent.GivenBy.CLIENT,
        widget=forms.RadioSelect,
    )
    given_by_name = forms.CharField(
        label=_("Name of the person who gave it"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={**AUTO_DIR, "autocomplete": "off"}),
        help_text=_("Needed when a guardian or someone else gave the consent."),
    )
    method = forms.ChoiceField(
        label=_("How it was given"), choices=Consent.Method.choices, widget=forms.RadioSelect
    )
    evidence = forms.ChoiceField(
        label=_("Signed consent form"),
        required=False,
        help_text=_("Required for a written consent."),
    )
    notice_version = forms.CharField(
        label=_("Information notice version"),
        max_length=40,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
        help_text=_("The version of the information notice that was explained."),
    )
    explanation_language = forms.ChoiceField(
        label=_("Language it was explained in"), choices=_language_choices
    )
    explanation_language_other = forms.CharField(
        label=_("Code of another language"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
        help_text=_("Only for another language: a code such as am or hy."),
    )
    interpreter_used = forms.BooleanField(label=_("An interpreter was used"), required=False)
    given_at = forms.DateTimeField(
        label=_("Given on"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    expires_on = forms.DateField(
        label=_("Expires on (optional)"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_(
            "From this day on the consent no longer covers anything. Leave empty if it "
            "has no end date."
        ),
    )

    def __init__(self, *args, client, evidence_documents, initial_language="", **kwargs):
        known = {code for code, _name, _local in COMMON_LANGUAGES}
        initial = {
            "given_at": timezone.localtime().replace(second=0, microsecond=0),
            "notice_version": getattr(settings, "CONSENT_NOTICE_VERSION", ""),
            "explanation_language": initial_language
            if initial_language in known or not initial_language
            else OTHER_LANGUAGE,
            "explanation_language_other": "" if initial_language in known else initial_language,
            **kwargs.pop("initial", {}),
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.client = client
        self.fields["recipient_agencies"].queryset = agency_directory()
        self.fields["evidence"].choices = [
            ("", "—"),
            *(
                (str(document.pk), self._evidence_label(document))
                for document in evidence_documents
            ),
        ]
        public = client.agency.is_public_authority
        self.fields["lawful_basis"].widget = ChoicesWithDisabled(
            choices=self.fields["lawful_basis"].choices,
            disabled={Consent.LawfulBasis.LEGITIMATE_INTERESTS} if public else (),
        )
        self.fields["lawful_basis"].help_text = (
            format_lazy(
                _(
                    "Legitimate interests is not available: {agency} is a public authority "
                    "(GDPR Art. 6(1), last sentence)."
                ),
                agency=client.agency.name,
            )
            if public
            else _("Public authorities may not rely on legitimate interests.")
        )
        self.fields["given_at"].help_text = format_lazy(
            _("Date and time, {zone}."), zone=timezone.get_current_timezone_name()
        )

    @staticmethod
    def _evidence_label(document) -> str:
        parts = [document.case.number, document.description or str(_("Consent form"))]
        parts.append(timezone.localtime(document.uploaded_at).strftime("%Y-%m-%d"))
        return " · ".join(parts)

    def purpose_options(self) -> list[dict]:
        """Each purpose radio with its plain-words explanation and whether it is optional."""
        return [
            {
                "widget": widget,
                "explanation": PURPOSE_EXPLANATIONS.get(widget.data["value"], ""),
                "optional": widget.data["value"] in Consent.OPTIONAL_PURPOSES,
            }
            for widget in self["purpose"]
        ]

    def clean(self):
        data = super().clean()
        if data.get("explanation_language") == OTHER_LANGUAGE:
            code = (data.get("explanation_language_other") or "").strip().lower()
            if not code:
                self.add_error("explanation_language_other", _("Type the code of the language."))
            elif not code.isascii() or not code.replace("-", "").isalpha():
                self.add_error(
                    "explanation_language_other", _("Use a language code such as am or hy.")
                )
            else:
                data["explanation_language"] = code
        return data

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.min))

    def consent_data(self) -> dict:
        """The cleaned fields, as ``services.record_consent`` takes them."""
        data = self.cleaned_data
        return {
            "purpose": data["purpose"],
            "lawful_basis": data["lawful_basis"],
            "special_category_condition": data["special_category_condition"],
            "data_categories": data["data_categories"],
            "recipient_agencies": list(data["recipient_agencies"]),
            "recipient_service_categories": data["recipient_service_categories"],
            "given_by": data["given_by"],
            "given_by_name": data["given_by_name"],
            "method": data["method"],
            "evidence_id": data["evidence"] or None,
            "notice_version": data["notice_version"],
            "explanation_language": data["explanation_language"],
            "interpreter_used": data["interpreter_used"],
            "given_at": data["given_at"],
            "expires_at": data["expires_on"],
        }


class WithdrawConsentForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={**AUTO_DIR, "rows": 2}),
        help_text=_("What the client said, if they gave a reason. They do not have to."),
    )

    def __init__(self, *args, consent=None, **kwargs):
        if consent is not None:
            # Several withdrawal forms share a page: one set of ids per consent.
            kwargs.setdefault("auto_id", f"withdraw_{consent.pk}_%s")
        super().__init__(*args, **kwargs)


class WithdrawAllConsentsForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("The client withdraws every consent that is still in force."),
        help_text=_(
            "From now on nothing about the client may be used or shared on the basis of "
            "these consents."
        ),
        error_messages={"required": _("Tick the box to confirm the withdrawal.")},
    )
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={**AUTO_DIR, "rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "withdraw_all_%s")
        super().__init__(*args, **kwargs)


class DoNotDiscloseForm(CaseForm):
    id_prefix = "do_not_disclose"

    agency = AgencyChoiceField(
        label=_("Agency"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label="—",
    )
    person_name = forms.CharField(
        label=_("Person"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={**AUTO_DIR, "autocomplete": "off"}),
        help_text=_(
            "Instead of an agency or as well: for example a relative the client is hiding from."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={**AUTO_DIR, "rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agency_directory()
