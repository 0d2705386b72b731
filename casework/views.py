"""The casework pages: thin views over ``casework.selectors`` (reads) and
``casework.services`` (writes).

Every read goes through a scoped selector, so what a page shows is what the
user may see; every write is one service call. NotFound and Forbidden pass
through to the 404 and 403 pages; any other domain or validation error is
shown on the form, next to the field it names.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django_countries import countries

from accounts import selectors as accounts_selectors
from accounts.permissions import Perm
from casework import selectors, services
from casework.forms import (
    AssignForm,
    CaseEditForm,
    CaseFilterForm,
    ClientEditForm,
    ClientSearchForm,
    CloseForm,
    DocumentUploadForm,
    FollowUpForm,
    HoldForm,
    IdentityDocumentForm,
    IdentityDocumentFormSet,
    NoteForm,
    OpenCaseForm,
    RegisterClientForm,
    ReopenForm,
    RestrictForm,
    SensitiveForm,
)
from casework.models import Case, Client, ClientSensitive
from config.errors import DomainError, Forbidden, InvalidInput, NotFound, PreconditionFailed

PAGE_SIZE = 50

STALE_MESSAGE = gettext_lazy(
    "This record was changed by someone else while you were editing. "
    "Here is the current version; re-apply your changes."
)


# --- Helpers -----------------------------------------------------------------------


def show_error(form, error: Exception) -> None:
    """Put a service's error on ``form``: next to the field it names when the
    form has that field, otherwise at the top of the form."""
    form.error_status = getattr(error, "status", 400)
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error(None, error.messages)
        return
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error.message))


def attempt(form, service, **kwargs):
    """Run one service. On a domain or validation error, show it on ``form``
    and return None; NotFound and Forbidden go on to the 404 and 403 pages."""
    try:
        return service(**kwargs)
    except (NotFound, Forbidden):
        raise
    except (DomainError, ValidationError) as error:
        show_error(form, error)
        return None


def error_status(*forms) -> int:
    statuses = [getattr(form, "error_status", 400) for form in forms if form.errors]
    return max(statuses, default=200)


def _post_data(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def language_name(code: str) -> str:
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code


# --- Keyset pagination -----------------------------------------------------------------
# No COUNT over the whole scope: fetch one row more than a page to know whether
# there is a next one, and continue after the last row seen.


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    is_first: bool


def _encode_cursor(value: datetime, pk: UUID) -> str:
    raw = f"{value.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, UUID] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value, pk = raw.split("|", 1)
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            return None
        return moment, UUID(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def keyset_page(queryset: QuerySet, cursor: str, field: str, size: int | None = None) -> Page:
    """One page of ``queryset`` ordered by ``-field, -id``, after ``cursor``."""
    size = size or PAGE_SIZE
    position = _decode_cursor(cursor)
    queryset = queryset.order_by(f"-{field}", "-id")
    if position is not None:
        value, pk = position
        queryset = queryset.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "pk__lt": pk}))
    rows = list(queryset[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode_cursor(getattr(last, field), last.pk)
    return Page(rows, next_cursor, position is None)


# --- Dashboard ---------------------------------------------------------------------------


@never_cache
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The caseworker's start page: their open cases, follow-ups due and overdue,
    recently updated cases, and their agencies and roles."""
    return render(
        request,
        "casework/dashboard.html",
        {
            **selectors.dashboard_for(request.user),
            "memberships": accounts_selectors.memberships_of(request.user),
            "can_register": bool(_agencies_for_registration(request.user)),
            "today": _today(),
        },
    )


def _today():
    return timezone.now().date()


# --- Clients -----------------------------------------------------------------------------


def _agencies_for_registration(user) -> list:
    permissions = accounts_selectors.agency_permissions(user)
    if not any(Perm.ADD_CLIENT in perms for perms in permissions.values()):
        return []
    return [
        agency
        for agency in accounts_selectors.agencies_of(user).order_by("name")
        if user.has_perm(Perm.ADD_CLIENT, agency)
    ]


def _with_country_names(clients):
    for client in clients:
        client.nationality_names = [countries.name(code) or code for code in client.nationalities]
    return clients


@never_cache
@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    """Visible clients, newest first, or those matching the search ``q``."""
    form = ClientSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if query:
        clients = selectors.search_clients(request.user, query)
    else:
        clients = selectors.clients_visible_to(request.user)
    page = keyset_page(clients, request.GET.get("after", ""), "created_at")
    _with_country_names(page.rows)
    return render(
        request,
        "casework/client_list.html",
        {
            "form": form,
            "query": query,
            "page": page,
            "can_register": bool(_agencies_for_registration(request.user)),
            "section": "clients",
        },
    )


@never_cache
@login_required
def client_register(request: HttpRequest) -> HttpResponse:
    """Register a client with up to two identity documents. A possible duplicate
    is shown to the caseworker, who opens it or confirms a different person."""
    agencies = _agencies_for_registration(request.user)
    if not agencies:
        raise Forbidden()
    data = _post_data(request)
    form = RegisterClientForm(data, agencies=agencies)
    documents = IdentityDocumentFormSet(data, prefix="documents")
    candidates = []
    if data is not None and form.is_valid() and documents.is_valid():
        try:
            client = services.register_client(
                actor=request.user,
                agency=form.cleaned_data["agency"],
                data=form.client_data(),
                documents=[
                    document.document_data() for document in documents if document.has_changed()
                ],
                confirmed_not_duplicate=form.cleaned_data["confirmed_not_duplicate"],
            )
        except services.PossibleDuplicate as duplicate:
            candidates = _with_country_names(duplicate.candidates)
            form.error_status = duplicate.status
        except (NotFound, Forbidden):
            raise
        except (ValidationError, InvalidInput) as error:
            _show_registration_error(form, documents, error)
        except DomainError as error:
            show_error(form, error)
        else:
            messages.success(request, _("The client was registered."))
            return redirect("casework:client_detail", client_id=client.pk)
    status = 409 if candidates else error_status(form, *documents)
    if status == 200 and data is not None:
        status = 400
    return render(
        request,
        "casework/client_register.html",
        {
            "form": form,
            "documents": documents,
            "candidates": candidates,
            "section": "clients",
        },
        status=status,
    )


def _show_registration_error(form, documents, error) -> None:
    """Errors of ``documents.<n>.<field>`` go to that document's form."""
    if isinstance(error, InvalidInput) and error.field:
        by_field = {error.field: [str(error.message)]}
    elif isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        by_field = error.message_dict
    else:
        show_error(form, error)
        return
    for name, errors in by_field.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "documents" and parts[1].isdigit():
            changed = [document for document in documents if document.has_changed()]
            index = int(parts[1])
            if index < len(changed):
                target = changed[index]
                target.add_error(parts[2] if parts[2] in target.fields else None, errors)
                target.error_status = 400
                continue
        form.add_error(name if name in form.fields else None, errors)
    form.error_status = 400


@never_cache
@login_required
def client_detail(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """A client's identity, contact, documents and cases; the special-category
    section only for holders of VIEW_SENSITIVE on the client."""
    user = request.user
    client = selectors.get_client_for(user, client_id)
    prefetch_related_objects([client], selectors.client_detail_queryset())
    can_view_sensitive = user.has_perm(Perm.VIEW_SENSITIVE, client)
    can_change = user.has_perm(Perm.CHANGE_CLIENT, client)
    sensitive = selectors.sensitive_section_for(user, client)
    vulnerabilities = []
    if sensitive is not None:
        labels = dict(ClientSensitive.Vulnerability.choices)
        vulnerabilities = [labels.get(code, code) for code in sensitive.vulnerabilities]
    _with_country_names([client])
    return render(
        request,
        "casework/client_detail.html",
        {
            "client": client,
            "identity_documents": client.identity_documents.all(),
            "spoken_languages": [language_name(code) for code in client.languages],
            "cases": selectors.cases_of_client(user, client),
            "can_change": can_change,
            "can_open_case": user.has_perm(Perm.ADD_CASE, client.agency),
            "can_view_sensitive": can_view_sensitive,
            "sensitive": sensitive,
            "vulnerabilities": vulnerabilities,
            "section": "clients",
        },
    )


def _client_initial(client: Client) -> dict:
    initial = {name: getattr(client, name) for name in ClientEditForm.CLIENT_FIELDS}
    initial["version"] = client.version
    return initial


def _differences(form, record, names) -> list[tuple[str, str]]:
    """The values the user typed that differ from ``record``'s current ones."""
    result = []
    for name in names:
        typed = form.cleaned_data.get(name)
        if typed != getattr(record, name):
            field = form[name]
            if isinstance(typed, list):
                shown = ", ".join(str(value) for value in typed)
            elif isinstance(typed, bool):
                shown = _("yes") if typed else _("no")
            else:
                shown = "" if typed is None else str(typed)
            result.append((field.label, shown))
    return result


@never_cache
@login_required
def client_edit(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Edit identity and contact. A stale version changes nothing: the page
    shows the current record and what the user had typed."""
    client = selectors.get_client_for(request.user, client_id, Perm.CHANGE_CLIENT)
    form = ClientEditForm(_post_data(request), initial=_client_initial(client))
    stale_changes = None
    if request.method == "POST" and form.is_valid():
        try:
            services.update_client(
                actor=request.user,
                client_id=client.pk,
                expected_version=form.cleaned_data["version"],
                changes=form.client_data(),
                reason=form.cleaned_data["reason"],
            )
        except PreconditionFailed:
            client = selectors.get_client_for(request.user, client_id, Perm.CHANGE_CLIENT)
            stale_changes = _differences(form, client, ClientEditForm.CLIENT_FIELDS)
            form = ClientEditForm(initial=_client_initial(client))
        except (NotFound, Forbidden):
            raise
        except (DomainError, ValidationError) as error:
            show_error(form, error)
        else:
            messages.success(request, _("The client's record was saved."))
            return redirect("casework:client_detail", client_id=client.pk)
    status = 412 if stale_changes is not None else error_status(form)
    return render(
        request,
        "casework/client_edit.html",
        {
            "client": client,
            "form": form,
            "stale_message": STALE_MESSAGE if stale_changes is not None else "",
            "stale_changes": stale_changes or [],
            "section": "clients",
        },
        status=status,
    )


@never_cache
@login_required
def client_sensitive(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Edit the special-category section. 403 without VIEW_SENSITIVE."""
    user = request.user
    client = selectors.get_client_for(user, client_id, Perm.CHANGE_CLIENT)
    if not user.has_perm(Perm.VIEW_SENSITIVE, client):
        raise Forbidden()
    section = selectors.sensitive_section_for(user, client)
    initial = (
        {name: getattr(section, name) for name in SensitiveForm.SENSITIVE_FIELDS} if section else {}
    )
    form = SensitiveForm(_post_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = attempt(
            form,
            services.update_client_sensitive,
            actor=user,
            client_id=client.pk,
            changes=form.sensitive_data(),
            reason=form.cleaned_data["reason"],
        )
        if saved is not None:
            messages.success(request, _("The special-category section was saved."))
            return redirect(reverse("casework:client_detail", args=[client.pk]) + "#sensitive")
    return render(
        request,
        "casework/client_sensitive.html",
        {"client": client, "form": form, "section": "clients"},
        status=error_status(form),
    )


@never_cache
@login_required
def identity_document_add(request: HttpRequest, client_id: UUID) -> HttpResponse:
    client = selectors.get_client_for(request.user, client_id, Perm.CHANGE_CLIENT)
    form = IdentityDocumentForm(_post_data(request), require=True)
    if request.method == "POST" and form.is_valid():
        document = attempt(
            form,
            services.add_identity_document,
            actor=request.user,
            client_id=client.pk,
            data=form.document_data(),
        )
        if document is not None:
            messages.success(request, _("The identity document was recorded."))
            return redirect(reverse("casework:client_detail", args=[client.pk]) + "#documents")
    return render(
        request,
        "casework/identity_document_add.html",
        {"client": client, "form": form, "section": "clients"},
        status=error_status(form),
    )


# --- Cases ---------------------------------------------------------------------------


def _assignable_memberships(agency) -> list:
    return list(selectors.assignable_members(agency))


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
        _post_data(request),
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
    """Visible cases with filters and search, most recently updated first."""
    form = CaseFilterForm(request.GET)
    cases = selectors.with_client_and_assignee(
        selectors.filter_cases(request.user, **form.filters())
    )
    page = keyset_page(cases, request.GET.get("after", ""), "updated_at")
    return render(
        request,
        "casework/case_list.html",
        {"form": form, "page": page, "filtered": form.has_changed(), "section": "cases"},
    )


def _abilities(user, case: Case) -> dict[str, bool]:
    def has(perm: Perm) -> bool:
        return user.has_perm(perm, case)

    status = case.status
    closed = status == Case.Status.CLOSED
    change = has(Perm.CHANGE_CASE)
    close = has(Perm.CLOSE_CASE)
    return {
        "edit": change and not closed,
        "note": has(Perm.ADD_NOTE),
        "view_follow_ups": has(Perm.VIEW_FOLLOW_UPS),
        "follow_up": has(Perm.ADD_FOLLOW_UP) and not closed,
        "complete_follow_up": has(Perm.COMPLETE_FOLLOW_UP),
        "view_documents": has(Perm.VIEW_DOCUMENT),
        "upload": has(Perm.ADD_DOCUMENT),
        "upload_medical": has(Perm.VIEW_SENSITIVE),
        "hold": change and status == Case.Status.OPEN,
        "close": close and not closed,
        "reopen": (closed and close) or (status == Case.Status.ON_HOLD and change),
        "assign": has(Perm.ASSIGN_CASE) and not closed,
        "restrict": has(Perm.RESTRICT_CASE),
        "history": has(Perm.VIEW_CASE_HISTORY),
    }


def _notes_context(user, case, can, note_form=None, done_message="") -> dict:
    return {
        "case": case,
        "can": can,
        "notes": selectors.notes_visible_to(user, case),
        "note_form": note_form if note_form is not None else NoteForm(),
        "done_message": done_message,
    }


def _follow_ups_context(user, case, can, follow_up_form=None, done_message="") -> dict:
    if follow_up_form is None and can["follow_up"]:
        follow_up_form = _follow_up_form(user, case, None)
    return {
        "case": case,
        "can": can,
        "follow_ups": selectors.follow_ups_visible_to(user, case),
        "follow_up_form": follow_up_form,
        "done_message": done_message,
        "today": _today(),
    }


def _follow_up_form(user, case, data):
    assignees = (
        _assignable_memberships(case.agency) if user.has_perm(Perm.ASSIGN_CASE, case) else None
    )
    return FollowUpForm(data, assignees=assignees)


def _case_page(request: HttpRequest, case: Case, **forms) -> HttpResponse:
    """The case page, with any bound (invalid) form passed in ``forms``."""
    user = request.user
    can = _abilities(user, case)
    assignees = _assignable_memberships(case.agency) if can["assign"] else None
    defaults = {
        "upload_form": lambda: DocumentUploadForm(allow_medical=can["upload_medical"]),
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
    context.update(_follow_ups_context(user, case, can, forms.get("follow_up_form")))
    context.update(
        {
            "documents": selectors.documents_visible_to(user, case),
            "section": "cases",
            "done_message": "",
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
        can = _abilities(request.user, case)
        context = _notes_context(
            request.user,
            case,
            can,
            note_form=None if note else form,
            done_message=_("The note was added.") if note else "",
        )
        return render(request, "casework/_notes.html", context)
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
        can = _abilities(request.user, case)
        message = _("“%(title)s” is done.") % {"title": follow_up.title}
        return render(
            request,
            "casework/_follow_ups.html",
            _follow_ups_context(request.user, case, can, done_message=message),
        )
    messages.success(request, _("“%(title)s” is done.") % {"title": follow_up.title})
    default = reverse("casework:case_detail", args=[case.pk]) + "#follow-ups"
    return redirect(_safe_next(request, default))


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
            return _back_to_case(case)
    return _case_page(request, case, assign_form=form)


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
    case = selectors.get_case_for(request.user, case_id, Perm.CHANGE_CASE)
    form = CaseEditForm(_post_data(request), initial=_case_initial(case))
    stale_changes = None
    if request.method == "POST" and form.is_valid():
        try:
            services.update_case(
                actor=request.user,
                case_id=case.pk,
                expected_version=form.cleaned_data["version"],
                changes=form.case_data(),
                reason=form.cleaned_data["reason"],
            )
        except PreconditionFailed:
            case = selectors.get_case_for(request.user, case_id, Perm.CHANGE_CASE)
            stale_changes = _differences(form, case, CaseEditForm.CASE_FIELDS)
            form = CaseEditForm(initial=_case_initial(case))
        except (NotFound, Forbidden):
            raise
        except (DomainError, ValidationError) as error:
            show_error(form, error)
        else:
            messages.success(request, _("The case was saved."))
            return redirect("casework:case_detail", case_id=case.pk)
    status = 412 if stale_changes is not None else error_status(form)
    return render(
        request,
        "casework/case_edit.html",
        {
            "case": case,
            "form": form,
            "stale_message": STALE_MESSAGE if stale_changes is not None else "",
            "stale_changes": stale_changes or [],
            "section": "cases",
        },
        status=status,
    )


HISTORY_OBJECTS = {
    "case": gettext_lazy("Case"),
    "note": gettext_lazy("Note"),
    "follow_up": gettext_lazy("Follow-up"),
    "document": gettext_lazy("Document"),
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
