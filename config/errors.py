"""Domain errors raised by services and selectors.

Views never build error responses by hand: the API exception handler
(config.http.api) turns these into RFC 9457 problem documents, and HTML views show
their message next to the form. Each carries a machine ``code``.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "invalid"
    default_message = _("The request cannot be carried out.")

    def __init__(self, message=None, *, code: str | None = None, field: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.field = field
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    """400: the input is wrong; ``field`` names the field at fault when there is one."""


class InvalidHeader(InvalidInput):
    """400: a request header is wrong (``field`` names it). Its own ``code`` is
    the problem's code; a wrong body or query field's problem says
    ``validation_error`` and carries its code in ``errors``."""


class NotFound(DomainError, Http404):
    """404: the object does not exist or the actor may not know that it does.

    Also an Http404, so HTML views answer with the normal 404 page."""

    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Forbidden(DomainError, PermissionDenied):
    """403: the actor may see the object but not do this to it (also a PermissionDenied)."""

    status = 403
    code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    """409: the object's current state does not allow this."""

    status = 409
    code = "conflict"
    default_message = _("The object's current state does not allow this.")


class PreconditionFailed(DomainError):
    """412: the caller's version of the object is stale."""

    status = 412
    code = "stale_version"
    default_message = _("The record was changed by someone else. Reload it and try again.")


class PreconditionRequired(DomainError):
    """428: an update must say which version of the record it was made against."""

    status = 428
    code = "precondition_required"
    default_message = _(
        'Send the record\'s ETag in an If-Match header to change it (e.g. If-Match: "3").'
    )
