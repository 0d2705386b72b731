"""Middleware of the API plumbing."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


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


class NoStoreAPIMiddleware:
    """Every answer under ``/api/`` carries ``Cache-Control: no-store`` (as
    ``private, no-store`` unless its view set no-store itself): a browser, a
    proxy or a shared cache never keeps a copy. One rule for the whole API,
    errors and the schema included, rather than a list of the answers that
    carry personal data (the next endpoint would be forgotten)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view that says no-store already (a download, a new token) keeps its header.
        if request.path.startswith("/api/") and "no-store" not in response.get("Cache-Control", ""):
            patch_cache_control(response, private=True, no_store=True)
        return response
