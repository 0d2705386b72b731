"""Data-protection pages: the DPO's list of clients (ids, registration dates
and case numbers, never names), a client's data-protection page (subject-access
export, legal holds, erasure), break the glass, and an agency's retention
periods with a dry run of what they would anonymise now.

The DPO sees audit data, not case content (DESIGN §5): these pages reach a
client through the actor's role in the client's agency
(``casework.selectors.protection``), not through the casework scope, and show
no personal data of the client.
"""

import json
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.permissions import Perm
from accounts.selectors import agencies_of, agency_permissions
from casework.forms_protection import (
    BreakGlassForm,
    DataProtectionSearchForm,
    EmergencyAccessAgreementForm,
    EraseClientForm,
    LegalHoldForm,
    RetentionForm,
    WithdrawAgreementForm,
)
from casework.models import RetentionPolicy
from casework.selectors import protection as selectors
from casework.services import protection as services
from config.errors import DomainError, Forbidden, NotFound
from config.http.pages import attempt, error_status, keyset_page, post_data, safe_next


def _may(user, perm: Perm, agency_id) -> bool:
    return perm in agency_permissions(user).get(agency_id, frozenset())


# --- The DPO's list of clients -------------------------------------------------------------


@require_safe
@never_cache
@login_required
def data_protection(request: HttpRequest) -> HttpResponse:
    """Where the DPO starts: the agency's clients by id, registration date and
    case numbers, searchable by client id or case number, each linking to its
    data-protection page (EXPORT_SUBJECT_ACCESS); links to the retention
    periods (MANAGE_RETENTION), to the emergency access agreements
    (VIEW_MEMBERS) and to break the glass (BREAK_GLASS)."""
    user = request.user
    searchable = bool(selectors.agencies_where(user, Perm.EXPORT_SUBJECT_ACCESS))
    retention_agencies = list(
        agencies_of(user)
        .filter(pk__in=selectors.agencies_where(user, Perm.MANAGE_RETENTION))
        .order_by("name")
    )
    may_break_glass = bool(selectors.agencies_where(user, Perm.BREAK_GLASS))
    agreement_agencies = list(
        agencies_of(user)
        .filter(pk__in=selectors.agencies_where(user, Perm.VIEW_MEMBERS))
        .order_by("name")
    )
    if not (searchable or retention_agencies or may_break_glass):
        raise Forbidden()
    form = DataProtectionSearchForm(request.GET)
    page = None
    if searchable:
        clients = selectors.clients_for_data_protection(user, form.query())
        page = keyset_page(clients, request.GET.get("after", ""), "created_at")
    return render(
        request,
        "casework/protection/index.html",
        {
            "form": form,
            "page": page,
            "searched": bool(form.query()),
            "retention_agencies": retention_agencies,
            "agreement_agencies": agreement_agencies,
            "may_break_glass": may_break_glass,
            "section": "data_protection",
        },
    )


# --- A client's data protection --------------------------------------------------------------


def _client_page(
    request: HttpRequest,
    client_id,
    *,
    overview=None,
    hold_form=None,
    erase_form=None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    overview = overview or selectors.data_protection_of(user, client_id)
    client = overview.client
    may_hold = _may(user, Perm.PLACE_LEGAL_HOLD, client.agency_id)
    may_erase = _may(user, Perm.ERASE_CLIENT, client.agency_id)
    erased = client.anonymised_at is not None
    if hold_form is None and may_hold and not erased:
        hold_form = LegalHoldForm(cases=overview.cases)
    if erase_form is None and may_erase and not erased:
        erase_form = EraseClientForm()
    return render(
        request,
        "casework/protection/client.html",
        {
            "client": client,
            "overview": overview,
            "may_hold": may_hold,
            "may_erase": may_erase,
            "hold_form": hold_form,
            "erase_form": erase_form,
            "section": "data_protection",
        },
        status=status,
    )


@require_safe
@never_cache
@login_required
def client_data_protection(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """A client's data-protection page for the DPO and supervisors of the
    client's agency (EXPORT_SUBJECT_ACCESS): the client's id, registration
    date and agency, the subject-access export, legal holds, and erasure (the
    DPO). No personal data: the DPO may not open the client itself."""
    return _client_page(request, client_id)


def subject_access_attachment(client_id, export: dict) -> HttpResponse:
    """The subject-access export as a JSON file to save (never cached)."""
    body = json.dumps(export, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="subject-access-{client_id}.json"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
@login_required
def subject_access_download(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Everything Sanad holds about the client, as a JSON file
    (EXPORT_SUBJECT_ACCESS in the client's agency; recorded as an export)."""
    export = services.subject_access_export(request.user, client_id)
    return subject_access_attachment(client_id, export)


@require_POST
@login_required
def legal_hold_place(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Place a legal hold on the client or one of its cases, with a reason
    (PLACE_LEGAL_HOLD in the client's agency)."""
    user = request.user
    selectors.get_client_for_protection(user, client_id, Perm.PLACE_LEGAL_HOLD)
    overview = selectors.data_protection_of(user, client_id)
    form = LegalHoldForm(request.POST, cases=overview.cases)
    if form.is_valid():
        hold = attempt(
            form,
            services.place_legal_hold,
            actor=user,
            client_id=client_id,
            reason=form.cleaned_data["reason"],
            case_id=form.cleaned_data["case"] or None,
        )
        if hold is not None:
            messages.success(
                request,
                _(
                    "The legal hold is placed: nothing about the client can be erased "
                    "until it is released."
                ),
            )
            return redirect("casework:client_data_protection", client_id=client_id)
    return _client_page(
        request, client_id, overview=overview, hold_form=form, status=error_status(form)
    )


@require_POST
@login_required
def legal_hold_release(request: HttpRequest, hold_id: UUID) -> HttpResponse:
    """Release an active legal hold (PLACE_LEGAL_HOLD in the client's agency)."""
    default = reverse("casework:data_protection")
    try:
        hold = services.release_legal_hold(actor=request.user, hold_id=hold_id)
    except (NotFound, Forbidden):
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(safe_next(request, default))
    messages.success(request, _("The legal hold is released."))
    return redirect("casework:client_data_protection", client_id=hold.client_id)


@require_POST
@login_required
def client_erase(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Erase the client's personal data at their request (ERASE_CLIENT in the
    client's agency: the DPO), with a reason and a ticked confirmation.
    Refused (409) while a legal hold is active: the page says since when."""
    user = request.user
    selectors.get_client_for_protection(user, client_id, Perm.ERASE_CLIENT)
    form = EraseClientForm(request.POST)
    if form.is_valid():
        erasure = attempt(
            form,
            services.erase_client,
            actor=user,
            client_id=client_id,
            reason=form.cleaned_data["reason"],
        )
        if erasure is not None:
            notified = len(erasure.notified_agencies)
            text = _("The client's personal data was erased.")
            if notified:
                text += " " + ngettext(
                    "%(count)d agency that received it in a referral was told.",
                    "%(count)d agencies that received it in referrals were told.",
                    notified,
                ) % {"count": notified}
            messages.success(request, text)
            return redirect("casework:client_data_protection", client_id=client_id)
    return _client_page(request, client_id, erase_form=form, status=error_status(form))


# --- Break the glass -------------------------------------------------------------------------


def _break_glass_page(request: HttpRequest, form, status: int = 200) -> HttpResponse:
    return render(
        request,
        "casework/protection/break_glass.html",
        {
            "form": form,
            "accesses": list(selectors.active_break_glass(request.user).order_by("-expires_at")),
            "partners_in_reach": selectors.partners_in_break_glass_reach(request.user),
            "break_glass_hours": settings.BREAK_GLASS_HOURS,
            "section": "data_protection",
        },
        status=status,
    )


@never_cache
@login_required
def break_glass(request: HttpRequest) -> HttpResponse:
    """Open a case outside one's scope in an emergency (supervisors): its
    number and a reason; read-only for a few hours, logged, and the case's
    agency is told. Only a case of the user's own agency or of an agency that
    agreed in writing: any other number is "not found", like one that does not
    exist. Lists the agencies that agreed and the user's emergency accesses
    still running."""
    user = request.user
    selectors.break_glass_agencies(user)
    form = BreakGlassForm(post_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            case = selectors.find_case_for_break_glass(user, form.cleaned_data["case_number"])
        except NotFound:
            form.add_error("case_number", _("No case has this number."))
        else:
            access = attempt(
                form,
                services.break_glass,
                actor=user,
                case_id=case.pk,
                reason=form.cleaned_data["reason"],
            )
            if access is not None:
                messages.warning(
                    request,
                    _(
                        "You opened case %(number)s in an emergency, read-only, until "
                        "%(time)s UTC. Its agency has been told."
                    )
                    % {"number": case.number, "time": access.expires_at.strftime("%H:%M")},
                )
                return redirect("casework:case_detail", case_id=case.pk)
    return _break_glass_page(request, form, status=error_status(form))


# --- Emergency access agreements --------------------------------------------------------------


def _emergency_access_page(
    request: HttpRequest, slug: str, *, form=None, withdraw_form=None, withdrawing=None, status=200
) -> HttpResponse:
    user = request.user
    agency, granted, received = account_selectors.emergency_access_agreements_of(user, slug)
    may_manage = _may(user, Perm.MANAGE_AGENCY, agency.pk)
    if may_manage and form is None:
        form = EmergencyAccessAgreementForm(partners=account_selectors.partner_choices(agency))
    return render(
        request,
        "casework/protection/emergency_access.html",
        {
            "agency": agency,
            "granted": granted,
            "received": received,
            "may_manage": may_manage,
            "form": form if may_manage else None,
            "withdraw_form": withdraw_form or WithdrawAgreementForm(),
            "withdrawing": withdrawing,
            "break_glass_hours": settings.BREAK_GLASS_HOURS,
            "section": "data_protection",
        },
        status=status,
    )


@never_cache
@login_required
def emergency_access(request: HttpRequest, slug: str) -> HttpResponse:
    """An agency's emergency access agreements: the partners whose supervisors
    may break the glass on its cases, and the agencies that let its supervisors
    do so on theirs (VIEW_MEMBERS: supervisors, the DPO, the agency admin).
    The agency admin (MANAGE_AGENCY) records new ones here."""
    if request.method != "POST":
        return _emergency_access_page(request, slug)
    agency = account_selectors.get_agency_for(request.user, slug, Perm.MANAGE_AGENCY)
    form = EmergencyAccessAgreementForm(
        request.POST, partners=account_selectors.partner_choices(agency)
    )
    if form.is_valid():
        agreement = attempt(
            form,
            account_services.record_emergency_access_agreement,
            actor=request.user,
            agency=agency,
            partner_id=form.cleaned_data["partner"],
            reference=form.cleaned_data["reference"],
            note=form.cleaned_data["note"],
        )
        if agreement is not None:
            messages.success(
                request,
                _(
                    "Recorded: supervisors of %(partner)s may now open your agency's cases "
                    "in an emergency."
                )
                % {"partner": agreement.partner.name},
            )
            return redirect("casework:emergency_access", slug=agency.slug)
    return _emergency_access_page(request, slug, form=form, status=error_status(form))


@require_POST
@login_required
def emergency_access_withdraw(request: HttpRequest, slug: str, agreement_id: UUID) -> HttpResponse:
    """The agency admin withdraws an agreement, with a reason; the partner's
    running emergency accesses to the agency's cases end at once."""
    account_selectors.get_agency_for(request.user, slug, Perm.MANAGE_AGENCY)
    form = WithdrawAgreementForm(request.POST)
    if form.is_valid():
        try:
            agreement = account_services.withdraw_emergency_access_agreement(
                actor=request.user, agreement_id=agreement_id, reason=form.cleaned_data["reason"]
            )
        except (NotFound, Forbidden):
            raise
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect("casework:emergency_access", slug=slug)
        messages.success(
            request,
            _("The agreement with %(partner)s is withdrawn.") % {"partner": agreement.partner.name},
        )
        return redirect("casework:emergency_access", slug=slug)
    return _emergency_access_page(
        request, slug, withdraw_form=form, withdrawing=agreement_id, status=400
    )


# --- Retention -------------------------------------------------------------------------------


@never_cache
@login_required
def retention(request: HttpRequest, slug: str) -> HttpResponse:
    """An agency's retention periods per kind of record (MANAGE_RETENTION:
    the DPO, the agency admin) and what they would anonymise now (a dry run;
    the daily task or ``manage.py apply_retention`` does it)."""
    user = request.user
    agency, periods = selectors.retention_periods_of(user, slug)
    form = RetentionForm(post_data(request))
    if request.method == "POST" and form.is_valid():
        policy = attempt(
            form,
            services.set_retention_policy,
            actor=user,
            agency=agency,
            kind=form.cleaned_data["kind"],
            days=form.cleaned_data["days"],
        )
        if policy is not None:
            messages.success(
                request,
                _("%(records)s are now kept for %(days)d days.")
                % {"records": policy.get_kind_display(), "days": policy.days},
            )
            return redirect("casework:retention", slug=agency.slug)
    due = services.retention_due(agency=agency)
    return render(
        request,
        "casework/protection/retention.html",
        {
            "agency": agency,
            "periods": [
                {"kind": kind, "label": label, "policy": periods[kind]}
                for kind, label in RetentionPolicy.Kind.choices
            ],
            "form": form,
            "due": {name: len(ids) for name, ids in due.items()},
            "section": "data_protection",
        },
        status=error_status(form),
    )
