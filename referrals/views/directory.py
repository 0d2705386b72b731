"""The service directory: every logged-in user browses and searches it; agency
admins (MANAGE_SERVICES) add, edit and import their agency's services; anyone
downloads it as Open Referral HSDS JSON."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.models import Agency
from accounts.permissions import Perm
from casework.models import DataCategory
from config.errors import Forbidden, InvalidInput
from config.http.pages import attempt, error_status, language_name, post_data, versioned_edit
from referrals import selectors, services
from referrals.forms import (
    AddServiceForm,
    DirectoryFilterForm,
    EditServiceForm,
    ImportServicesForm,
    describe_import_error,
)
from referrals.hsds import services_to_hsds
from referrals.models import Service

PAGE_SIZE = 30
# Records named in the "not kept" message after an import, at most.
MAX_LOST_SHOWN = 20


def _agencies_with_services():
    return Agency.objects.filter(services__isnull=False).distinct().order_by("name")


def _described(service: Service) -> Service:
    """What the pages show of a service: readable languages and data categories."""
    labels = dict(DataCategory.choices)
    service.language_names = [language_name(code) for code in service.languages]
    service.needed_labels = [
        labels.get(category, category) for category in service.data_categories_needed
    ]
    return service


@require_safe
@never_cache
@login_required
def directory(request: HttpRequest) -> HttpResponse:
    """Every agency's services, searched by words, kind, agency and status."""
    form = DirectoryFilterForm(request.GET, agencies=_agencies_with_services())
    found = selectors.services_directory(**form.filters())
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    for service in page.object_list:
        _described(service)
    return render(
        request,
        "referrals/directory.html",
        {
            "form": form,
            "page": page,
            "filtered": any(form.filters().values()),
            "can_manage": selectors.agencies_managed_by(request.user).exists(),
            "section": "directory",
        },
    )


@require_safe
@never_cache
@login_required
def service_detail(request: HttpRequest, service_id: UUID) -> HttpResponse:
    service = _described(selectors.get_service(service_id))
    return render(
        request,
        "referrals/service_detail.html",
        {
            "service": service,
            "can_edit": request.user.has_perm(Perm.MANAGE_SERVICES, service),
            "section": "directory",
        },
    )


def _managed_agencies(user) -> list:
    """Agencies whose services the user maintains; 403 when there is none (the
    directory is public: the user sees it but may not change it)."""
    agencies = list(selectors.agencies_managed_by(user))
    if not agencies:
        raise Forbidden()
    return agencies


@never_cache
@login_required
def service_add(request: HttpRequest) -> HttpResponse:
    """Add a service of an agency the user manages (MANAGE_SERVICES)."""
    agencies = _managed_agencies(request.user)
    form = AddServiceForm(post_data(request), agencies=agencies)
    if request.method == "POST" and form.is_valid():
        service = attempt(
            form,
            services.create_service,
            actor=request.user,
            agency=form.cleaned_data["agency"],
            data=form.service_data(),
        )
        if service is not None:
            messages.success(
                request, _("%(name)s was added to the directory.") % {"name": service.name}
            )
            return redirect("referrals:service_detail", service_id=service.pk)
    return render(
        request,
        "referrals/service_form.html",
        {"form": form, "service": None, "section": "directory"},
        status=error_status(form),
    )


def _service_initial(service: Service) -> dict:
    initial = {name: getattr(service, name) for name in EditServiceForm.SERVICE_FIELDS}
    initial["version"] = service.version
    return initial


@never_cache
@login_required
def service_edit(request: HttpRequest, service_id: UUID) -> HttpResponse:
    """Change a service (MANAGE_SERVICES in its agency). A stale version changes nothing."""

    def reload():
        return selectors.get_service_for(request.user, service_id)

    def save(form):
        services.update_service(
            actor=request.user,
            service_id=service_id,
            changes=form.service_data(),
            expected_version=form.cleaned_data["version"],
        )

    return versioned_edit(
        request,
        record=reload(),
        reload=reload,
        form_class=EditServiceForm,
        initial=_service_initial,
        save=save,
        template="referrals/service_form.html",
        context=lambda service: {"service": service, "section": "directory"},
        success_message=_("The service was saved."),
        success_url=reverse("referrals:service_detail", args=[service_id]),
    )


@never_cache
@login_required
def service_import(request: HttpRequest) -> HttpResponse:
    """Import an agency's services from HSDS JSON: all or nothing; an error
    names the record and its field."""
    agencies = _managed_agencies(request.user)
    form = ImportServicesForm(post_data(request), request.FILES or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        agency = form.cleaned_data["agency"]
        try:
            saved = services.import_services(
                actor=request.user, agency=agency, records=form.cleaned_data["records"]
            ).services
        except InvalidInput as error:
            form.error_status = 400
            form.add_error(None, describe_import_error(error, form.cleaned_data["records"]))
            saved = None
        if saved is not None:
            messages.success(
                request,
                ngettext(
                    "%(count)d service of %(agency)s was imported.",
                    "%(count)d services of %(agency)s were imported.",
                    len(saved),
                )
                % {"count": len(saved), "agency": agency.name},
            )
            lost = [
                _("Record %(number)d (“%(name)s”): not kept by Sanad: %(fields)s.")
                % {
                    "number": item["item"] + 1,
                    "name": item["name"],
                    "fields": ", ".join(item["fields"]),
                }
                for item in form.cleaned_data["not_kept"]
            ]
            if lost:
                # One message (a long file would otherwise fill the session with them).
                more = f" (+{len(lost) - MAX_LOST_SHOWN})" if len(lost) > MAX_LOST_SHOWN else ""
                messages.warning(request, " ".join(lost[:MAX_LOST_SHOWN]) + more)
            return redirect(f"{reverse('referrals:directory')}?agency={agency.slug}")
    return render(
        request,
        "referrals/service_import.html",
        {"form": form, "section": "directory"},
        status=error_status(form),
    )


@require_safe
@login_required
def directory_export(request: HttpRequest) -> JsonResponse:
    """The directory (with the list's filters) as an HSDS JSON download."""
    form = DirectoryFilterForm(request.GET, agencies=_agencies_with_services())
    document = services_to_hsds(selectors.services_directory(**form.filters()))
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="sanad-directory-{stamp}.hsds.json"'
    return response
