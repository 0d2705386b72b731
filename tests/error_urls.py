"""The site's URL conf, plus a page and an API address that fail with an
unhandled exception (tests only: ``@pytest.mark.urls("tests.error_urls")``).
The exception's message, and its cause's, is the ``message`` query parameter."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site_urlpatterns


def fail(request: HttpRequest) -> HttpResponse:
    message = request.GET.get("message", "a failure on purpose")
    try:
        raise LookupError(message)
    except LookupError as cause:
        raise RuntimeError(message) from cause


urlpatterns = [
    path("test-only/fail/", fail, name="test-fail"),
    path("api/v1/test-only/fail/", fail, name="api-test-fail"),
    *site_urlpatterns,
]
