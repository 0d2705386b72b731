"""Versions as entity-tags: ``ETag`` out, ``If-Match`` in (RFC 9110 §8.8.3, §13.1.1).

A record's version ``3`` is the entity-tag ``"3"``. ``If-Match`` names the
versions an update was made against:

- ``"3"`` (also ``W/"3"`` and a bare ``3``, which Sanad has always accepted),
  or a list ``"3", "4"``: the update goes ahead if the record is at one of them;
- ``*``: whatever version the record is at;
- any other well-formed entity-tag (``"stale-version"``) matches no version:
  the answer is ``412 stale_version``, as for an old version;
- a header that is not ``*`` or a list of entity-tags is ``400 invalid_if_match``;
- no header, or an empty one: no precondition (the operations whose schema
  requires ``If-Match`` answer ``428``).

Whether the record is at a matching version is checked by the service, under
the record's lock, after the 404/403 checks.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.response import Response

from config.errors import InvalidHeader, PreconditionRequired

# One element of the list and the comma after it (or the end): an entity-tag
# [W/]"etagc*" with etagc = %x21 / %x23-7E / obs-text, or a bare version
# number; empty elements are allowed (RFC 9110 §5.6.1).
_ELEMENT = re.compile(r'[ \t]*(?:(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"|(\d+))?[ \t]*(?:,|\Z)')


@dataclass(frozen=True)
class IfMatch:
    """The versions an ``If-Match`` header accepts."""

    tags: frozenset[str] = frozenset()
    any_version: bool = False

    def matches(self, version: int) -> bool:
        return self.any_version or str(version) in self.tags


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str) -> IfMatch | None:
    """The ``If-Match`` header's versions; None when it is absent or empty.
    Raises InvalidHeader (400) when the header is not well-formed."""
    value = value.strip(" \t")
    if value == "*":
        return IfMatch(any_version=True)
    tags, position = set(), 0
    while position < len(value):
        element = _ELEMENT.match(value, position)
        if element is None:
            raise InvalidHeader(
                _('If-Match must be * or ETags of the record, such as "3".'),
                code="invalid_if_match",
                field="If-Match",
            )
        quoted, bare = element.groups()
        if quoted is not None or bare is not None:
            tags.add(quoted if quoted is not None else bare)
        position = element.end()
    return IfMatch(tags=frozenset(tags)) if tags else None


def if_match_version(request, *, required: bool) -> IfMatch | None:
    """The versions the request's ``If-Match`` accepts, for a service's
    ``expected_version``. Missing or empty: None, or 428 when ``required``."""
    condition = parse_if_match(request.headers.get("If-Match", ""))
    if condition is None and required:
        raise PreconditionRequired()
    return condition


def with_version_headers(response: Response, instance: Any, location: str = "") -> Response:
    """``response`` with the ETag of ``instance``'s version (a record with a
    ``version`` field) and, for a 201, the Location of the new record."""
    response["ETag"] = etag(instance.version)
    if location:
        response["Location"] = location
    return response
