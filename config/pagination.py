from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


class PagePagination(PageNumberPagination):
    """Page-number pagination with a client-chosen page size capped at 100."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


class KeysetCursorPagination(CursorPagination):
    """Cursor (keyset) pagination: no total count, stable under inserts.

    The view names its order in ``cursor_ordering`` (most significant field
    first, a unique field last); the default is newest first. A cursor that
    cannot be decoded is a 400 naming ``cursor``, not a 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")

    def get_ordering(self, request, queryset, view):
        return tuple(getattr(view, "cursor_ordering", None) or self.ordering)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (NotFound, DjangoValidationError, ValueError) as error:
            if self.cursor_query_param not in request.query_params:
                raise
            # A cursor that does not decode, or whose position is not a value of
            # the ordering field (a crafted or truncated cursor).
            raise ValidationError(
                {self.cursor_query_param: [_("This cursor is not valid.")]}, code="invalid"
            ) from error
