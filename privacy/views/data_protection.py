"""Data-protection pages: the DPO's list of clients (ids, registration dates
and case numbers, never names), a client's data-protection page (subject-access
export, legal holds, erasure), and an agency's retention periods with a dry
run of what they would anonymise now.

The DPO sees audit data, not case content (DESIGN §5): these pages reach a
client through the actor's role in the client's agency
(``privacy.selectors.records``), not through the casework scope, and show
no personal data of the client.
"""

import json
from uuid import UUID

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

from accounts.permissions import Perm
from accounts.selectors import agencies_of, agencies_where, holds_anywhere, holds_in
from config.errors import DomainError, Forbidden, NotFound
from config.http.pages import attempt, error_status, keyset_page, post_data, safe_next
from privacy import selectors, services
from privacy.forms import (
    DataProtectionSearchForm,
    EraseClientForm,
    LegalHoldForm,
    RetentionForm,
    days_back,
)
from privacy.models import RetentionPolicy

# --- The DPO's list of clients -------------------------------------------------------------


@require_safe
@never_cache
@login_required
def data_protection(request: HttpRequest) -> HttpResponse:
    """Where the DPO starts: the agency's clients by id, registration date and
    case numbers, searchable by name, client id or case number (a search shows
    the names it matched), each linking to its data-protection page
    (EXPORT_SUBJECT_ACCESS) and to who accessed it, in all or in the last 7
    days (VIEW_RECORD_ACCESSES); only those under a legal hold when asked
    (``held``, the DPO's home links here); links to the retention
    periods (MANAGE_RETENTION), to the emergency access agreements
    (VIEW_MEMBERS) and to break the glass (BREAK_GLASS)."""
    user = request.user
    searchable = selectors.may_look_up_clients(user)
    retention_agencies = list(
        agencies_of(user)
        .filter(pk__in=agencies_where(user, Perm.MANAGE_RETENTION))
        .order_by("name")
    )
    may_break_glass = holds_anywhere(user, Perm.BREAK_GLASS)
    agreement_agencies = list(
        agencies_of(user).filter(pk__in=agencies_where(user, Perm.VIEW_MEMBERS)).order_by("name")
    )
    if not (searchable or retention_agencies or may_break_glass):
        raise Forbidden()
    form = DataProtectionSearchForm(request.GET)
    page = None
    if searchable:
        clients = selectors.clients_for_data_protection(user, form.query(), held=form.only_held())
        page = keyset_page(clients, request.GET.get("after", ""), "created_at")
    return render(
        request,
        "privacy/index.html",
        {
            "form": form,
            "page": page,
            "searched": bool(form.query()),
            "held": form.only_held(),
            # Whose "who accessed" page each row may link to (VIEW_RECORD_ACCESSES there).
            "accesses_agencies": agencies_where(user, Perm.VIEW_RECORD_ACCESSES),
            "last_week": days_back(7).isoformat(),
            "retention_agencies": retention_agencies,
            "agreement_agencies": agreement_agencies,
            "may_break_glass": may_break_glass,
            "section": "data_protection",
        },
    )


# --- A client's data protection --------------------------------------------------------------


def _client_page(
    request: HttpRequest,
    client_id: UUID,
    *,
    overview=None,
    hold_form=None,
    erase_form=None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    overview = overview or selectors.data_protection_of(user, client_id)
    client = overview.client
    may_hold = holds_in(user, Perm.PLACE_LEGAL_HOLD, client.agency_id)
    may_erase = holds_in(user, Perm.ERASE_CLIENT, client.agency_id)
    erased = client.anonymised_at is not None
    if hold_form is None and may_hold and not erased:
        hold_form = LegalHoldForm(cases=overview.cases)
    if erase_form is None and may_erase and not erased:
        erase_form = EraseClientForm()
    return render(
        request,
        "privacy/client.html",
        {
            "client": client,
            "overview": overview,
            "may_see_accesses": holds_in(user, Perm.VIEW_RECORD_ACCESSES, client.agency_id),
            "last_week": days_back(7).isoformat(),
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


def subject_access_attachment(client_id: UUID, export: dict) -> HttpResponse:
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
            return redirect("privacy:client_data_protection", client_id=client_id)
    return _client_page(
        request, client_id, overview=overview, hold_form=form, status=error_status(form)
    )


@require_POST
@login_required
def legal_hold_release(request: HttpRequest, hold_id: UUID) -> HttpResponse:
    """Release an active legal hold (PLACE_LEGAL_HOLD in the client's agency)."""
    default = reverse("privacy:data_protection")
    try:
        hold = services.release_legal_hold(actor=request.user, hold_id=hold_id)
    except (NotFound, Forbidden):
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(safe_next(request, default))
    messages.success(request, _("The legal hold is released."))
    return redirect("privacy:client_data_protection", client_id=hold.client_id)


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
            return redirect("privacy:client_data_protection", client_id=client_id)
    return _client_page(request, client_id, erase_form=form, status=error_status(form))


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
                ngettext(
                    "%(records)s are now kept for %(days)d day.",
                    "%(records)s are now kept for %(days)d days.",
                    policy.days,
                )
                % {"records": policy.get_kind_display(), "days": policy.days},
            )
            return redirect("privacy:retention", slug=agency.slug)
    due = services.retention_due(agency=agency)
    return render(
        request,
        "privacy/retention.html",
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
