"""The API's documentation page (Swagger UI on the OpenAPI schema)."""

from django.http import HttpResponse
from drf_spectacular.views import SpectacularSwaggerView


class DocsPageView(SpectacularSwaggerView):
    """The API's documentation page. It renders HTML only, so there is no
    document to describe it in: ``OPTIONS`` answers with the methods (``Allow``)."""

    def options(self, request, *args, **kwargs):
        return HttpResponse(status=204)
