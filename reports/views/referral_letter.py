"""The referral letter as a PDF download, from the referral page."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.errors import Conflict, InvalidInput
from reports.documents.referral_letter import referral_letter_pdf
from reports.http import PDF, file_response


@never_cache
@login_required
@require_safe
def referral_letter(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """The letter of a sent referral: exactly its packet, in the receiving
    agency's language (``?client_language=1`` adds the client's). For whoever
    may read the packet: 404 for anyone else, 409 for a draft."""
    try:
        content, filename = referral_letter_pdf(
            actor=request.user,
            referral_id=referral_id,
            client_language=request.GET.get("client_language", ""),
        )
    except InvalidInput as error:
        raise BadRequest(str(error.message)) from error
    except Conflict as error:
        return HttpResponse(
            str(error.message), status=409, content_type="text/plain; charset=utf-8"
        )
    return file_response(content, filename=filename, content_type=PDF)
