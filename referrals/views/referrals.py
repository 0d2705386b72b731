"""Referral pages: sending from a case (with what Sanad proposes and refuses,
and why), the referral page with the actions of each side, its messages and
timeline, the packet the partner reads, and the inbox."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django_countries import countries

from accounts.permissions import Perm
from accounts.selectors import agency_permissions
from casework.models import (
    Case,
    CaseNote,
    Client,
    ClientSensitive,
    DataCategory,
    Document,
    IdentityDocument,
)
from casework.models.clients import LegalStatus, Sex
from casework.sections import SECTION_FIELDS
from casework.selectors import assignable_members, get_case_for
from config.errors import Conflict, DomainError, Forbidden, NotFound
from config.http.pages import error_status, keyset_page, language_name, show_error
from referrals import selectors, services
from referrals.forms import (
    AcceptForm,
    CompleteForm,
    DeclineForm,
    DraftForm,
    InboxFilterForm,
    MessageForm,
    OpenCaseForm,
    ProgressForm,
    ReferralCheckForm,
    ReferralForm,
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


def _labels(categories) -> list[str]:
    labels = dict(DataCategory.choices)
    chosen = set(categories or ())
    return [labels[value] for value in DataCategory.values if value in chosen]


# --- Sending a referral from a case ---------------------------------------------------


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


def _check_context(check, can_override: bool) -> dict:
    """What the explanation panel shows about one ``ReferralCheck`` (or none)."""
    if check is None:
        return {"check": None, "can_override": can_override}
    gaps = [gap for gap in check.consent_gaps if gap.code != "no_categories"]
    return {
        "check": check,
        "can_override": can_override,
        "consent_gaps": gaps,
        "no_categories": len(gaps) != len(check.consent_gaps),
        "needed_labels": _labels(check.needed),
        "proposed_labels": _labels(check.proposed),
    }


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


def _send_page(request, case, form, check, *, can_override, status=200) -> HttpResponse:
    return render(
        request,
        "referrals/referral_new.html",
        {
            "case": case,
            "form": form,
            "options": form.category_options(check),
            "closed": case.status == Case.Status.CLOSED,
            "section": "cases",
            **_check_context(check, can_override),
        },
        status=status,
    )


def _initial_from(data) -> dict:
    """What the user typed, to show again without errors (the "Check" button)."""
    names = ("service", "to_agency", "purpose", "urgency", "respond_by", "message")
    initial = {name: data.get(name, "") for name in names}
    initial["data_categories"] = data.getlist("data_categories")
    initial["override_reason"] = data.get("override_reason", "")
    initial["proposed_for"] = data.get("proposed_for", "")
    return {name: value for name, value in initial.items() if value not in ("", None)}


def _create_and_send(form, user, case: Case) -> Referral | None:
    """Create and send in one transaction: a refused send leaves no draft behind."""
    try:
        with transaction.atomic():
            referral = services.create_referral(actor=user, case_id=case.pk, **form.referral_data())
            return services.send_referral(
                actor=user,
                referral_id=referral.pk,
                override_reason=form.cleaned_data["override_reason"],
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
        check, key = _posted_check(user, case, request.GET, choices, chosen=False)
        initial = _initial_from(request.GET)
        if check is not None:
            initial.update(data_categories=list(check.proposed), proposed_for=key)
        form = _referral_form(case, choices, initial=initial)
        return _send_page(request, case, form, check, can_override=can_override)

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
                **_check_context(check, can_override),
            },
        )
    check, _key = _posted_check(user, case, request.GET, choices, chosen=True)
    return render(request, "referrals/_referral_check.html", _check_context(check, can_override))


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
    if referral.state != Referral.State.DRAFT:
        message = _("This referral is %(state)s: only a draft can be changed.") % {
            "state": referral.get_state_display().lower()
        }
        return _referral_page(request, referral, status=409, error=message)
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
            **_check_context(check, can_override),
        },
        status=status,
    )


# --- The referral page --------------------------------------------------------------------


def _abilities(user, referral: Referral) -> dict[str, bool]:
    """The referral page's buttons: ``selectors.referral_actions_for`` as flags."""
    allowed = set(selectors.referral_actions_for(user, referral))
    abilities = {action: action in allowed for action in selectors.ACTIONS}
    respond = user.has_perm(Perm.RESPOND_REFERRAL, referral)
    abilities["open_case_impossible"] = (
        respond
        and referral.state in (Referral.State.ACCEPTED, Referral.State.COMPLETED)
        and referral.receiving_case_id is None
        and DataCategory.IDENTITY not in referral.data_categories
    )
    return abilities


def _timeline(referral: Referral) -> list[ReferralEvent]:
    events = list(selectors.referral_timeline(referral))
    for event in events:
        event.shown_note = (
            _(event.note) if event.kind in _SYSTEM_NOTES and event.note else event.note
        )
    return events


def _messages_context(user, referral: Referral, can, message_form=None, done_message="") -> dict:
    return {
        "referral": referral,
        "can": can,
        "conversation": list(selectors.referral_messages(user, referral.pk))
        if can["read_messages"]
        else [],
        "message_form": message_form if message_form is not None else MessageForm(),
        "done_message": done_message,
    }


def _referral_page(
    request: HttpRequest, referral: Referral, *, status: int | None = None, error: str = "", **forms
) -> HttpResponse:
    """The referral page, with any bound (invalid) form passed in ``forms``."""
    user = request.user
    can = _abilities(user, referral)
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
    context.update(_messages_context(user, referral, can, forms.get("message_form")))
    context.update(_check_context(check, can["override"]))
    context.update(
        {
            "sender_side": selectors.is_sender_side(user, referral),
            "shared_labels": _labels(referral.data_categories),
            "consent_labels": _labels(referral.consent.data_categories)
            if referral.consent_id
            else [],
            "timeline": _timeline(referral),
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
    return _referral_page(request, selectors.get_referral_for(request.user, referral_id))


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
            return _referral_page(request, current, status=409, error=str(error.message))
        except (DomainError, ValidationError) as error:
            show_error(form, error)
        else:
            messages.success(request, success(result) if callable(success) else success)
            return after(result) if after is not None else _back(referral.pk)
    return _referral_page(request, referral, **{form_name: form})


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
        can = _abilities(user, referral)
        context = _messages_context(
            user,
            referral,
            can,
            message_form=None if message else form,
            done_message=_("Your message was sent.") if message else "",
        )
        return render(request, "referrals/_messages.html", context)
    if message is None:
        return _referral_page(request, referral, message_form=form)
    messages.success(request, _("Your message was sent."))
    return _back(referral.pk, "messages")


# --- The packet ---------------------------------------------------------------------------

# The model each section's fields come from (their verbose names label them).
_SECTION_MODELS = {
    DataCategory.HEALTH: ClientSensitive,
    DataCategory.CASE_NOTES: CaseNote,
    DataCategory.DOCUMENTS: Document,
}
_LIST_FIELDS = {
    "identity_documents": IdentityDocument,
    "notes": CaseNote,
    "documents": Document,
}
_CHOICES = {
    "sex": dict(Sex.choices),
    "legal_status": dict(LegalStatus.choices),
    "vulnerabilities": dict(ClientSensitive.Vulnerability.choices),
}


def _field_label(category: str, name: str) -> str:
    if name in _LIST_FIELDS:
        return capfirst(_LIST_FIELDS[name]._meta.verbose_name_plural)
    model = _SECTION_MODELS.get(category, Client)
    return capfirst(model._meta.get_field(name).verbose_name)


def _shown(name: str, value):
    """A packet value as the page shows it: (kind, value)."""
    if isinstance(value, bool):
        return "text", _("Yes") if value else _("No")
    if value in (None, "", []):
        return "text", ""
    if name == "nationalities":
        return "text", ", ".join(str(countries.name(code) or code) for code in value)
    if name == "languages":
        return "text", ", ".join(str(language_name(code)) for code in value)
    if name in _CHOICES and isinstance(value, list):
        return "text", ", ".join(str(_CHOICES[name].get(item, item)) for item in value)
    if name in _CHOICES:
        return "text", _CHOICES[name].get(value, value)
    return "text", value


def _identity_documents(rows) -> list[dict]:
    types = dict(IdentityDocument.Type.choices)
    return [
        {
            "type": types.get(row.get("type"), row.get("type")),
            "number": row.get("number", ""),
            "issuing_country": countries.name(row.get("issuing_country") or "")
            or row.get("issuing_country", ""),
            "expires_on": row.get("expires_on") or "",
        }
        for row in rows
    ]


def _notes(rows) -> list[dict]:
    kinds = dict(CaseNote.Kind.choices)
    return [
        {
            "kind": kinds.get(row.get("kind"), row.get("kind")),
            "body": row.get("body", ""),
            "created_at": (row.get("created_at") or "")[:16].replace("T", " "),
        }
        for row in rows
    ]


def _documents(rows) -> list[dict]:
    categories = dict(Document.Category.choices)
    return [
        {
            "category": categories.get(row.get("category"), row.get("category")),
            "description": row.get("description", ""),
            "filename": row.get("filename", ""),
            "size": row.get("size") or 0,
            "uploaded_at": (row.get("uploaded_at") or "")[:10],
        }
        for row in rows
    ]


_LIST_BUILDERS = {
    "identity_documents": _identity_documents,
    "notes": _notes,
    "documents": _documents,
}


def packet_sections(data: dict) -> list[dict]:
    """The packet's sections in the order of ``DataCategory``, each with
    exactly the fields ``casework.sections.SECTION_FIELDS`` lists for it."""
    labels = dict(DataCategory.choices)
    sections = []
    for category in DataCategory.values:
        if category not in data:
            continue
        values = data[category] or {}
        fields = []
        for name in SECTION_FIELDS[category]:
            value = values.get(name)
            if name in _LIST_BUILDERS:
                fields.append(
                    {
                        "name": name,
                        "label": _field_label(category, name),
                        "kind": name,
                        "rows": _LIST_BUILDERS[name](value or []),
                    }
                )
                continue
            kind, shown = _shown(name, value)
            fields.append(
                {"name": name, "label": _field_label(category, name), "kind": kind, "value": shown}
            )
        sections.append({"category": category, "label": labels[category], "fields": fields})
    return sections


@require_safe
@never_cache
@login_required
def packet(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """Exactly the shared sections of the client's file, as frozen at send
    time, and nothing else. 404 for anyone who may not read it."""
    user = request.user
    shared = selectors.get_packet_for(user, referral_id)
    referral = shared.referral
    return render(
        request,
        "referrals/packet.html",
        {
            "packet": shared,
            "referral": referral,
            "sections": packet_sections(shared.data),
            "sender_side": selectors.is_sender_side(user, referral),
            "section": "referrals",
        },
    )


# --- The inbox ----------------------------------------------------------------------------


@require_safe
@never_cache
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Incoming referrals (new / accepted / overdue) and outgoing ones,
    filtered by state and overdue, newest first, a page at a time."""
    user = request.user
    form = InboxFilterForm(request.GET)
    counts = selectors.inbox_counts(user)
    direction = form.cleaned_data.get("direction") if form.is_valid() else ""
    if not direction:
        may_send = any(Perm.SEND_REFERRAL in perms for perms in agency_permissions(user).values())
        direction = (
            "incoming" if counts["new"] or counts["accepted"] or not may_send else "outgoing"
        )
    referrals = selectors.referral_list(user, direction=direction, **form.filters())
    if direction == "outgoing":
        referrals = referrals.select_related("case")
    page = keyset_page(referrals, request.GET.get("after", ""), "created_at")
    filters = form.filters()
    return render(
        request,
        "referrals/inbox.html",
        {
            "form": form,
            "page": page,
            "direction": direction,
            "counts": counts,
            "filtered": bool(filters["state"] or filters["overdue"]),
            "section": "referrals",
        },
    )
