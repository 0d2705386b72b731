from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


class StrictPageSizeMixin:
    """``page_size`` is a whole number from 1; larger than ``max_page_size`` is
    capped. Anything else (``page_size=null``, ``page_size=``, ``0``) is a 400
    naming ``page_size``: DRF would quietly use the default instead."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        if self.page_size_query_param not in request.query_params:
            return self.page_size
        raw = request.query_params[self.page_size_query_param].strip()
        digits = raw.lstrip("0")
        # A whole number of any length: more than nine digits is over the cap
        # anyway, and int() of thousands of digits raises instead of counting.
        if not raw.isascii() or not raw.isdigit() or not digits:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                },
                code="invalid",
            )
        return self.max_page_size if len(digits) > 9 else min(int(digits), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Items a page (default {self.page_size}; more than "
                    f"{self.max_page_size} is capped at {self.max_page_size})."
                )
        return parameters


class PagePagination(StrictPageSizeMixin, PageNumberPagination):
    """Page-number pagination with a client-chosen page size capped at 100."""

    page_size = 50


class KeysetCursorPagination(StrictPageSizeMixin, CursorPagination):
    """Cursor (keyset) pagination: no total count, stable under inserts.

    The view names its order in ``cursor_ordering`` (most significant field
    first, a unique field last); the default is newest first. A cursor that
    cannot be decoded is a 400 naming ``cursor``, not a 404.
    """

    page_size = 50
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
