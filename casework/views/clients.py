"""Client pages: list, register (with duplicate check), detail, edit, special-category
section, identity documents."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_countries import countries

from accounts.permissions import Perm
from casework import selectors, services
from casework.forms import (
    ClientEditForm,
    ClientSearchForm,
    IdentityDocumentForm,
    IdentityDocumentFormSet,
    RegisterClientForm,
    SensitiveForm,
)
from casework.models import Client, ClientSensitive
from casework.views.consent import consent_summary
from config.errors import DomainError, Forbidden, InvalidInput, NotFound
from config.http.pages import (
    attempt,
    error_status,
    keyset_page,
    language_name,
    post_data,
    show_error,
    versioned_edit,
)

# --- Helpers -----------------------------------------------------------------------


# --- Clients -----------------------------------------------------------------------------


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
            "can_register": bool(selectors.agencies_for_registration(request.user)),
            "section": "clients",
        },
    )


@never_cache
@login_required
def client_register(request: HttpRequest) -> HttpResponse:
    """Register a client with up to two identity documents. A possible duplicate
    is shown to the caseworker, who opens it or confirms a different person."""
    agencies = selectors.agencies_for_registration(request.user)
    if not agencies:
        raise Forbidden()
    data = post_data(request)
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
    """A client's identity, contact, legal status, family, education and work,
    documents and cases; the special-category section only for holders of
    VIEW_SENSITIVE on the client."""
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
            "consents": consent_summary(user, client),
            "section": "clients",
        },
    )


def _client_initial(client: Client) -> dict:
    initial = {name: getattr(client, name) for name in ClientEditForm.CLIENT_FIELDS}
    initial["version"] = client.version
    return initial


@never_cache
@login_required
def client_edit(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Edit identity, contact, legal status, family, education and work. A
    stale version changes nothing: the page shows the current record and what
    the user had typed."""

    def reload():
        return selectors.get_client_for(request.user, client_id, Perm.CHANGE_CLIENT)

    def save(form):
        services.update_client(
            actor=request.user,
            client_id=client_id,
            expected_version=form.cleaned_data["version"],
            changes=form.client_data(),
            reason=form.cleaned_data["reason"],
        )

    return versioned_edit(
        request,
        record=reload(),
        reload=reload,
        form_class=ClientEditForm,
        initial=_client_initial,
        save=save,
        template="casework/client_edit.html",
        context=lambda client: {"client": client, "section": "clients"},
        success_message=_("The client's record was saved."),
        success_url=reverse("casework:client_detail", args=[client_id]),
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
    form = SensitiveForm(post_data(request), initial=initial)
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
    form = IdentityDocumentForm(post_data(request), require=True)
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
