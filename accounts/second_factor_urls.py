"""The second factor's pages, under /accounts/second-factor/ (namespace
``second_factor``), and passkeys' ceremonies under .../passkeys/ (django-otp-webauthn's
namespace ``otp_webauthn``, which its template tags reverse)."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    CompleteCredentialAuthenticationView,
)

from accounts import second_factor_views as views

app_name = "second_factor"

passkey_patterns = (
    [
        path(
            "registration/begin/",
            views.PasskeyRegistrationBegin.as_view(),
            name="credential-registration-begin",
        ),
        path(
            "registration/complete/",
            views.PasskeyRegistrationComplete.as_view(),
            name="credential-registration-complete",
        ),
        path(
            "authentication/begin/",
            BeginCredentialAuthenticationView.as_view(),
            name="credential-authentication-begin",
        ),
        path(
            "authentication/complete/",
            CompleteCredentialAuthenticationView.as_view(),
            name="credential-authentication-complete",
        ),
        path(
            "jsi18n/",
            JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
            name="js-i18n-catalog",
        ),
    ],
    "otp_webauthn",
)

urlpatterns = [
    path("", views.verify, name="verify"),
    path("setup/", views.setup, name="setup"),
    path("setup/app/", views.app_start, name="app_start"),
    path("setup/app/confirm/", views.app_confirm, name="app_confirm"),
    path("setup/backup-codes/", views.backup_codes, name="backup_codes"),
    path("setup/remove/", views.remove, name="remove"),
    path("password/", views.confirm_password, name="confirm_password"),
]
