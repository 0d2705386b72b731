"""The API's documentation page (Swagger UI on the OpenAPI schema) and the schema.

Both are open to anyone unless ``API_DOCS_PUBLIC`` is off (the production
profile turns it off): then the page sends a visitor to the login form and the
schema answers ``401`` without a session or a bearer token.

The page runs under the site's Content-Security-Policy as it stands: Swagger
UI's bundle and ``static/js/api-docs.js`` are static files, and the settings
the script needs are a JSON block, which is data, not script. Only the images
Swagger UI's style sheet draws as ``data:`` URLs (arrows, locks) are allowed
in addition, on this page alone.
"""

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer


class DocsAccess(BasePermission):
    """Anyone while ``API_DOCS_PUBLIC`` is on; otherwise a signed-in user
    (a session, or a bearer token for the schema)."""

    def has_permission(self, request, view) -> bool:
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)


class SchemaView(SpectacularAPIView):
    """The OpenAPI document (``/api/schema/``)."""

    permission_classes = [DocsAccess]

    def handle_exception(self, exc):
        # A refusal is a problem document in JSON, whatever schema format was asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


@method_decorator(csp_update({"img-src": ["data:"]}), name="get")
class DocsPageView(SpectacularSwaggerView):
    """The API's documentation page. It renders HTML only, so there is no
    document to describe it in: ``OPTIONS`` answers with the methods (``Allow``)."""

    template_name = "api/docs.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if not DocsAccess().has_permission(request, self):
            return redirect_to_login(request.get_full_path())
        response = super().get(request, *args, **kwargs)
        response.data["swagger_config"] = {
            "schemaUrl": response.data["schema_url"],
            # Never send the schema's address to a third-party validator.
            "settings": {"validatorUrl": None, **spectacular_settings.SWAGGER_UI_SETTINGS},
            "csrfHeaderName": response.data["csrf_header_name"],
            "csrfToken": get_token(request),
        }
        # drf-spectacular opens the opener policy for OAuth pop-ups, which Sanad
        # does not use: the site's own (same-origin) applies.
        del response["Cross-Origin-Opener-Policy"]
        return response

    def options(self, request, *args, **kwargs):
        return HttpResponse(status=204)
