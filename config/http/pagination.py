from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.utils.urls import replace_query_param

from config.http.keyset import decode_position, keys_of, read_page


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


class OrderedKeysetPagination(KeysetCursorPagination):
    """Keyset pagination over an order of several columns (``config.http.keyset``).

    The view names its order in ``keyset_ordering``: field or annotation names
    (``-`` for descending) or ``Key``s saying where NULLs sort, a unique column
    last. DRF's cursor seeks on the first column alone and counts an offset
    past the rows level with it (refused past 1000): with a rank of three values
    first, that breaks after a thousand rows of one rank. Here every column is
    part of the position, so any order pages at the same cost. Same links
    (``next``, ``previous``) and the same 400 for a cursor that is not one.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        ordering = getattr(view, "keyset_ordering", None) or self.ordering
        cursor = request.query_params.get(self.cursor_query_param, "")
        if cursor and decode_position(queryset, keys_of(ordering), cursor) is None:
            raise ValidationError(
                {self.cursor_query_param: [_("This cursor is not valid.")]}, code="invalid"
            )
        window = read_page(queryset, ordering, cursor, self.page_size)
        self.next_position = window.next_cursor
        self.previous_position = window.previous_cursor
        return window.rows

    def _link(self, position: str | None) -> str | None:
        if position is None:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, position)

    def get_next_link(self):
        return self._link(self.next_position)

    def get_previous_link(self):
        return self._link(self.previous_position)
