"""Helpers every app's HTML pages share: service errors on forms, safe redirects,
keyset pages, the edit page of a versioned record."""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from config.errors import DomainError, Forbidden, NotFound, PreconditionFailed
from config.http.keyset import Key, first_rows, keys_of, read_page

PAGE_SIZE = 50

STALE_MESSAGE = gettext_lazy(
    "This record was changed by someone else while you were editing. "
    "Here is the current version; re-apply your changes."
)


# --- Helpers -----------------------------------------------------------------------


def show_error(form, error: Exception) -> None:
    """Put a service's error on ``form``: next to the field it names when the
    form has that field, otherwise at the top of the form."""
    form.error_status = getattr(error, "status", 400)
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error(None, error.messages)
        return
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error.message))


def attempt(form, service, **kwargs):
    """Run one service. On a domain or validation error, show it on ``form``
    and return None; NotFound and Forbidden go on to the 404 and 403 pages."""
    try:
        return service(**kwargs)
    except (NotFound, Forbidden):
        raise
    except (DomainError, ValidationError) as error:
        show_error(form, error)
        return None


def error_status(*forms) -> int:
    statuses = [getattr(form, "error_status", 400) for form in forms if form.errors]
    return max(statuses, default=200)


def post_data(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def language_name(code: str) -> str:
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code


# --- Keyset pagination -----------------------------------------------------------------
# No COUNT over the whole scope: fetch one row more than a page to know whether
# there is a next one, and continue after the last row seen.


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    is_first: bool


def _encode_cursor(value: datetime, pk: UUID) -> str:
    raw = f"{value.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, UUID] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value, pk = raw.split("|", 1)
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            return None
        return moment, UUID(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def keyset_page(
    queryset: QuerySet,
    cursor: str,
    field: str,
    size: int | None = None,
    parts: Sequence[QuerySet] = (),
) -> Page:
    """One page of ``queryset`` ordered by ``-field, -id``, after ``cursor``
    (``parts``: see ``config.http.keyset.first_rows``)."""
    size = size or PAGE_SIZE
    position = _decode_cursor(cursor)
    if position is not None:
        value, pk = position
        after = Q(**{f"{field}__lt": value}) | Q(**{field: value, "pk__lt": pk})
        queryset = queryset.filter(after)
        parts = [part.filter(after) for part in parts]
    rows = list(first_rows(queryset, keys_of((f"-{field}", "-id")), size + 1, parts))
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode_cursor(getattr(last, field), last.pk)
    return Page(rows, next_cursor, position is None)


def ordered_keyset_page(
    queryset: QuerySet, cursor: str, ordering: Sequence[str | Key], size: int | None = None
) -> Page:
    """One page of ``queryset`` in ``ordering`` (several columns, field or
    annotation names or ``Key``s, a unique one last; ``config.http.keyset``),
    after ``cursor``. An unreadable cursor gives the first page."""
    window = read_page(queryset, ordering, cursor, size or PAGE_SIZE)
    return Page(window.rows, window.next_cursor, not cursor or window.previous_cursor is None)


def differences(form, record, names) -> list[tuple[str, str]]:
    """The values the user typed that differ from ``record``'s current ones."""
    result = []
    for name in names:
        typed = form.cleaned_data.get(name)
        if typed != getattr(record, name):
            field = form[name]
            if isinstance(typed, list):
                shown = ", ".join(str(value) for value in typed)
            elif isinstance(typed, bool):
                shown = _("yes") if typed else _("no")
            else:
                shown = "" if typed is None else str(typed)
            result.append((field.label, shown))
    return result


def today():
    """The date in the active time zone: a page's "today" is the user's
    (``accounts.middleware.TimeZoneMiddleware``), the API's UTC's."""
    return timezone.localdate()


def versioned_edit(
    request: HttpRequest,
    *,
    record,
    reload,
    form_class,
    initial,
    save,
    template: str,
    context,
    success_message: str,
    success_url: str,
) -> HttpResponse:
    """The edit page of a record with a version. ``save(form)`` calls the
    service; when someone else saved first (PreconditionFailed) nothing is
    written and the page shows the current record and what the user had
    typed, with status 412."""
    form = form_class(post_data(request), initial=initial(record))
    stale_changes = None
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except PreconditionFailed:
            record = reload()
            stale_changes = differences(form, record, form_class.EDIT_FIELDS)
            form = form_class(initial=initial(record))
        except (NotFound, Forbidden):
            raise
        except (DomainError, ValidationError) as error:
            show_error(form, error)
        else:
            messages.success(request, success_message)
            return redirect(success_url)
    return render(
        request,
        template,
        {
            **context(record),
            "form": form,
            "stale_message": STALE_MESSAGE if stale_changes is not None else "",
            "stale_changes": stale_changes or [],
        },
        status=412 if stale_changes is not None else error_status(form),
    )
