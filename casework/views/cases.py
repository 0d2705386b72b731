"""Case pages: open, list, detail (notes, follow-ups, documents), actions, edit, history."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.permissions import Perm
from accounts.selectors import agencies_where, holds_anywhere
from casework import selectors, services
from casework.forms import (
    AssignForm,
    BulkAssignForm,
    CaseEditForm,
    CaseFilterForm,
    CloseForm,
    DocumentUploadForm,
    FollowUpForm,
    HoldForm,
    NoteForm,
    OpenCaseForm,
    ReopenForm,
    RestrictForm,
)
from casework.models import Case
from casework.selectors.plan_summary import plan_summary_for
from casework.views.consent import do_not_disclose_section
from config.errors import Forbidden
from config.http.pages import (
    attempt,
    error_status,
    keyset_page,
    language_name,
    post_data,
    safe_next,
    today,
    versioned_edit,
)

# --- Cases ---------------------------------------------------------------------------


def _assignable_memberships(agency) -> list:
    """Who may take a case of ``agency``, each with their open caseload (one
    query, read once per agency object: the case page's assign and follow-up
    forms share it; at the largest agency it counts ~100,000 open cases)."""
    cached = getattr(agency, "_sanad_assignees", None)
    if cached is None:
        cached = selectors.assignees_with_caseload(agency)
        agency._sanad_assignees = cached
    return cached


@never_cache
@login_required
def case_open(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Open a case for a client. Supervisors may choose the assignee and restrict it."""
    user = request.user
    client = selectors.get_client_for(user, client_id)
    agency = client.agency
    if not user.has_perm(Perm.ADD_CASE, agency):
        raise Forbidden()
    can_assign = user.has_perm(Perm.ASSIGN_CASE, agency)
    form = OpenCaseForm(
        post_data(request),
        assignees=_assignable_memberships(agency) if can_assign else None,
        can_restrict=user.has_perm(Perm.RESTRICT_CASE, agency),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = attempt(
            form,
            services.open_case,
            actor=user,
            client_id=client.pk,
            case_type=data["case_type"],
            risk_level=data["risk_level"],
            summary=data["summary"],
            assigned_to=data.get("assigned_to"),
            is_restricted=data.get("is_restricted", False),
        )
        if case is not None:
            messages.success(request, _("Case %(number)s was opened.") % {"number": case.number})
            return redirect("casework:case_detail", case_id=case.pk)
    return render(
        request,
        "casework/case_open.html",
        {"client": client, "form": form, "section": "cases"},
        status=error_status(form),
    )


@never_cache
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Visible cases with filters and search, most recently updated first. A
    filter given a value it does not accept: no rows, the error next to the
    filter, 400."""
    form = CaseFilterForm(
        request.GET,
        **selectors.case_filter_choices(request.user, request.GET.get("assignee", "")),
    )
    cases, parts = selectors.cases_in_parts(request.user, **form.filters())
    cases = selectors.with_client_and_assignee(cases)
    if not form.is_valid():
        cases, parts = cases.none(), []
    page = keyset_page(cases, request.GET.get("after", ""), "updated_at", parts=parts)
    return render(
        request,
        "casework/case_list.html",
        {
            "form": form,
            "page": page,
            "filtered": form.has_changed(),
            "section": "cases",
            # Rows a supervisor may tick for a bulk reassignment.
            "reassignable": selectors.reassignable_case_ids(request.user, page.rows),
        },
        status=error_status(form),
    )


def _notes_context(user, case, can, note_form=None, done_message="") -> dict:
    return {
        "case": case,
        "can": can,
        "notes": selectors.notes_visible_to(user, case),
        "note_form": note_form if note_form is not None else NoteForm(),
        "done_message": done_message,
    }


def _follow_ups_context(user, case, can, done_message="") -> dict:
    return {
        "case": case,
        "can": can,
        "follow_ups": selectors.follow_ups_visible_to(user, case),
        "done_message": done_message,
        "today": today(),
    }


def _follow_up_form(user, case, data):
    assignees = (
        _assignable_memberships(case.agency) if user.has_perm(Perm.ASSIGN_CASE, case) else None
    )
    return FollowUpForm(data, assignees=assignees)


def focus_first_error(form) -> None:
    """After a refused POST the page is drawn anew at its top: the first field
    with an error gets ``autofocus`` (its errors are already its
    ``aria-describedby``), or, when only the form as a whole was refused, the
    form's error summary does. No JavaScript needed."""
    for field in form:
        if field.errors and not field.is_hidden:
            field.field.widget.attrs["autofocus"] = True
            return
    form.focus_summary = True


def _client_header(case: Case, can) -> dict:
    """The client's languages for the case's header, for those who may open the
    client's file (who alone see its phone too). ``case.client`` was read with
    the case: the case's access record names the client, no second read."""
    if not can.view_client:
        return {"client_languages": [], "interpreter_language": ""}
    client = case.client
    return {
        "client_languages": [language_name(code) for code in client.languages],
        "interpreter_language": (
            language_name(client.interpreter_language) if client.interpreter_language else ""
        ),
    }


def _case_page(request: HttpRequest, case: Case, **forms) -> HttpResponse:
    """The case page, with any bound (invalid) form passed in ``forms``: that
    form's panel opens with the focus on its first error."""
    user = request.user
    can = selectors.case_actions_for(user, case)
    for form in forms.values():
        if form is not None and form.errors:
            focus_first_error(form)
    assignees = _assignable_memberships(case.agency) if can.assign else None
    defaults = {
        "follow_up_form": lambda: _follow_up_form(user, case, None) if can.follow_up else None,
        "upload_form": lambda: DocumentUploadForm(allow_medical=can.upload_medical),
        "hold_form": HoldForm,
        "close_form": CloseForm,
        "reopen_form": ReopenForm,
        "assign_form": lambda: (
            AssignForm(
                assignees=assignees,
                initial={"assigned_to": str(case.assigned_to_id or "")},
            )
            if assignees is not None
            else None
        ),
        "restrict_form": lambda: RestrictForm(
            initial={"restricted": "0" if case.is_restricted else "1"}
        ),
    }
    context = {
        name: forms[name] if forms.get(name) is not None else make()
        for name, make in defaults.items()
    }
    context.update(_notes_context(user, case, can, forms.get("note_form")))
    context.update(_follow_ups_context(user, case, can))
    context.update(do_not_disclose_section(user, case))
    context.update(_client_header(case, can))
    context.update(
        {
            "documents": selectors.documents_visible_to(user, case),
            # The integration plan at a glance (two statements; None without VIEW_PLAN).
            "plan_summary": plan_summary_for(user, case),
            "section": "cases",
            "done_message": "",
            # The side column of forms and actions, for who may do anything here.
            "work_column": any(
                (
                    can.edit,
                    can.note,
                    can.follow_up,
                    can.upload,
                    can.hold,
                    can.close,
                    can.reopen,
                    can.assign,
                    can.restrict,
                    *(form is not None and form.errors for form in forms.values()),
                )
            ),
        }
    )
    return render(
        request,
        "casework/case_detail.html",
        context,
        status=error_status(*[form for form in forms.values() if form is not None]),
    )


@never_cache
@login_required
def case_detail(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = selectors.get_case_for(request.user, case_id)
    return _case_page(request, case)


def _back_to_case(case: Case, anchor: str = ""):
    url = reverse("casework:case_detail", args=[case.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


@require_POST
@login_required
def note_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Add a note. With htmx, answers the notes section alone."""
    case = selectors.get_case_for(request.user, case_id, Perm.ADD_NOTE)
    form = NoteForm(request.POST)
    note = None
    if form.is_valid():
        note = attempt(
            form, services.add_note, actor=request.user, case_id=case.pk, **form.cleaned_data
        )
    if request.htmx:
        # The note panel (a fresh form, or this one with its errors) and, out of
        # band, the notes it adds to.
        can = selectors.case_actions_for(request.user, case)
        if note is None:
            focus_first_error(form)
        context = _notes_context(
            request.user,
            case,
            can,
            note_form=None if note else form,
            done_message=_("The note was added.") if note else "",
        )
        # 200 even when refused: htmx swaps only successful answers.
        return render(request, "casework/_note_added.html", context)
    if note is None:
        return _case_page(request, case, note_form=form)
    messages.success(request, _("The note was added."))
    return _back_to_case(case, "notes")


@require_POST
@login_required
def follow_up_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = selectors.get_case_for(request.user, case_id, Perm.ADD_FOLLOW_UP)
    form = _follow_up_form(request.user, case, request.POST)
    if form.is_valid():
        follow_up = attempt(
            form,
            services.schedule_follow_up,
            actor=request.user,
            case_id=case.pk,
            title=form.cleaned_data["title"],
            due_on=form.cleaned_data["due_on"],
            assigned_to=form.cleaned_data.get("assigned_to"),
        )
        if follow_up is not None:
            messages.success(request, _("The follow-up was scheduled."))
            return _back_to_case(case, "follow-ups")
    return _case_page(request, case, follow_up_form=form)


@require_POST
@login_required
def follow_up_done(request: HttpRequest, case_id: UUID, follow_up_id: UUID) -> HttpResponse:
    """Mark a follow-up done; back to the page it was done from (case or dashboard)."""
    case = selectors.get_case_for(request.user, case_id, Perm.COMPLETE_FOLLOW_UP)
    follow_up = services.complete_follow_up(
        actor=request.user, case_id=case.pk, follow_up_id=follow_up_id
    )
    if request.htmx:
        can = selectors.case_actions_for(request.user, case)
        message = _("“%(title)s” is done.") % {"title": follow_up.title}
        return render(
            request,
            "casework/_follow_ups.html",
            _follow_ups_context(request.user, case, can, done_message=message),
        )
    messages.success(request, _("“%(title)s” is done.") % {"title": follow_up.title})
    default = reverse("casework:case_detail", args=[case.pk]) + "#follow-ups"
    return redirect(safe_next(request, default))


@require_POST
@login_required
def document_upload(request: HttpRequest, case_id: UUID) -> HttpResponse:
    user = request.user
    case = selectors.get_case_for(user, case_id, Perm.ADD_DOCUMENT)
    form = DocumentUploadForm(
        request.POST, request.FILES, allow_medical=user.has_perm(Perm.VIEW_SENSITIVE, case)
    )
    if form.is_valid():
        document = attempt(
            form,
            services.upload_document,
            actor=user,
            case_id=case.pk,
            uploaded_file=form.cleaned_data["file"],
            category=form.cleaned_data["category"],
            description=form.cleaned_data["description"],
        )
        if document is not None:
            messages.success(request, _("The document was uploaded."))
            return _back_to_case(case, "documents")
    return _case_page(request, case, upload_form=form)


@require_safe
@login_required
def document_download(request: HttpRequest, case_id: UUID, document_id: UUID) -> FileResponse:
    """The file, as an attachment under a server-made name, never cached."""
    document = selectors.get_document_for(request.user, case_id, document_id)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.download_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _case_action(request, case_id, perm, form_class, form_name, run, success_message):
    """A small POST form on the case page that calls one service."""
    case = selectors.get_case_for(request.user, case_id, perm)
    form = form_class(request.POST)
    if form.is_valid() and attempt(form, run, **form.cleaned_data) is not None:
        messages.success(request, success_message)
        return _back_to_case(case)
    return _case_page(request, case, **{form_name: form})


@require_POST
@login_required
def case_hold(request: HttpRequest, case_id: UUID) -> HttpResponse:
    def run(reason):
        return services.put_case_on_hold(actor=request.user, case_id=case_id, reason=reason)

    return _case_action(
        request, case_id, Perm.CHANGE_CASE, HoldForm, "hold_form", run, _("The case is on hold.")
    )


@require_POST
@login_required
def case_close(request: HttpRequest, case_id: UUID) -> HttpResponse:
    def run(closure_reason, note):
        return services.close_case(
            actor=request.user, case_id=case_id, closure_reason=closure_reason, note=note
        )

    return _case_action(
        request, case_id, Perm.CLOSE_CASE, CloseForm, "close_form", run, _("The case was closed.")
    )


@require_POST
@login_required
def case_reopen(request: HttpRequest, case_id: UUID) -> HttpResponse:
    def run(reason):
        return services.reopen_case(actor=request.user, case_id=case_id, reason=reason)

    return _case_action(
        request, case_id, Perm.VIEW_CASE, ReopenForm, "reopen_form", run, _("The case is open.")
    )


@require_POST
@login_required
def case_assign(request: HttpRequest, case_id: UUID) -> HttpResponse:
    user = request.user
    case = selectors.get_case_for(user, case_id, Perm.ASSIGN_CASE)
    form = AssignForm(request.POST, assignees=_assignable_memberships(case.agency))
    if form.is_valid():
        assigned = attempt(
            form,
            services.assign_case,
            actor=user,
            case_id=case.pk,
            assignee=form.cleaned_data["assigned_to"],
            reason=form.cleaned_data["reason"],
        )
        if assigned is not None:
            messages.success(
                request,
                _("The case is now assigned to %(name)s.")
                % {"name": assigned.assigned_to.display_name},
            )
            _report_moved_follow_ups(request, assigned.follow_ups_moved)
            return _back_to_case(case)
    return _case_page(request, case, assign_form=form)


def _report_moved_follow_ups(request: HttpRequest, moved: int) -> None:
    if moved:
        messages.info(
            request,
            ngettext(
                "%(count)d open follow-up moved with it.",
                "%(count)d open follow-ups moved with it.",
                moved,
            )
            % {"count": moved},
        )


@never_cache
@login_required
def cases_assign(request: HttpRequest) -> HttpResponse:
    """Reassign several cases at once: the cases ticked on the case list (GET
    ``?cases=…``), one assignee with their caseload, a reason. Needs
    ASSIGN_CASE somewhere (403 otherwise); the service checks each case."""
    user = request.user
    if not holds_anywhere(user, Perm.ASSIGN_CASE):
        raise Forbidden()
    source = request.POST if request.method == "POST" else request.GET
    cases = selectors.cases_to_reassign(user, source.getlist("cases"))
    agencies = {case.agency_id for case in cases} or agencies_where(user, Perm.ASSIGN_CASE)
    form = BulkAssignForm(
        post_data(request), assignees=selectors.common_assignees_with_caseload(agencies)
    )
    if request.method == "POST" and form.is_valid():
        assigned = attempt(
            form,
            services.assign_cases,
            actor=user,
            case_ids=form.cleaned_data["cases"],
            assigned_to=form.cleaned_data["assigned_to"],
            reason=form.cleaned_data["reason"],
        )
        if assigned is not None:
            messages.success(
                request,
                ngettext(
                    "%(count)d case is now assigned to %(name)s.",
                    "%(count)d cases are now assigned to %(name)s.",
                    len(assigned),
                )
                % {"count": len(assigned), "name": form.cleaned_data["assigned_to"].display_name},
            )
            moved = sum(case.follow_ups_moved for case in assigned)
            if moved:
                messages.info(
                    request,
                    ngettext(
                        "%(count)d open follow-up moved with them.",
                        "%(count)d open follow-ups moved with them.",
                        moved,
                    )
                    % {"count": moved},
                )
            return redirect("casework:case_list")
    return render(
        request,
        "casework/cases_assign.html",
        {
            "form": form,
            "cases": cases,
            "several_agencies": len({case.agency_id for case in cases}) > 1,
            "section": "cases",
        },
        status=error_status(form),
    )


@require_POST
@login_required
def case_restrict(request: HttpRequest, case_id: UUID) -> HttpResponse:
    def run(restricted, reason):
        return services.set_case_restricted(
            actor=request.user, case_id=case_id, restricted=restricted, reason=reason
        )

    case = selectors.get_case_for(request.user, case_id, Perm.RESTRICT_CASE)
    form = RestrictForm(request.POST)
    if form.is_valid() and attempt(form, run, **form.cleaned_data) is not None:
        if form.cleaned_data["restricted"]:
            messages.success(request, _("The case is restricted."))
        else:
            messages.success(request, _("The restriction was lifted."))
        return _back_to_case(case)
    return _case_page(request, case, restrict_form=form)


def _case_initial(case: Case) -> dict:
    initial = {name: getattr(case, name) for name in CaseEditForm.CASE_FIELDS}
    initial["version"] = case.version
    return initial


@never_cache
@login_required
def case_edit(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Edit type, risk and summary. A stale version changes nothing."""

    def reload():
        return selectors.get_case_for(request.user, case_id, Perm.CHANGE_CASE)

    def save(form):
        services.update_case(
            actor=request.user,
            case_id=case_id,
            expected_version=form.cleaned_data["version"],
            changes=form.case_data(),
            reason=form.cleaned_data["reason"],
        )

    return versioned_edit(
        request,
        record=reload(),
        reload=reload,
        form_class=CaseEditForm,
        initial=_case_initial,
        save=save,
        template="casework/case_edit.html",
        context=lambda case: {"case": case, "section": "cases"},
        success_message=_("The case was saved."),
        success_url=reverse("casework:case_detail", args=[case_id]),
    )


HISTORY_OBJECTS = {
    "case": gettext_lazy("Case"),
    "note": gettext_lazy("Note"),
    "follow_up": gettext_lazy("Follow-up"),
    "document": gettext_lazy("Document"),
    "plan": gettext_lazy("Integration plan"),
    "goal": gettext_lazy("Goal"),
    "action": gettext_lazy("Action"),
    "agreement": gettext_lazy("Agreement to the plan"),
}
HISTORY_ACTIONS = {"created": gettext_lazy("Created"), "changed": gettext_lazy("Changed")}


@never_cache
@login_required
def case_history(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Who changed what in the case. Needs VIEW_CASE_HISTORY."""
    case = selectors.get_case_for(request.user, case_id, Perm.VIEW_CASE_HISTORY)
    entries = selectors.case_history(request.user, case.pk)
    for entry in entries:
        entry["object_label"] = HISTORY_OBJECTS.get(entry["object"], entry["object"])
        entry["action_label"] = HISTORY_ACTIONS.get(entry["action"], entry["action"])
    return render(
        request,
        "casework/case_history.html",
        {"case": case, "entries": entries, "section": "cases"},
    )
