"""The consent form to sign as a PDF download, from the printable consent form page."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.errors import InvalidInput
from reports.documents.consent_form import consent_forms_pdf
from reports.http import PDF, file_response


@never_cache
@login_required
@require_safe
def consent_form_pdf(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """The client's consent form in their language and the agency's side by side
    (``?language=`` replaces the client's; ``?consent=`` pre-fills it from a
    recorded consent). Needs RECORD_CONSENT on the client: 404 for a client
    the user does not see, 403 without it, 400 for a bad ``language`` or ``consent``."""
    try:
        content, filename = consent_forms_pdf(
            actor=request.user,
            client_ids=[client_id],
            language=request.GET.get("language") or None,
            consent_id=request.GET.get("consent") or None,
        )
    except InvalidInput as error:
        raise BadRequest(str(error.message)) from error
    return file_response(content, filename=filename, content_type=PDF)
