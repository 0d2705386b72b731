"""Log records without personal data: the filter on every handler of LOGGING.

Sanad's own code logs ids only. What Django and the libraries log can carry
what someone typed or sent: the path of a 404 or a 500 (``Not Found:
/clients/Maryam``), the Host, Origin or Referer header a request was refused
for, an exception's message (a database error quotes the row it refused), the
development server's request line with its query string, SQL with its values
(with DEBUG). This filter rewrites such records before any handler writes them:

- a request's path becomes its route, ids kept and other arguments left as the
  route's placeholders (``/clients/<uuid:client_id>/`` with the id); a path
  that matches no route becomes ``(unmatched path)``;
- an exception keeps its type and its traceback (files, lines, code) but never
  its message, neither in the record's text nor in the traceback (causes too);
- a CSRF refusal keeps its reason, without the header value it quotes;
- the development server's request line keeps the method, the route and the
  protocol; any other value it logs (a client's address, a raw line) is withheld;
- a logged SQL query keeps its duration and database alias, not its text.

tests/test_logging_privacy.py sends a canary through every path it knows and
reads what the handlers write.
"""

import datetime
import logging
import re
import traceback
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit
from uuid import UUID

from django.http import HttpRequest
from django.urls import Resolver404, resolve
from pythonjsonlogger.json import JsonFormatter

WITHHELD = "(withheld)"
UNMATCHED = "(unmatched path)"
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
REQUEST_LINE = re.compile(r"(?P<method>\S+) (?P<target>\S+) (?P<protocol>HTTP/[0-9.]+)")
ROUTE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
# Shorter exception texts are left in the message: they cannot hold much, and
# replacing one or two characters everywhere would garble the line.
SHORTEST_REPLACED = 3


def route_of_path(path: str) -> str:
    """The route ``path`` matches, its UUID arguments filled in, the others
    left as the route's placeholders; ``(unmatched path)`` when none does."""
    try:
        match = resolve(path)
    except Resolver404:
        return UNMATCHED
    return route_of_match(match)


def route_of_match(match) -> str:
    def fill(argument: re.Match) -> str:
        value = match.kwargs.get(argument["name"])
        return str(value) if isinstance(value, UUID) else argument[0]

    return "/" + ROUTE_ARGUMENT.sub(fill, match.route)


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return route_of_match(match)
    return route_of_path(request.path_info)


def _request_argument(value, request: HttpRequest):
    if not isinstance(value, str):
        return value
    if value in {request.path, request.path_info, request.get_full_path()}:
        return route_of(request)
    if value == request.method and value not in METHODS:
        return WITHHELD
    return value


def _server_argument(value):
    """One argument of a development server's line (django.core.servers.basehttp)."""
    if isinstance(value, int) or (isinstance(value, str) and (value.isdigit() or value == "-")):
        return value
    if isinstance(value, str):
        line = REQUEST_LINE.fullmatch(value)
        if line:
            method = line["method"] if line["method"] in METHODS else WITHHELD
            route = route_of_path(unquote(urlsplit(line["target"]).path))
            return f"{method} {route} {line['protocol']}"
    return WITHHELD


def _chain(exception: BaseException) -> Iterator[BaseException]:
    """The exception and its causes, the last raised first."""
    seen: set[int] = set()
    while exception is not None and id(exception) not in seen:
        seen.add(id(exception))
        yield exception
        exception = exception.__cause__ or (
            None if exception.__suppress_context__ else exception.__context__
        )


def _type_name(exception: BaseException) -> str:
    kind = type(exception)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def traceback_without_messages(exception: BaseException) -> str:
    """Python's traceback of ``exception`` and its causes, each exception
    named by its type alone."""
    parts = []
    for each in reversed(list(_chain(exception))):
        if parts:
            parts.append(
                "\n\nThe above exception was the cause of, or occurred while handling, "
                "the following exception:\n\n"
            )
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(each.__traceback__))
        parts.append(f"{_type_name(each)}: (message withheld)")
    return "".join(parts)


def scrub(record: logging.LogRecord) -> None:
    """Rewrite ``record`` in place, as the module's docstring says."""
    request = getattr(record, "request", None)
    if isinstance(request, HttpRequest) and isinstance(record.args, tuple):
        record.args = tuple(_request_argument(value, request) for value in record.args)
    if record.name == "django.security.csrf" and isinstance(record.args, tuple) and record.args:
        # "Origin checking failed - https://… does not match any trusted origins."
        reason = str(record.args[0]).split(" - ", 1)[0]
        record.args = (reason, *record.args[1:])
    if record.name == "django.server" and isinstance(record.args, tuple):
        record.args = tuple(_server_argument(value) for value in record.args)
    if record.name.startswith("django.db.backends"):
        record.msg = "(%.3f) a query on %s (SQL withheld)"
        record.args = (getattr(record, "duration", 0) or 0, getattr(record, "alias", "?"))
        record.sql = record.params = None
    exception = record.exc_info[1] if record.exc_info else None
    if exception is not None:
        message = record.getMessage()
        for each in _chain(exception):
            for text in sorted({str(each), repr(each)}, key=len, reverse=True):
                if len(text) >= SHORTEST_REPLACED:
                    message = message.replace(text, f"<{_type_name(each)}>")
        record.msg, record.args = message, None
        record.exc_text = traceback_without_messages(exception)
        record.exc_info = None


class WithoutPersonalData(logging.Filter):
    """settings.LOGGING's ``personal_data`` filter, on every handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            scrub(record)
        except Exception:
            # A record that could not be checked is not written as it stands.
            record.msg = f"(a record of {record.name} withheld: it could not be checked)"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


class JsonLines(JsonFormatter):
    """``LOG_FORMAT=json``: one JSON object a line, for a log collector —
    ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message`` and, when
    there is one, ``exc_info`` (the traceback the filter left, without
    messages) and ``status_code``. Nothing else a record carries is written:
    Django attaches the request itself to some records (its path may name a
    person), and a library may attach anything."""

    FIELDS = ("time", "level", "logger", "message", "exc_info", "stack_info", "status_code")

    def __init__(self, *args, **kwargs):
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def formatTime(self, record, datefmt=None):
        return datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
            timespec="milliseconds"
        )

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        for key in list(log_data):
            if key not in self.FIELDS:
                del log_data[key]
        status = log_data.get("status_code")
        if status is not None and not isinstance(status, int):
            del log_data["status_code"]
