from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import second_factor_urls
from accounts import views as accounts_views
from config.http.docs import DocsPageView, SchemaView


class FaviconView(RedirectView):
    """``/favicon.ico``, which browsers ask for whatever the page links: the
    icon the pages link (static/img/favicon.svg). Looked up per request, as the
    static file's hashed name is known only once the manifest is read; not a
    permanent redirect, as that name changes with the file."""

    http_method_names = ["get", "head"]

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("img/favicon.svg")


urlpatterns = [
    path("healthz", accounts_views.healthz, name="healthz"),
    path("readyz", accounts_views.readyz, name="readyz"),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("admin/", admin.site.urls),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsPageView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("accounts.api_urls")),
    path("api/v1/", include("casework.api_urls")),
    path("api/v1/", include("referrals.api_urls")),
    path("api/v1/", include("privacy.api_urls")),
    path("api/v1/", include("reports.api_urls")),
    path("accounts/second-factor/", include("accounts.second_factor_urls")),
    path(
        "accounts/second-factor/passkeys/",
        include(second_factor_urls.passkey_patterns, namespace="otp_webauthn"),
    ),
    path("", include("referrals.urls")),
    path("", include("casework.urls")),
    path("", include("accounts.urls")),
    path("", include("privacy.urls")),
    path("", include("reports.urls")),
]

handler400 = "accounts.views.handler400"
handler403 = "accounts.views.handler403"
handler404 = "accounts.views.handler404"
handler500 = "accounts.views.handler500"
