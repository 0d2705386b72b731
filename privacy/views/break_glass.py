"""Break-the-glass pages: open a case outside one's scope in an emergency
(supervisors), and an agency's emergency access agreements, which decide
whose cases are within reach of it."""

from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.permissions import Perm
from accounts.selectors import holds_in
from config.errors import DomainError, Forbidden, NotFound
from config.http.pages import attempt, error_status, post_data
from config.http.times import local_time_text
from privacy import selectors, services
from privacy.forms import BreakGlassForm, EmergencyAccessAgreementForm, WithdrawAgreementForm

# --- Break the glass -------------------------------------------------------------------------


def _until(expires_at: datetime) -> str:
    """When an emergency access ends, in the user's zone with the zone: the
    time of day, and the day too when it is not today."""
    today = timezone.localdate()
    return local_time_text(
        expires_at, "H:i" if timezone.localdate(expires_at) == today else "Y-m-d H:i"
    )


def _break_glass_page(
    request: HttpRequest, form: BreakGlassForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "privacy/break_glass.html",
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
                        "%(time)s. Its agency has been told."
                    )
                    % {"number": case.number, "time": _until(access.expires_at)},
                )
                return redirect("casework:case_detail", case_id=case.pk)
    return _break_glass_page(request, form, status=error_status(form))


# --- Emergency access agreements --------------------------------------------------------------


def _emergency_access_page(
    request: HttpRequest,
    slug: str,
    *,
    form: EmergencyAccessAgreementForm | None = None,
    withdraw_form: WithdrawAgreementForm | None = None,
    withdrawing: UUID | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    agency, granted, received = account_selectors.emergency_access_agreements_of(user, slug)
    may_manage = holds_in(user, Perm.MANAGE_AGENCY, agency.pk)
    if may_manage and form is None:
        form = EmergencyAccessAgreementForm(partners=account_selectors.partner_choices(agency))
    return render(
        request,
        "privacy/emergency_access.html",
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
            return redirect("privacy:emergency_access", slug=agency.slug)
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
            return redirect("privacy:emergency_access", slug=slug)
        messages.success(
            request,
            _("The agreement with %(partner)s is withdrawn.") % {"partner": agreement.partner.name},
        )
        return redirect("privacy:emergency_access", slug=slug)
    return _emergency_access_page(
        request, slug, withdraw_form=form, withdrawing=agreement_id, status=400
    )
