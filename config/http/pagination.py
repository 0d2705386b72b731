"""The API's one shape of a list: a page of ``results`` and the links and
cursors to the pages on either side, never a total count.

``{"next": <url|null>, "previous": <url|null>, "next_cursor": <str|null>,
"previous_cursor": <str|null>, "results": [...]}``: ``next_cursor`` is exactly
the value of the ``cursor`` query parameter of ``next`` (a generated client
passes it back as ``cursor`` without parsing the URL), ``previous_cursor``
that of ``previous``. Every list of the API answers so, whichever of the
classes below pages it.
"""

from base64 import b64decode
from collections.abc import Callable, Sequence
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from config.http.keyset import (
    decode_position,
    decode_sequence_position,
    keys_of,
    read_page,
    read_sequence_page,
)

# The keys of every page, in the order they are written.
PAGE_KEYS = ("next", "previous", "next_cursor", "previous_cursor", "results")


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

    def _cursor_of(self, link: str | None) -> str | None:
        """The ``cursor`` query value of one of this page's links, as a client
        sends it back (``None`` where there is no such page)."""
        if link is None:
            return None
        values = parse_qs(urlsplit(link).query, keep_blank_values=True)
        return values.get(self.cursor_query_param, [None])[-1]

    def get_paginated_response(self, data):
        next_link = self.get_next_link()
        previous_link = self.get_previous_link()
        return Response(
            {
                "next": next_link,
                "previous": previous_link,
                "next_cursor": self._cursor_of(next_link),
                "previous_cursor": self._cursor_of(previous_link),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        def link(which: str, example: str) -> dict:
            return {
                "type": "string",
                "format": "uri",
                "nullable": True,
                "description": f"The {which} page; null when there is none.",
                "example": f"https://sanad.example/api/v1/cases/?{self.cursor_query_param}="
                f"{example}",
            }

        def cursor(which: str, example: str) -> dict:
            return {
                "type": "string",
                "nullable": True,
                "description": f"The `{self.cursor_query_param}` query value of `{which}`, "
                f"to pass back as `{self.cursor_query_param}`; null when `{which}` is null. "
                "Opaque: read nothing into it.",
                "example": example,
            }

        return {
            "type": "object",
            "required": list(PAGE_KEYS),
            "properties": {
                "next": link("next", "eyJwIjpbIjIwMjYi"),
                "previous": link("previous", "eyJwIjpbIjIwMjUi"),
                "next_cursor": cursor("next", "eyJwIjpbIjIwMjYi"),
                "previous_cursor": cursor("previous", "eyJwIjpbIjIwMjUi"),
                "results": schema,
            },
        }

    def decode_cursor(self, request):
        """DRF's reading, stricter: a cursor is one DRF wrote (the tokens
        ``o``, ``r``, ``p`` once each), never text that happens to decode (read
        as the first page) nor an empty one (a client that sends ``cursor=``
        for "no next page" would start again at the first)."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            querystring = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse_qs(querystring, keep_blank_values=True, strict_parsing=True)
        except ValueError as error:
            raise NotFound(self.invalid_cursor_message) from error
        if (
            not tokens
            or not set(tokens) <= {"o", "r", "p"}
            or any(len(values) != 1 for values in tokens.values())
        ):
            raise NotFound(self.invalid_cursor_message)
        return super().decode_cursor(request)

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

    A view whose queryset is the union of parts that each follow an index (a
    scope split by agency) may set them as ``keyset_parts`` before paginating:
    each part is then read on its own up to the page size
    (``keyset.first_rows``).
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        ordering = getattr(view, "keyset_ordering", None) or self.ordering
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor is not None and decode_position(queryset, keys_of(ordering), cursor) is None:
            raise ValidationError(
                {self.cursor_query_param: [_("This cursor is not valid.")]}, code="invalid"
            )
        parts = getattr(view, "keyset_parts", ())
        window = read_page(queryset, ordering, cursor or "", self.page_size, parts)
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


class SequenceKeysetPagination(OrderedKeysetPagination):
    """Keyset pagination over rows made in Python rather than read by one query
    (a case's history, merged from the history of several tables).

    The view gives every row (``paginate_queryset(rows)``) and says where each
    one stands: ``sequence_position(row)`` a tuple of whole numbers and strings
    whose last part is unique to the row, ``sequence_position_types`` the type
    of each part, ``sequence_descending`` whether the list runs from the
    largest position down. A page continues after the last position seen, as
    for a query: rows added meanwhile shift nothing. Same links, cursors and
    400 for a cursor that is not one as every other list.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        position: Callable = view.sequence_position
        types: Sequence[type] = view.sequence_position_types
        descending = getattr(view, "sequence_descending", False)
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor is not None and decode_sequence_position(types, cursor) is None:
            raise ValidationError(
                {self.cursor_query_param: [_("This cursor is not valid.")]}, code="invalid"
            )
        window = read_sequence_page(
            queryset, position, types, cursor or "", self.page_size, descending=descending
        )
        self.next_position = window.next_cursor
        self.previous_position = window.previous_cursor
        return window.rows
