"""The referral page: what the referral is, the consent or override it rests
on, the timeline, the messages and what the viewer may do (asked of
``referrals.selectors.referral_actions_for``, never decided here)."""

from collections.abc import Iterable
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.models import User
from accounts.permissions import Perm
from casework.models import DataCategory
from casework.selectors import assignable_members
from config.http.pages import error_status
from referrals import selectors
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
from referrals.models import Referral, ReferralEvent

# Timeline notes Sanad writes itself (in English, marked for translation).
_SYSTEM_NOTES = frozenset(
    {
        ReferralEvent.Kind.EXPIRED,
        ReferralEvent.Kind.CANCELLED,
        ReferralEvent.Kind.ACCESS_REVOKED,
    }
)


def labels(categories: Iterable[str] | None) -> list[str]:
    """The names of ``categories``, in the order of ``DataCategory``."""
    names = dict(DataCategory.choices)
    chosen = set(categories or ())
    return [names[value] for value in DataCategory.values if value in chosen]


def check_context(check, can_override: bool) -> dict:
    """What the explanation panel shows about one ``ReferralCheck`` (or none)."""
    if check is None:
        return {"check": None, "can_override": can_override}
    gaps = [gap for gap in check.consent_gaps if gap.code != "no_categories"]
    return {
        "check": check,
        "can_override": can_override,
        "consent_gaps": gaps,
        "no_categories": len(gaps) != len(check.consent_gaps),
        "needed_labels": labels(check.needed),
        "proposed_labels": labels(check.proposed),
    }


def abilities(user: User, referral: Referral) -> dict[str, bool]:
    """The referral page's buttons: ``selectors.referral_actions_for`` as
    flags, and whether to say why no case can be opened from it."""
    allowed = set(selectors.referral_actions_for(user, referral))
    flags = {action: action in allowed for action in selectors.ACTIONS}
    flags["open_case_impossible"] = selectors.case_opening_impossible(user, referral)
    return flags


def timeline(referral: Referral) -> list[ReferralEvent]:
    events = list(selectors.referral_timeline(referral))
    for event in events:
        event.shown_note = (
            _(event.note) if event.kind in _SYSTEM_NOTES and event.note else event.note
        )
    return events


def messages_context(user, referral: Referral, can, message_form=None, done_message="") -> dict:
    return {
        "referral": referral,
        "can": can,
        "conversation": list(selectors.referral_messages(user, referral.pk))
        if can["read_messages"]
        else [],
        "message_form": message_form if message_form is not None else MessageForm(),
        "done_message": done_message,
    }


def referral_page(
    request: HttpRequest, referral: Referral, *, status: int | None = None, error: str = "", **forms
) -> HttpResponse:
    """The referral page, with any bound (invalid) form passed in ``forms``."""
    user = request.user
    can = abilities(user, referral)
    defaults = {
        "send_form": SendDraftForm,
        "withdraw_form": WithdrawForm,
        "accept_form": AcceptForm,
        "decline_form": DeclineForm,
        "progress_form": ProgressForm,
        "complete_form": CompleteForm,
        "open_case_form": lambda: OpenCaseForm(assignees=assignable_members(referral.to_agency_id)),
    }
    context = {
        name: forms[name] if forms.get(name) is not None else make()
        for name, make in defaults.items()
    }
    check = None
    if can["send"]:
        check = selectors.referral_check_for(
            user,
            referral.case_id,
            referral.to_agency_id,
            referral.service_id,
            referral.data_categories,
        )
    receiving_case = referral.receiving_case if referral.receiving_case_id else None
    context.update(messages_context(user, referral, can, forms.get("message_form")))
    context.update(check_context(check, can["override"]))
    context.update(
        {
            "sender_side": selectors.is_sender_side(user, referral),
            "shared_labels": labels(referral.data_categories),
            "consent_labels": labels(referral.consent.data_categories)
            if referral.consent_id
            else [],
            "timeline": timeline(referral),
            "receiving_case": receiving_case,
            "receiving_case_visible": receiving_case is not None
            and user.has_perm(Perm.VIEW_CASE, receiving_case),
            "error": error,
            "section": "referrals",
        }
    )
    bound = [form for form in forms.values() if form is not None]
    return render(
        request,
        "referrals/referral_detail.html",
        context,
        status=status or error_status(*bound),
    )


@require_safe
@never_cache
@login_required
def referral_detail(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """One referral: what it is, the consent or override it rests on, the
    timeline, the messages and what the viewer may do. 404 unless visible."""
    return referral_page(request, selectors.get_referral_for(request.user, referral_id))
