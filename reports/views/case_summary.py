"""The case summary as a PDF download from the case page."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from reports.documents.case_summary import case_summary_pdf
from reports.http import PDF, file_response


@never_cache
@login_required
@require_safe
def case_summary(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The case summary in the reader's language (404 for a case they do not see)."""
    content, filename = case_summary_pdf(actor=request.user, case_id=case_id)
    return file_response(content, filename=filename, content_type=PDF)
