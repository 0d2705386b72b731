"""The actions on the referral page: small POST forms, each calling one
service. A 409 (someone else acted first) shows the page as it is now."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import Perm
from casework.selectors import assignable_members
from config.errors import Conflict, DomainError, Forbidden, NotFound
from config.http.pages import show_error
from referrals import selectors, services
from referrals.forms import (
    AcceptForm,
    CompleteForm,
    DeclineForm,
    MessageForm,
    OpenCaseForm,
    ProgressForm,
    SendDraftForm,
    WithdrawForm,
)
from referrals.views.page import abilities, messages_context, referral_page


def _back(referral_id, anchor: str = ""):
    url = reverse("referrals:referral_detail", args=[referral_id])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _act(request, referral_id, perm, form, form_name, run, success, after=None):
    """A small POST form on the referral page that calls one service. A 409
    (someone else acted first) shows the page as it is now, with the reason."""
    referral = selectors.get_referral_for(request.user, referral_id, perm)
    if form.is_valid():
        try:
            result = run(**form.cleaned_data)
        except (NotFound, Forbidden):
            raise
        except Conflict as error:
            current = selectors.get_referral_for(request.user, referral_id)
            return referral_page(request, current, status=409, error=str(error.message))
        except (DomainError, ValidationError) as error:
            show_error(form, error)
        else:
            messages.success(request, success(result) if callable(success) else success)
            return after(result) if after is not None else _back(referral.pk)
    return referral_page(request, referral, **{form_name: form})


@require_POST
@login_required
def referral_send(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """Send a draft (SEND_REFERRAL); a supervisor may give an override reason."""

    def run(override_reason):
        return services.send_referral(
            actor=request.user, referral_id=referral_id, override_reason=override_reason
        )

    def success(referral):
        return _("Referral %(reference)s was sent to %(agency)s.") % {
            "reference": referral.reference,
            "agency": referral.to_agency_name,
        }

    return _act(
        request,
        referral_id,
        Perm.SEND_REFERRAL,
        SendDraftForm(request.POST),
        "send_form",
        run,
        success,
    )


@require_POST
@login_required
def referral_withdraw(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """The sender withdraws (SEND_REFERRAL); the partner loses access at once."""

    def run(reason):
        return services.withdraw_referral(
            actor=request.user, referral_id=referral_id, reason=reason
        )

    return _act(
        request,
        referral_id,
        Perm.SEND_REFERRAL,
        WithdrawForm(request.POST),
        "withdraw_form",
        run,
        _("The referral was withdrawn. The partner no longer sees it."),
    )


@require_POST
@login_required
def referral_accept(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    def run(note):
        return services.accept_referral(actor=request.user, referral_id=referral_id, note=note)

    return _act(
        request,
        referral_id,
        Perm.RESPOND_REFERRAL,
        AcceptForm(request.POST),
        "accept_form",
        run,
        _("You accepted the referral. The sending agency is told."),
    )


@require_POST
@login_required
def referral_decline(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """Decline with a reason (RESPOND_REFERRAL). The agency's access ends, so
    the user goes back to the inbox."""

    def run(reason):
        return services.decline_referral(actor=request.user, referral_id=referral_id, reason=reason)

    def success(referral):
        return _(
            "You declined referral %(reference)s. The sending agency is told; the "
            "packet is no longer available to your agency."
        ) % {"reference": referral.reference}

    return _act(
        request,
        referral_id,
        Perm.RESPOND_REFERRAL,
        DeclineForm(request.POST),
        "decline_form",
        run,
        success,
        after=lambda referral: redirect("referrals:inbox"),
    )


@require_POST
@login_required
def referral_progress(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    def run(note):
        return services.report_referral_progress(
            actor=request.user, referral_id=referral_id, note=note
        )

    return _act(
        request,
        referral_id,
        Perm.RESPOND_REFERRAL,
        ProgressForm(request.POST),
        "progress_form",
        run,
        _("The progress was reported to the sending agency."),
    )


@require_POST
@login_required
def referral_complete(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    def run(outcome):
        return services.complete_referral(
            actor=request.user, referral_id=referral_id, outcome=outcome
        )

    return _act(
        request,
        referral_id,
        Perm.RESPOND_REFERRAL,
        CompleteForm(request.POST),
        "complete_form",
        run,
        _("The referral is completed. The sending agency reads the outcome."),
    )


@require_POST
@login_required
def referral_open_case(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """Register the client from the packet and open the agency's own case,
    assigned to one of its caseworkers (RESPOND_REFERRAL)."""
    referral = selectors.get_referral_for(request.user, referral_id, Perm.RESPOND_REFERRAL)
    form = OpenCaseForm(request.POST, assignees=assignable_members(referral.to_agency_id))

    def run(assigned_to, case_type):
        return services.open_case_from_referral(
            actor=request.user,
            referral_id=referral_id,
            assigned_to=assigned_to,
            case_type=case_type,
        )

    def success(case):
        return _("Case %(number)s was opened and assigned to %(name)s.") % {
            "number": case.number,
            "name": case.assigned_to.display_name,
        }

    return _act(request, referral_id, Perm.RESPOND_REFERRAL, form, "open_case_form", run, success)


@require_POST
@login_required
def referral_message(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """Write on the conversation (MESSAGE_REFERRAL). With htmx, answers the
    messages section alone."""
    user = request.user
    referral = selectors.get_referral_for(user, referral_id, Perm.MESSAGE_REFERRAL)
    form = MessageForm(request.POST)
    message = None
    conflict = ""
    if form.is_valid():
        try:
            message = services.post_referral_message(
                actor=user, referral_id=referral.pk, body=form.cleaned_data["body"]
            )
        except (NotFound, Forbidden):
            raise
        except Conflict as error:
            conflict = str(error.message)
            form.add_error(None, conflict)
            form.error_status = 409
        except (DomainError, ValidationError) as error:
            show_error(form, error)
    if request.htmx:
        can = abilities(user, referral)
        context = messages_context(
            user,
            referral,
            can,
            message_form=None if message else form,
            done_message=_("Your message was sent.") if message else "",
        )
        return render(request, "referrals/_messages.html", context)
    if message is None:
        return referral_page(request, referral, message_form=form)
    messages.success(request, _("Your message was sent."))
    return _back(referral.pk, "messages")
