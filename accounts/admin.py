"""Django admin for platform operators: read-only.

Every write goes through a service (with permission checks and history), so
the admin only shows records; agencies and members are managed in Sanad's own
pages and management commands.
"""

import contextlib

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Agency, ApiToken, Membership, User


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "email", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "display_name"]
    exclude = ["password", "session_stamp"]


@admin.register(Agency)
class AgencyAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "kind", "country", "is_public_authority"]
    search_fields = ["name", "slug"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "agency", "role", "is_active"]
    list_filter = ["role", "is_active"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "revoked_at"]
    exclude = ["token_hash"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The second factor's devices stay out of the admin: django-otp's TOTP admin shows
# a person's secret as a QR code, and a platform operator must never hold anyone's
# factor. An agency administrator resets a member's factors from the member page.
def _unregister_factor_models() -> None:
    from django.contrib.admin.exceptions import NotRegistered
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnAttestation, WebAuthnCredential

    for model in (TOTPDevice, StaticDevice, WebAuthnCredential, WebAuthnAttestation):
        with contextlib.suppress(NotRegistered):
            admin.site.unregister(model)


_unregister_factor_models()
