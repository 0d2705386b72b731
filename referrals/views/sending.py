"""Sending a referral from a case (with what Sanad proposes and refuses, and
why) and changing a draft."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.permissions import Perm
from casework.models import Case, PlanAction
from casework.selectors import get_action_for, get_case_for
from config.errors import DomainError, Forbidden, NotFound
from config.http.pages import error_status, show_error
from referrals import selectors, services
from referrals.forms import DraftForm, ReferralCheckForm, ReferralForm
from referrals.models import Referral
from referrals.views.page import check_context, referral_page


def _case_to_refer(user, case_id) -> Case:
    """The case if the user sees it (else 404) and may send referrals from its
    agency (else 403)."""
    case = get_case_for(user, case_id)
    if not user.has_perm(Perm.SEND_REFERRAL, case.agency):
        raise Forbidden()
    return case


def _choices(case: Case) -> dict:
    return {
        "services": selectors.services_directory(),
        "agencies": selectors.referral_recipients(),
        "own_agency_id": case.agency_id,
    }


def _referral_form(case: Case, choices: dict, data=None, initial=None) -> ReferralForm:
    return ReferralForm(
        data,
        initial=initial or {},
        check_url=reverse("referrals:referral_check", args=[case.pk]),
        **choices,
    )


def _posted_check(user, case: Case, data, choices: dict, *, chosen: bool):
    """The check of what the form holds: the recipient and, when ``chosen``,
    the ticked categories (otherwise what Sanad proposes). None without a
    valid recipient."""
    check_form = ReferralCheckForm(data, **choices)
    arguments = check_form.check_arguments()
    if arguments is None:
        return None, ""
    arguments["data_categories"] = check_form.cleaned_data["data_categories"] if chosen else None
    key = check_form.recipient_key(check_form.cleaned_data)
    return selectors.referral_check_for(user, case.pk, **arguments), key


def _plan_action_named(user, case: Case, action_id) -> PlanAction | None:
    """The plan action the form carries out, for the page to name (None when
    there is none, or none the user sees: the service says why on sending)."""
    if not action_id:
        return None
    try:
        return get_action_for(user, case.pk, action_id)[1]
    except (NotFound, Forbidden):
        return None


def _send_page(
    request, case, form, check, *, can_override, status=200, plan_action=None
) -> HttpResponse:
    if plan_action is None:
        plan_action = _plan_action_named(request.user, case, form["plan_action"].value())
    return render(
        request,
        "referrals/referral_new.html",
        {
            "case": case,
            "form": form,
            "plan_action": plan_action,
            "options": form.category_options(check),
            "closed": selectors.referral_from_case_refusal(case) is not None,
            "section": "cases",
            **check_context(check, can_override),
        },
        status=status,
    )


def _initial_from(data) -> dict:
    """What the user typed, to show again without errors (the "Check" button)."""
    names = ("service", "to_agency", "purpose", "urgency", "respond_by", "message", "plan_action")
    initial = {name: data.get(name, "") for name in names}
    initial["data_categories"] = data.getlist("data_categories")
    initial["override_reason"] = data.get("override_reason", "")
    initial["proposed_for"] = data.get("proposed_for", "")
    return {name: value for name, value in initial.items() if value not in ("", None)}


def _for_plan_action(data, action: PlanAction):
    """``data`` (the link's query) with what "Refer this action" on the plan
    page proposes: the action's partner agency as the recipient (unless a
    service of the directory was chosen) and its description as the purpose."""
    data = data.copy()
    if not data.get("service") and not data.get("to_agency") and action.responsible_agency_id:
        data["to_agency"] = str(action.responsible_agency_id)
    if not data.get("purpose"):
        data["purpose"] = action.description[:300]
    data["plan_action"] = str(action.pk)
    return data


def _create_and_send(form, user, case: Case) -> Referral | None:
    """``services.create_and_send_referral``: a refused send leaves no draft
    behind, and its reason is shown on the form."""
    try:
        return services.create_and_send_referral(
            actor=user,
            case_id=case.pk,
            override_reason=form.cleaned_data["override_reason"],
            **form.referral_data(),
        )
    except (NotFound, Forbidden):
        raise
    except (DomainError, ValidationError) as error:
        show_error(form, error)
        return None


def _create_draft(form, user, case: Case) -> Referral | None:
    try:
        return services.create_referral(actor=user, case_id=case.pk, **form.referral_data())
    except (NotFound, Forbidden):
        raise
    except (DomainError, ValidationError) as error:
        show_error(form, error)
        return None


@never_cache
@login_required
def referral_new(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Refer the client of a case: a service (or an agency), purpose, urgency,
    respond-by, message and the information to share. Sanad ticks what the
    service needs and the consent covers and explains every refusal. Buttons:
    Check (no JavaScript needed), Save draft, Send. Needs SEND_REFERRAL."""
    user = request.user
    case = _case_to_refer(user, case_id)
    choices = _choices(case)
    can_override = user.has_perm(Perm.OVERRIDE_CONSENT, case.agency)
    if request.method != "POST":
        # A recipient may come in the link (?service=…): tick what Sanad proposes.
        query, plan_action = request.GET, None
        if request.GET.get("plan_action"):
            # "Refer this action" (404 for an action the user does not see).
            plan_action = get_action_for(user, case.pk, request.GET["plan_action"])[1]
            query = _for_plan_action(request.GET, plan_action)
        check, key = _posted_check(user, case, query, choices, chosen=False)
        initial = _initial_from(query)
        if check is not None:
            initial.update(data_categories=list(check.proposed), proposed_for=key)
        form = _referral_form(case, choices, initial=initial)
        return _send_page(
            request, case, form, check, can_override=can_override, plan_action=plan_action
        )

    action = request.POST.get("action", "")
    if action == "check":
        # Same recipient as the ticks were proposed for: check the ticks.
        # Another recipient: propose afresh for it.
        check, key = _posted_check(user, case, request.POST, choices, chosen=True)
        initial = _initial_from(request.POST)
        if check is not None and request.POST.get("proposed_for") != key:
            check, key = _posted_check(user, case, request.POST, choices, chosen=False)
            initial.update(data_categories=list(check.proposed), proposed_for=key)
        form = _referral_form(case, choices, initial=initial)
        return _send_page(request, case, form, check, can_override=can_override)

    form = _referral_form(case, choices, request.POST)
    if form.is_valid():
        if action == "draft":
            referral = _create_draft(form, user, case)
            if referral is not None:
                messages.success(
                    request,
                    _("Draft %(reference)s was saved. Nothing was shared yet.")
                    % {"reference": referral.reference},
                )
                return redirect("referrals:referral_detail", referral_id=referral.pk)
        else:
            referral = _create_and_send(form, user, case)
            if referral is not None:
                messages.success(
                    request,
                    _("Referral %(reference)s was sent to %(agency)s.")
                    % {"reference": referral.reference, "agency": referral.to_agency_name},
                )
                return redirect("referrals:referral_detail", referral_id=referral.pk)
    check, _key = _posted_check(user, case, request.POST, choices, chosen=True)
    return _send_page(
        request, case, form, check, can_override=can_override, status=error_status(form)
    )


@require_safe
@never_cache
@login_required
def referral_check(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The send form's explanation, for htmx: ``part=sharing`` answers the
    information checkboxes with Sanad's proposal and the panel (a new
    recipient); otherwise the panel alone for the ticked categories."""
    user = request.user
    case = _case_to_refer(user, case_id)
    choices = _choices(case)
    can_override = user.has_perm(Perm.OVERRIDE_CONSENT, case.agency)
    if request.GET.get("part") == "sharing":
        check, key = _posted_check(user, case, request.GET, choices, chosen=False)
        initial = {"data_categories": list(check.proposed), "proposed_for": key} if check else {}
        form = _referral_form(case, choices, initial=initial)
        return render(
            request,
            "referrals/_sharing.html",
            {
                "case": case,
                "form": form,
                "options": form.category_options(check),
                **check_context(check, can_override),
            },
        )
    check, _key = _posted_check(user, case, request.GET, choices, chosen=True)
    return render(request, "referrals/_referral_check.html", check_context(check, can_override))


def _draft_recipient(referral: Referral) -> dict:
    """The recipient of a draft as the check's form fields."""
    if referral.service_id:
        return {"service": str(referral.service_id), "to_agency": ""}
    return {"service": "", "to_agency": str(referral.to_agency_id)}


@never_cache
@login_required
def referral_edit(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """Change a draft's purpose, urgency, respond-by, message and the
    information to share (SEND_REFERRAL). A referral already sent never
    changes: the referral page says so (409)."""
    user = request.user
    referral = selectors.get_referral_for(user, referral_id, Perm.SEND_REFERRAL)
    refusal = selectors.draft_change_refusal(referral)
    if refusal is not None:
        return referral_page(request, referral, status=409, error=str(refusal.message))
    case = referral.case
    choices = _choices(case)
    form_options = {**choices, "check_url": reverse("referrals:referral_check", args=[case.pk])}
    recipient = _draft_recipient(referral)
    can_override = user.has_perm(Perm.OVERRIDE_CONSENT, referral)
    status = 200
    if request.method == "POST" and request.POST.get("action") != "check":
        form = DraftForm(request.POST, **form_options)
        if form.is_valid():
            try:
                services.update_referral_draft(
                    actor=user,
                    referral_id=referral.pk,
                    changes=form.draft_changes(),
                    expected_version=form.cleaned_data["version"],
                )
            except (NotFound, Forbidden):
                raise
            except (DomainError, ValidationError) as error:
                show_error(form, error)
            else:
                messages.success(request, _("The draft was saved. Nothing was shared yet."))
                return redirect("referrals:referral_detail", referral_id=referral.pk)
        categories = request.POST.getlist("data_categories")
        status = error_status(form)
    elif request.method == "POST":
        # "Check" without JavaScript: what was typed, explained, nothing saved.
        initial = {**_initial_from(request.POST), "version": request.POST.get("version")}
        form = DraftForm(initial=initial, **form_options)
        categories = request.POST.getlist("data_categories")
    else:
        initial = {name: getattr(referral, name) for name in DraftForm.DRAFT_FIELDS}
        form = DraftForm(initial={**initial, "version": referral.version}, **form_options)
        categories = list(referral.data_categories)
    check, _key = _posted_check(
        user, case, {**recipient, "data_categories": categories}, choices, chosen=True
    )
    return render(
        request,
        "referrals/referral_edit.html",
        {
            "referral": referral,
            "case": case,
            "form": form,
            "recipient": recipient,
            "options": form.category_options(check),
            "section": "referrals",
            **check_context(check, can_override),
        },
        status=status,
    )
