"""The subject-access report as a PDF download, beside the JSON export on the
client's data-protection page."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.errors import InvalidInput
from reports.documents.subject_access import subject_access_pdf
from reports.http import PDF, file_response


@never_cache
@login_required
@require_safe
def subject_access_report(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Everything Sanad holds about the client, readable by them, in their
    language (``?language=`` to choose another). Needs EXPORT_SUBJECT_ACCESS in
    the client's agency: 404 outside it, 403 without it, 400 for a bad
    ``language``. Recorded as an export, like the JSON."""
    try:
        content, filename = subject_access_pdf(
            actor=request.user, client_id=client_id, language=request.GET.get("language", "")
        )
    except InvalidInput as error:
        raise BadRequest(str(error.message)) from error
    return file_response(content, filename=filename, content_type=PDF)
