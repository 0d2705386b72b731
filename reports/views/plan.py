"""The printable integration plan of a case: the page, to print from the
browser, and its PDF download. Both are ``reports.documents.plan``'s rows."""

from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.permissions import Perm
from casework.selectors import get_case_for
from config.errors import Conflict, InvalidInput
from reports.documents.consent_form import check_language
from reports.documents.plan import plan_document, plan_pdf
from reports.http import PDF, file_response


@never_cache
@login_required
@require_safe
def plan_print(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The plan in the client's language and the agency's side by side, to
    print (``?language=`` replaces the client's). Needs VIEW_PLAN on the
    case: 404 for a case the user does not see, 403 without it. A language
    Sanad is not translated into answers 400 with the plan in the client's
    own language and the reason beside the choice of language."""
    case = get_case_for(request.user, case_id, Perm.VIEW_PLAN)
    language_error = ""
    try:
        language = check_language(request.GET.get("language") or None)
    except InvalidInput as error:
        language, language_error = None, str(error.message)
    try:
        document = plan_document(request.user, case, language=language)
    except Conflict:
        document = None
    return render(
        request,
        "reports/plan_print.html",
        {
            "case": case,
            "document": document,
            "language_choices": [
                (code, translation.get_language_info(code)["name_local"])
                for code, _name in settings.LANGUAGES
            ],
            "language_error": language_error,
            "section": "cases",
        },
        status=400 if language_error else 200,
    )


@never_cache
@login_required
@require_safe
def plan_pdf_download(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The printable plan as a PDF (``?language=`` replaces the client's
    language). Needs VIEW_PLAN on the case: 404 for a case the user does not
    see, 403 without it, 400 for a bad ``language``, 409 for a case without
    a plan."""
    try:
        content, filename = plan_pdf(
            actor=request.user,
            case_id=case_id,
            language=request.GET.get("language") or None,
        )
    except InvalidInput as error:
        raise BadRequest(str(error.message)) from error
    except Conflict as error:
        return HttpResponse(
            str(error.message), status=409, content_type="text/plain; charset=utf-8"
        )
    return file_response(content, filename=filename, content_type=PDF)
