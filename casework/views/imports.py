"""The spreadsheet import's pages: the imports of one's agencies with the
upload form, an import's page (its facts, the dry run's report with the
duplicate decisions, the run and its progress, the undo and what blocks
it), and the mapping page.

For supervisors and agency admins (IMPORT_CLIENTS); an import of another
agency is a 404. Each form posts to its own address and calls one service;
a refusal comes back on the page that sent it, naming the field or the rows.
"""

from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.access import Action, record_access
from casework.forms.imports import DecisionForm, MappingForm, RunForm, UploadForm
from casework.models import ClientImport, ImportRow
from casework.services import imports as services
from casework.services.imports.preview import columns_with_guesses, mapping_view
from config.errors import DomainError, Forbidden, NotFound
from config.http.pages import (
    STALE_MESSAGE,
    attempt,
    error_status,
    ordered_keyset_page,
    post_data,
    show_error,
)

require_get_or_post = require_http_methods(["GET", "HEAD", "POST"])

# The report's tabs: (outcome filter, label).
OUTCOME_TABS = [("", gettext_lazy("All rows")), *ImportRow.Outcome.choices]
RUNNING_STATES = (ClientImport.State.CHECKING, ClientImport.State.RUNNING)
# What a reason that stops a run or an undo says, by its code.
REASON_TEXTS = {
    "error": gettext_lazy("has errors"),
    "duplicate": gettext_lazy("is a possible duplicate not yet decided"),
    "changed": gettext_lazy("changed since the import"),
    "referred_to": gettext_lazy("another record now refers to it"),
    "consent_changed": gettext_lazy("the imported consent has changed since"),
    "document_changed": gettext_lazy("the imported identity document has changed since"),
    "shared": gettext_lazy("it has been shared since the import"),
}


# The kinds of record a reason names.
RECORD_LABELS = {
    "client": gettext_lazy("client"),
    "case": gettext_lazy("case"),
    "consent": gettext_lazy("consent"),
    "identitydocument": gettext_lazy("identity document"),
    "casenote": gettext_lazy("note"),
    "document": gettext_lazy("document"),
    "followup": gettext_lazy("follow-up"),
    "referral": gettext_lazy("referral"),
}


def _explained(reasons):
    return [
        {
            **reason,
            "text": REASON_TEXTS.get(reason.get("code", ""), reason.get("code", "")),
            "record_label": RECORD_LABELS.get(reason.get("record", ""), reason.get("record", "")),
        }
        for reason in reasons or []
    ]


def _import_url(client_import: ClientImport, anchor: str = "") -> str:
    url = reverse("casework:import_detail", args=[client_import.pk])
    return f"{url}#{anchor}" if anchor else url


@never_cache
@require_get_or_post
@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    """The imports of the agencies where the user may import, newest first,
    and the form that uploads a file and runs its dry run."""
    agencies = services.importing_agencies(request.user)
    if not agencies.exists():
        raise Forbidden()
    saved = list(services.mappings_visible_to(request.user))
    form = UploadForm(
        post_data(request), request.FILES or None, agencies=agencies, saved_mappings=saved
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agency = form.chosen_agency()
        upload = data["file"]
        try:
            client_import = services.upload_import(
                actor=request.user,
                agency=agency,
                data=upload.read(),
                file_name=upload.name or "",
                keep_unusable_mapping=True,
                saved_mapping=(
                    services.get_mapping_for(agency, data["saved_mapping"])
                    if data["saved_mapping"]
                    else None
                ),
            )
        except (NotFound, Forbidden):
            raise
        except DomainError as error:
            show_error(form, error)
        else:
            messages.success(
                request,
                _("The file was checked: nothing is imported yet. Read the report below."),
            )
            return redirect(_import_url(client_import))
    page = ordered_keyset_page(
        services.imports_visible_to(request.user).select_related("agency", "created_by"),
        request.GET.get("after", ""),
        ("-created_at", "-id"),
    )
    return render(
        request,
        "casework/import_list.html",
        {
            "form": form,
            "page": page,
            "saved_mappings": saved,
            "section": "imports",
            "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
            "several_agencies": len(agencies) > 1,
        },
        status=error_status(form),
    )


def _rows_page(request: HttpRequest, client_import: ClientImport, outcome: str):
    rows = client_import.rows.all()
    if outcome:
        rows = rows.filter(outcome=outcome)
    page = ordered_keyset_page(rows, request.GET.get("after", ""), ("row_number", "id"))
    visible = services.visible_candidates(
        request.user, client_import, {pk for row in page.rows for pk in row.candidates}
    )
    for row in page.rows:
        row.shown_candidates = [visible[pk] for pk in row.candidates if pk in visible]
        row.hidden_candidates = len([pk for pk in row.candidates if pk not in visible])
    return page, visible


def _import_page(
    request: HttpRequest,
    client_import: ClientImport,
    *,
    decision_form: DecisionForm | None = None,
    blocked: list[dict] | None = None,
    outcome: str | None = None,
    status: int = 200,
) -> HttpResponse:
    state = client_import.state
    context = {
        "import": client_import,
        "running": state in RUNNING_STATES,
        "section": "imports",
        "undo_days": settings.IMPORT_UNDO_DAYS,
    }
    if request.htmx and request.headers.get("X-Sanad-Poll"):
        # The polled part only: it stops polling once the run is over, with a
        # link to the whole page (its report and undo).
        # State and counts only, no one's data: not an access to log.
        context["running_done"] = not context["running"]
        return render(request, "casework/_import_state.html", context)
    if outcome is None:
        outcome = request.GET.get("outcome", "")
    if outcome not in ImportRow.Outcome.values:
        outcome = ""
    page, visible = _rows_page(request, client_import, outcome)
    # A failed import is checked again (its decisions start over) before it
    # can run: decisions are taken on a checked one only.
    decidable = state == ClientImport.State.CHECKED and client_import.file_deleted_at is None
    for row in page.rows:
        if decidable and row.outcome == ImportRow.Outcome.DUPLICATE:
            if decision_form is not None and decision_form.row.pk == row.pk:
                row.form = decision_form
            else:
                row.form = DecisionForm(
                    row=row,
                    candidates={pk: client.display_name for pk, client in visible.items()},
                )
    undo_until = (
        client_import.imported_at + timedelta(days=settings.IMPORT_UNDO_DAYS)
        if client_import.imported_at
        else None
    )
    undo_open = (
        state == ClientImport.State.IMPORTED
        and undo_until is not None
        and undo_until > timezone.now()
    )
    context.update(
        {
            "page": page,
            "outcome": outcome,
            "tabs": [
                (value, label, client_import.counts.get(value) if value else None)
                for value, label in OUTCOME_TABS
            ],
            "decidable": decidable,
            "blocked": _explained(blocked),
            # Computed only while an undo is possible (it reads every record made).
            "undo_blockers": _explained(services.undo_blockers(client_import) if undo_open else []),
            "undo_until": undo_until,
            "undo_open": undo_open,
        }
    )
    record_access(request.user, Action.VIEW, client_import)
    return render(request, "casework/import_detail.html", context, status=status)


@never_cache
@require_safe
@login_required
def import_detail(request: HttpRequest, import_id: UUID) -> HttpResponse:
    """An import: who, when, which file, its state and counts, the row report."""
    return _import_page(request, services.get_import_for(request.user, import_id))


@never_cache
@require_get_or_post
@login_required
def import_mapping(request: HttpRequest, import_id: UUID) -> HttpResponse:
    """The mapping page: the sheets, each column's field, the codes of choice
    texts, how dates are written, the first rows as they will be read."""
    client_import = services.get_import_for(request.user, import_id)
    if client_import.file_deleted_at or client_import.state not in (
        ClientImport.State.CHECKED,
        ClientImport.State.FAILED,
    ):
        messages.error(request, _("This import's mapping can no longer be changed."))
        return redirect(_import_url(client_import))
    try:
        view = mapping_view(client_import)
    except OSError:
        # Deleted from storage meanwhile (the retention sweep, an erasure).
        messages.error(request, _("This import's uploaded file was deleted."))
        return redirect(_import_url(client_import))
    form = MappingForm(post_data(request), client_import=client_import, view=view)
    status = error_status(form) if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sheets = {name: data[name] for name in ("sheet", "case_sheet", "document_sheet")}
        other_sheets = sheets != {name: getattr(client_import, name) for name in sheets}
        if other_sheets:
            # Their columns are guessed, then shown here to check (even if the
            # guess cannot be used yet: the error says what to map).
            changes = {
                "mapping": {
                    "columns": columns_with_guesses(client_import, sheets.values()),
                    "day_first": data["day_first"],
                },
                "keep_unusable_mapping": True,
                **sheets,
            }
        else:
            changes = {"mapping": form.mapping(client_import), "save_as": data["save_as"]}
        changed = attempt(
            form,
            services.change_mapping,
            actor=request.user,
            import_id=client_import.pk,
            expected_version=data["version"],
            **changes,
        )
        if changed is not None and other_sheets:
            messages.info(request, _("The sheets changed: check their columns below."))
            return redirect(reverse("casework:import_mapping", args=[changed.pk]))
        if changed is not None:
            messages.success(request, _("The mapping was changed and every row checked again."))
            return redirect(_import_url(changed))
        status = error_status(form)
        if status == 412:
            # Changed by someone else meanwhile: the page shows the mapping as
            # it is now, to apply the changes again.
            messages.error(request, str(STALE_MESSAGE))
            client_import = services.get_import_for(request.user, import_id)
            view = mapping_view(client_import)
            form = MappingForm(client_import=client_import, view=view)
    record_access(request.user, Action.VIEW, client_import)
    return render(
        request,
        "casework/import_mapping.html",
        {"import": client_import, "form": form, "view": view, "section": "imports"},
        status=status,
    )


@require_POST
@login_required
def import_decide(request: HttpRequest, import_id: UUID, row_number: int) -> HttpResponse:
    """Say what a possible duplicate row is."""
    row = services.get_row_for(request.user, import_id, row_number)
    client_import = row.client_import
    visible = services.visible_candidates(request.user, client_import, row.candidates)
    form = DecisionForm(
        request.POST,
        row=row,
        candidates={pk: client.display_name for pk, client in visible.items()},
    )
    if form.is_valid():
        decision, client_id = form.decision()
        if attempt(
            form,
            services.decide_duplicate,
            actor=request.user,
            import_id=client_import.pk,
            row_number=row.row_number,
            decision=decision,
            client_id=client_id,
            expected_version=form.cleaned_data["version"],
        ):
            messages.success(request, _("Row %(row)s: decided.") % {"row": row.row_number})
            return redirect(f"{_import_url(client_import)}?outcome=duplicate#row-{row.row_number}")
    # The possible duplicates again, this row's form with its error (and the
    # error said at the top, should the row be on a later page).
    messages.error(
        request,
        _("Row %(row)s was not decided: %(errors)s")
        % {
            "row": row.row_number,
            "errors": " ".join(str(error) for errors in form.errors.values() for error in errors),
        },
    )
    return _import_page(
        request,
        services.get_import_for(request.user, import_id),
        decision_form=form,
        outcome=ImportRow.Outcome.DUPLICATE,
        status=error_status(form),
    )


def _refused(request: HttpRequest, import_id: UUID, error: DomainError) -> HttpResponse:
    """The import's page again, with why the action was refused (and, for a
    blocked run or undo, the rows or records that stop it)."""
    messages.error(request, str(error.message))
    return _import_page(
        request,
        services.get_import_for(request.user, import_id),
        blocked=getattr(error, "reasons", None),
        status=error.status,
    )


def _act(request: HttpRequest, import_id: UUID, action, success: str) -> HttpResponse:
    """Run ``action()`` (a service acting on the import); on success back to
    the import's page with ``success``, on refusal the page with why."""
    try:
        client_import = action()
    except (NotFound, Forbidden):
        raise
    except DomainError as error:
        return _refused(request, import_id, error)
    messages.success(request, success)
    return redirect(_import_url(client_import))


@require_POST
@login_required
def import_run(request: HttpRequest, import_id: UUID) -> HttpResponse:
    """Run a checked import: all rows or nothing, or only the valid rows."""
    client_import = services.get_import_for(request.user, import_id)
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to import."))
        return _import_page(request, client_import, status=400)
    return _act(
        request,
        import_id,
        lambda: services.start_import(
            actor=request.user,
            import_id=client_import.pk,
            mode=form.cleaned_data["mode"],
            expected_version=form.cleaned_data["version"],
        ),
        _("The import has started."),
    )


@require_POST
@login_required
def import_undo(request: HttpRequest, import_id: UUID) -> HttpResponse:
    """Undo an import, unless something it made has changed since."""
    client_import = services.get_import_for(request.user, import_id)
    return _act(
        request,
        import_id,
        lambda: services.undo_import(actor=request.user, import_id=client_import.pk),
        _("The import was undone: what it wrote is removed."),
    )


@require_POST
@login_required
def import_mapping_delete(request: HttpRequest, mapping_id: UUID) -> HttpResponse:
    """Forget a saved mapping (the imports made with it keep their own)."""
    services.delete_mapping(actor=request.user, mapping_id=mapping_id)
    messages.success(request, _("The saved mapping was deleted."))
    return redirect(reverse("casework:import_list"))
