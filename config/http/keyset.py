"""Keyset ("seek") positions over an order of several columns.

A page continues after the last row seen: for the order ``a, b, id`` the rows
after ``(a0, b0, id0)`` are ``a > a0 OR (a = a0 AND b > b0) OR (a = a0 AND
b = b0 AND id > id0)``, each comparison turned for a descending column. No
OFFSET, no count: the cost of a page does not grow with how far one has read,
and rows added or removed meanwhile shift nothing. The last column must be
unique (the id) so that no two rows share a position.

A column may be a model field or an annotation of the queryset (a rank made
with ``Case``/``When``). A column that can hold NULL says where NULLs sort
(``nulls_last``, the default, in either direction); the condition then says it
too, since ``x > v`` is never true for a NULL: after a value come the greater
values and then the NULLs; after a NULL only the other NULLs.

The position travels as text (URL-safe base64 of a JSON list); it is read back
through each column's field (``to_python``), so a crafted cursor is refused
(``None``), never passed to the database as something it is not.
"""

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections
from django.db.models import F, Field, FloatField, Q, QuerySet


@dataclass(frozen=True)
class Key:
    """One column of the order: a field or annotation ``name``, its direction
    and where its NULLs sort."""

    name: str
    descending: bool = False
    nulls_last: bool = True

    @classmethod
    def of(cls, spec: "str | Key") -> "Key":
        """``"-respond_by"`` → Key("respond_by", descending=True); a Key as is."""
        if isinstance(spec, Key):
            return spec
        return cls(spec.lstrip("-"), descending=spec.startswith("-"))

    def expression(self, nullable: bool = True):
        """ORDER BY this column; NULLS FIRST/LAST only where it may hold NULL
        (a plain order keeps using a plain index)."""
        column = F(self.name)
        where = {}
        if nullable:
            where = {"nulls_last": True} if self.nulls_last else {"nulls_first": True}
        return column.desc(**where) if self.descending else column.asc(**where)

    def reversed(self) -> "Key":
        """The same column read backwards (the page before a position)."""
        return replace(self, descending=not self.descending, nulls_last=not self.nulls_last)


def keys_of(ordering: Iterable["str | Key"]) -> tuple[Key, ...]:
    keys = tuple(Key.of(spec) for spec in ordering)
    if not keys:
        raise ValueError("A keyset order needs at least one column (a unique one last).")
    return keys


def ordered(queryset: QuerySet, keys: Sequence[Key]) -> QuerySet:
    return queryset.order_by(*(key.expression(_nullable(queryset, key)) for key in keys))


def first_rows(
    queryset: QuerySet, keys: Sequence[Key], limit: int, parts: Sequence[QuerySet] = ()
) -> QuerySet:
    """The first ``limit`` rows of ``queryset`` in the order ``keys``.

    ``parts`` are querysets of the same model whose rows together are the
    queryset's (a scope split by agency, the rows granted one by one…). A
    database cannot walk one index in order through an OR of such parts: it
    reads every row of every part and sorts them. Given the parts, each is
    read on its own, in order, up to ``limit`` rows (one index walk that stops
    early), and only their union, at most ``limit`` rows a part, is sorted:
    ``pk IN (… UNION ALL …)``, still filtered by the queryset's own
    conditions. Backends that cannot limit the members of a compound query
    (SQLite) read the plain query."""
    rows = ordered(queryset, keys)
    features = connections[queryset.db].features
    if (
        len(parts) < 2
        or queryset.query.is_empty()
        or not features.supports_slicing_ordering_in_compound
    ):
        return rows[:limit]
    ids = [ordered(part, keys).values("pk")[:limit] for part in parts]
    return rows.filter(pk__in=ids[0].union(*ids[1:], all=True))[:limit]


def _field(queryset: QuerySet, name: str) -> Field:
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        return annotation.output_field
    model = queryset.model
    if name == "pk":
        return model._meta.pk
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        raise ValueError(f"{model.__name__} has no field or annotation {name!r}.") from None


def _nullable(queryset: QuerySet, key: Key) -> bool:
    if key.name in queryset.query.annotations:
        # An expression may give NULL whatever its output field says.
        return True
    return bool(_field(queryset, key.name).null)


def _after_column(key: Key, value, nullable: bool) -> tuple[Q | None, Q]:
    """(rows after ``value`` in this column, None for none; rows level with it)."""
    name = key.name
    if value is None:
        level = Q(**{f"{name}__isnull": True})
        # NULLs first: every value comes after them; NULLs last: nothing does.
        return (None if key.nulls_last else Q(**{f"{name}__isnull": False})), level
    after = Q(**{f"{name}__{'lt' if key.descending else 'gt'}": value})
    if nullable and key.nulls_last:
        after |= Q(**{f"{name}__isnull": True})
    return after, Q(**{name: value})


def after_position(queryset: QuerySet, keys: Sequence[Key], position: Sequence) -> QuerySet:
    """The rows of ``queryset`` that come after ``position`` (one value per key)
    in the order ``keys``."""
    condition = Q(pk__in=[])
    level = Q()
    for key, value in zip(keys, position, strict=True):
        after, same = _after_column(key, value, _nullable(queryset, key))
        if after is not None:
            condition |= level & after
        level &= same
    return queryset.filter(condition)


def position_of(row, keys: Sequence[Key]) -> list:
    """The row's values of the keys: a model object or a ``values()`` dict."""
    if isinstance(row, dict):
        return [row[key.name] for key in keys]
    return [getattr(row, key.name) for key in keys]


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    return value


def _no_constant(name: str):
    """JSON's NaN and Infinity are no position."""
    raise ValueError(name)


def encode_position(position: Sequence, *, backwards: bool = False) -> str:
    """The position as URL-safe text; ``backwards`` marks a cursor to the page
    before it."""
    payload = {"p": [_plain(value) for value in position]}
    if backwards:
        payload["b"] = True
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(
    queryset: QuerySet, keys: Sequence[Key], cursor: str
) -> tuple[list, bool] | None:
    """(position, backwards) of a cursor made by ``encode_position`` for this
    order, or None for anything else (empty, damaged, another order's,
    values the columns cannot hold)."""
    payload = _payload(cursor, len(keys))
    if payload is None:
        return None
    values, backwards = payload
    try:
        position = []
        for key, value in zip(keys, values, strict=True):
            if value is None:
                if not _nullable(queryset, key):
                    return None  # no row sits at NULL in a column that cannot hold it
                position.append(None)
                continue
            field = _field(queryset, key.name)
            if isinstance(value, list | dict):
                return None
            if isinstance(value, float) and not isinstance(field, FloatField):
                return None  # 1e999 would overflow an integer column
            typed = field.to_python(value)
            if isinstance(typed, datetime) and typed.tzinfo is None:
                return None
            position.append(typed)
        return position, backwards
    except (ValueError, OverflowError, TypeError, AttributeError, ValidationError):
        return None


def _payload(cursor: str, size: int) -> tuple[list, bool] | None:
    """(values, backwards) of a cursor made by ``encode_position`` with
    ``size`` values, or None for anything else."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw, parse_constant=_no_constant)
        values = payload["p"]
        backwards = payload.get("b", False)
    except (
        binascii.Error,
        UnicodeDecodeError,
        ValueError,
        RecursionError,
        TypeError,
        KeyError,
        AttributeError,
    ):
        return None
    if not isinstance(values, list) or len(values) != size or backwards not in (True, False):
        return None
    return values, backwards


@dataclass
class Window:
    """One page read from a position: its rows in the order asked for, and
    the cursors to the pages on either side (None at either end)."""

    rows: list
    next_cursor: str | None
    previous_cursor: str | None


def read_page(
    queryset: QuerySet,
    ordering: Iterable["str | Key"],
    cursor: str,
    size: int,
    parts: Sequence[QuerySet] = (),
) -> Window:
    """``size`` rows of ``queryset`` in ``ordering`` from ``cursor`` (the
    first page for an empty or unreadable one). One query of ``size + 1``
    rows: the extra one says whether there is more. ``parts``: see
    ``first_rows``."""
    keys = keys_of(ordering)
    decoded = decode_position(queryset, keys, cursor)
    if decoded is None:
        rows = list(first_rows(queryset, keys, size + 1, parts))
        more = len(rows) > size
        rows = rows[:size]
        return Window(rows, _cursor(rows[-1], keys) if more else None, None)
    position, backwards = decoded
    if backwards:
        back = tuple(key.reversed() for key in keys)
        parts = [after_position(part, back, position) for part in parts]
        rows = list(first_rows(after_position(queryset, back, position), back, size + 1, parts))
        more = len(rows) > size
        rows = rows[:size][::-1]
        return Window(
            rows,
            _cursor(rows[-1], keys) if rows else None,
            _cursor(rows[0], keys, backwards=True) if more else None,
        )
    parts = [after_position(part, keys, position) for part in parts]
    rows = list(first_rows(after_position(queryset, keys, position), keys, size + 1, parts))
    more = len(rows) > size
    rows = rows[:size]
    return Window(
        rows,
        _cursor(rows[-1], keys) if more else None,
        _cursor(rows[0], keys, backwards=True) if rows else None,
    )


def _cursor(row, keys: Sequence[Key], *, backwards: bool = False) -> str:
    return encode_position(position_of(row, keys), backwards=backwards)


# --- Rows made in Python ------------------------------------------------------------


def decode_sequence_position(types: Sequence[type], cursor: str) -> tuple[tuple, bool] | None:
    """(position, backwards) of a cursor made by ``read_sequence_page`` for
    positions of these ``types`` (``int`` or ``str`` each), or None."""
    payload = _payload(cursor, len(types))
    if payload is None:
        return None
    values, backwards = payload
    for value, kind in zip(values, types, strict=True):
        # bool is an int to Python, not to a position.
        if type(value) is not kind:
            return None
    return tuple(values), backwards


def read_sequence_page(
    rows: Iterable,
    position: Callable[[object], tuple],
    types: Sequence[type],
    cursor: str,
    size: int,
    *,
    descending: bool = False,
) -> Window:
    """``size`` of ``rows`` from ``cursor`` in the order of ``position(row)``
    (a tuple of ``types``, unique to the row; largest first if
    ``descending``): the same pages and cursors as ``read_page`` gives for a
    query, for rows made in Python."""
    in_order = sorted(rows, key=position, reverse=descending)
    decoded = decode_sequence_position(types, cursor)

    def link(row, *, backwards: bool = False) -> str:
        return encode_position(position(row), backwards=backwards)

    if decoded is None:
        page = in_order[:size]
        return Window(page, link(page[-1]) if len(in_order) > size else None, None)
    at, backwards = decoded

    def beyond(row) -> bool:
        here = position(row)
        return here < at if descending else here > at

    if backwards:
        before = [row for row in in_order if not beyond(row) and position(row) != at]
        page = before[-size:]
        return Window(
            page,
            link(page[-1]) if page else None,
            link(page[0], backwards=True) if len(before) > size else None,
        )
    after = [row for row in in_order if beyond(row)]
    page = after[:size]
    return Window(
        page,
        link(page[-1]) if len(after) > size else None,
        link(page[0], backwards=True) if page else None,
    )
