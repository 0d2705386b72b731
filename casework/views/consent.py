"""Consent pages: a client's consents (active, expired, withdrawn), recording a
consent, one consent read-only, withdrawing one or all, the printable consent
form in the client's language; and the do-not-disclose list of a case.

There is no page that edits or deletes a consent: a recorded consent changes
only by its withdrawal (DESIGN §4).
"""

from collections import Counter
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.permissions import Perm
from casework import selectors, services
from casework.forms import (
    PURPOSE_EXPLANATIONS,
    DoNotDiscloseForm,
    RecordConsentForm,
    WithdrawAllConsentsForm,
    WithdrawConsentForm,
    language_label,
)
from casework.models import Case, Client, Consent, DataCategory, ServiceCategory
from casework.selectors.consent import consent_form_languages, consent_form_sheet
from config.errors import Conflict, DomainError, Forbidden, NotFound
from config.http.pages import attempt, error_status, post_data, safe_next, show_error

# The order of the groups on the list; "not yet valid" only appears when there is one.
STATUSES = ("active", "not_yet_valid", "expired", "withdrawn")
STATUS_LABELS = {
    "active": gettext_lazy("Active"),
    "not_yet_valid": gettext_lazy("Not yet valid"),
    "expired": gettext_lazy("Expired"),
    "withdrawn": gettext_lazy("Withdrawn"),
}
ALWAYS_SHOWN = {"active", "expired", "withdrawn"}
# A consent the client can still withdraw (an expired one covers nothing already).
WITHDRAWABLE = {"active", "not_yet_valid"}


def _labels(choices, values) -> list[str]:
    """Readable labels of ``values``, in the order of the choices (as on the form)."""
    chosen = set(values or [])
    return [label for value, label in choices.choices if value in chosen] + sorted(
        chosen - set(choices.values)
    )


def _described(consents, now=None) -> list[Consent]:
    """The consents with what the pages show: status now, readable labels."""
    now = now or timezone.now()
    consents = list(consents)
    for consent in consents:
        consent.status_now = consent.status_at(now)
        consent.status_label = STATUS_LABELS[consent.status_now]
        consent.is_optional = consent.purpose in Consent.OPTIONAL_PURPOSES
        consent.category_labels = _labels(DataCategory, consent.data_categories)
        consent.kind_labels = _labels(ServiceCategory, consent.recipient_service_categories)
        consent.recipients = list(consent.recipient_agencies.all())
        consent.language_label = language_label(consent.explanation_language)
    return consents


# --- A client's consents -----------------------------------------------------------


def _consents_page(
    request: HttpRequest, client: Client, withdraw_all_form=None, status: int = 200
) -> HttpResponse:
    user = request.user
    consents = _described(selectors.consents_of(user, client.pk))
    can_withdraw = user.has_perm(Perm.WITHDRAW_CONSENT, client)
    by_status: dict[str, list[Consent]] = {name: [] for name in STATUSES}
    for consent in consents:
        by_status[consent.status_now].append(consent)
        if can_withdraw and consent.status_now in WITHDRAWABLE:
            consent.withdraw_form = WithdrawConsentForm(consent=consent)
    groups = [
        {"status": name, "label": STATUS_LABELS[name], "consents": by_status[name]}
        for name in STATUSES
        if by_status[name] or name in ALWAYS_SHOWN
    ]
    withdrawable = any(consent.status_now in WITHDRAWABLE for consent in consents)
    if withdraw_all_form is None and can_withdraw and withdrawable:
        withdraw_all_form = WithdrawAllConsentsForm()
    return render(
        request,
        "casework/consent_list.html",
        {
            "client": client,
            "groups": groups,
            "can_record": user.has_perm(Perm.RECORD_CONSENT, client),
            "withdraw_all_form": withdraw_all_form,
            "section": "clients",
        },
        status=status,
    )


@require_safe
@never_cache
@login_required
def client_consents(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """The client's consents grouped active / not yet valid / expired / withdrawn.
    Needs VIEW_CONSENT on the client."""
    client = selectors.get_client_for(request.user, client_id, Perm.VIEW_CONSENT)
    return _consents_page(request, client)


def consent_summary(user, client: Client) -> dict | None:
    """For the client page: how many consents in each state and the purposes
    covered now; None without VIEW_CONSENT on the client."""
    if not user.has_perm(Perm.VIEW_CONSENT, client):
        return None
    consents = _described(selectors.consents_of(user, client.pk))
    counts = Counter(consent.status_now for consent in consents)
    active_purposes = list(
        dict.fromkeys(
            consent.get_purpose_display() for consent in consents if consent.status_now == "active"
        )
    )
    return {
        "counts": [
            {"status": name, "label": STATUS_LABELS[name], "count": counts[name]}
            for name in STATUSES
            if counts[name] or name in ALWAYS_SHOWN
        ],
        "active_purposes": active_purposes,
        "total": len(consents),
        "can_record": user.has_perm(Perm.RECORD_CONSENT, client),
    }


# --- Recording ---------------------------------------------------------------------


@never_cache
@login_required
def consent_record(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Record what the client agreed to. Needs RECORD_CONSENT on the client; the
    service refuses what the law refuses and the error shows at its field."""
    user = request.user
    client = selectors.get_client_for(user, client_id, Perm.RECORD_CONSENT)
    evidence = selectors.consent_evidence_documents(user, client).select_related("case")
    form = RecordConsentForm(
        post_data(request),
        client=client,
        evidence_documents=evidence,
        initial_language=client.languages[0] if client.languages else "",
    )
    if request.method == "POST" and form.is_valid():
        consent = attempt(
            form, services.record_consent, actor=user, client_id=client.pk, **form.consent_data()
        )
        if consent is not None:
            messages.success(request, _("The consent was recorded."))
            url = reverse("casework:client_consents", args=[client.pk])
            return redirect(f"{url}#consent-{consent.pk}")
    return render(
        request,
        "casework/consent_record.html",
        {
            "client": client,
            "form": form,
            "has_evidence": len(form.fields["evidence"].choices) > 1,
            "section": "clients",
        },
        status=error_status(form),
    )


# --- One consent -------------------------------------------------------------------


def _consent_page(request: HttpRequest, consent: Consent, withdraw_form=None) -> HttpResponse:
    user = request.user
    (consent,) = _described([consent])
    if (
        withdraw_form is None
        and consent.status_now in WITHDRAWABLE
        and user.has_perm(Perm.WITHDRAW_CONSENT, consent.client)
    ):
        withdraw_form = WithdrawConsentForm()
    return render(
        request,
        "casework/consent_detail.html",
        {
            "consent": consent,
            "client": consent.client,
            "withdraw_form": withdraw_form,
            "section": "clients",
        },
        status=error_status(withdraw_form) if withdraw_form is not None else 200,
    )


@require_safe
@never_cache
@login_required
def consent_detail(request: HttpRequest, consent_id: UUID) -> HttpResponse:
    """One consent, read-only. Needs VIEW_CONSENT on its client. Nothing here
    edits it: the only change a consent knows is its withdrawal."""
    consent = selectors.get_consent_for(request.user, consent_id)
    return _consent_page(request, consent)


@require_POST
@login_required
def consent_withdraw(request: HttpRequest, consent_id: UUID) -> HttpResponse:
    """Record that the client withdrew one consent. Needs WITHDRAW_CONSENT."""
    user = request.user
    consent = selectors.get_consent_for(user, consent_id, Perm.WITHDRAW_CONSENT)
    form = WithdrawConsentForm(request.POST)
    if form.is_valid():
        try:
            services.withdraw_consent(
                actor=user, consent_id=consent.pk, reason=form.cleaned_data["reason"]
            )
        except (NotFound, Forbidden):
            raise
        except Conflict as error:
            messages.error(request, str(error.message))
            return redirect("casework:consent_detail", consent_id=consent.pk)
        except (DomainError, ValidationError) as error:
            show_error(form, error)
        else:
            messages.success(
                request, _("The consent was withdrawn. From now on it covers nothing.")
            )
            default = reverse("casework:client_consents", args=[consent.client_id])
            return redirect(safe_next(request, f"{default}#consent-{consent.pk}"))
    return _consent_page(request, consent, withdraw_form=form)


@require_POST
@login_required
def consent_withdraw_all(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Withdraw every consent of the client in one step (a ticked confirmation,
    an optional reason). Needs WITHDRAW_CONSENT on the client."""
    user = request.user
    client = selectors.get_client_for(user, client_id, Perm.WITHDRAW_CONSENT)
    form = WithdrawAllConsentsForm(request.POST)
    if form.is_valid():
        withdrawn = attempt(
            form,
            services.withdraw_all_consents,
            actor=user,
            client_id=client.pk,
            reason=form.cleaned_data["reason"],
        )
        if withdrawn is not None:
            if withdrawn:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d consent was withdrawn.",
                        "%(count)d consents were withdrawn.",
                        len(withdrawn),
                    )
                    % {"count": len(withdrawn)},
                )
            else:
                messages.info(request, _("There was no consent left to withdraw."))
            return redirect("casework:client_consents", client_id=client.pk)
    return _consents_page(request, client, withdraw_all_form=form, status=error_status(form))


# --- The printable consent form -----------------------------------------------------


def _form_language(request: HttpRequest, client: Client) -> str:
    """``?lang=`` if it is a language of the interface, else the client's first
    spoken language that is one, else the user's."""
    language, _agency_language = consent_form_languages(
        client, request.GET.get("lang", ""), fallback=translation.get_language()
    )
    return language


def _fully_translated(language: str) -> bool:
    """Whether the plain-words explanations exist in ``language`` (until the
    catalogue catches up, a form would mix languages; the page says so)."""
    if language == settings.LANGUAGE_CODE:
        return True
    with translation.override(None):
        source = [str(text) for text in PURPOSE_EXPLANATIONS.values()]
    with translation.override(language):
        shown = [str(text) for text in PURPOSE_EXPLANATIONS.values()]
    return all(a != b for a, b in zip(source, shown, strict=True))


@require_safe
@never_cache
@login_required
def consent_form(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """A consent form to print and sign, in the client's language (right to
    left for Arabic). Needs RECORD_CONSENT on the client. The page around it
    stays in the user's language; the form itself is rendered in ``language``."""
    client = selectors.get_client_for(request.user, client_id, Perm.RECORD_CONSENT)
    language = _form_language(request, client)
    with translation.override(language):
        sheet = render_to_string(
            "casework/_consent_form_sheet.html",
            consent_form_sheet(client),
            request=request,
        )
    unavailable = [
        language_label(code) for code in client.languages if code not in dict(settings.LANGUAGES)
    ]
    return render(
        request,
        "casework/consent_form.html",
        {
            "client": client,
            "sheet": sheet,
            "form_language": language,
            "form_languages": [
                (code, translation.get_language_info(code)["name_local"])
                for code, _name in settings.LANGUAGES
            ],
            "unavailable_languages": unavailable,
            "incomplete_translation": not _fully_translated(language),
            "form_language_name": translation.get_language_info(language)["name_translated"],
            "section": "clients",
        },
    )


# --- Do not disclose -----------------------------------------------------------------


def do_not_disclose_section(user, case: Case, form=None) -> dict:
    """The case page's "Do not disclose to" section: the entries for holders of
    VIEW_DO_NOT_DISCLOSE, the add form for holders of ADD_DO_NOT_DISCLOSE."""
    can_view = user.has_perm(Perm.VIEW_DO_NOT_DISCLOSE, case)
    can_add = user.has_perm(Perm.ADD_DO_NOT_DISCLOSE, case)
    if form is None and can_add:
        form = DoNotDiscloseForm()
    return {
        "do_not_disclose": {
            "can_view": can_view,
            "can_add": can_add,
            "entries": list(selectors.do_not_disclose_of(user, case.pk)) if can_view else [],
            "form": form if can_add else None,
        }
    }


@never_cache
@login_required
def do_not_disclose_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Add an agency or a person the case must never be disclosed to. Needs
    ADD_DO_NOT_DISCLOSE on the case. GET shows the list and the form alone."""
    user = request.user
    case = selectors.get_case_for(user, case_id, Perm.ADD_DO_NOT_DISCLOSE)
    form = DoNotDiscloseForm(post_data(request))
    if request.method == "POST" and form.is_valid():
        entry = attempt(
            form,
            services.add_do_not_disclose,
            actor=user,
            case_id=case.pk,
            agency=form.cleaned_data["agency"],
            person_name=form.cleaned_data["person_name"],
            reason=form.cleaned_data["reason"],
        )
        if entry is not None:
            messages.success(request, _("Added to the do-not-disclose list."))
            url = reverse("casework:case_detail", args=[case.pk])
            return redirect(f"{url}#do-not-disclose")
    return render(
        request,
        "casework/consent_do_not_disclose.html",
        {"case": case, **do_not_disclose_section(user, case, form), "section": "cases"},
        status=error_status(form),
    )
