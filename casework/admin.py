"""Django admin for platform operators. Client records are deliberately not
registered: personal data is read only through Sanad's scoped, logged pages.
Consents are listed read-only (ids and facts, no names) so operators can
answer "is this consent recorded?"; nothing edits or deletes them here."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from casework.models import Consent


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "agency",
        "purpose",
        "lawful_basis",
        "given_at",
        "expires_at",
        "withdrawn_at",
    ]
    list_filter = ["purpose", "lawful_basis", "method"]
    exclude = ["client", "given_by_name", "withdrawal_reason", "evidence"]
