"""Middleware of the API plumbing."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class AbsoluteLocationMiddleware:
    """An API answer's ``Location`` is an absolute URI, as the schema says
    (``format: uri``): views name the created resource by its path and this
    one place adds the scheme and host the request came to (``ALLOWED_HOSTS``
    checked; ``https`` behind a TLS proxy with ``BEHIND_TLS_PROXY``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        location = response.get("Location", "")
        if (
            request.path.startswith("/api/")
            and location.startswith("/")
            and not location.startswith("//")
        ):
            response["Location"] = request.build_absolute_uri(location)
        return response
