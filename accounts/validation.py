"""Input checks every app's services share (casework imports them from here:
accounts is the lowest app)."""

import functools
import zoneinfo
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from config.errors import InvalidInput


def is_uuid(value) -> bool:
    """True for a UUID or a string that parses as one (anything else is not found)."""
    if isinstance(value, UUID):
        return True
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def require_text(value, field: str, *, required: bool = True, message: str = "") -> str:
    """``value`` stripped; 400 naming ``field`` when it is not text (``invalid``)
    or, if ``required``, blank (``required``, with ``message`` if given)."""
    if not isinstance(value, str):
        raise InvalidInput(_("Must be text."), code="invalid", field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput(message or _("This field is required."), code="required", field=field)
    return value


# --- Time zones -------------------------------------------------------------------


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names this server knows (``zoneinfo``), e.g. "Europe/Rome"."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """A model field validator: ``value`` must be an IANA time zone name."""
    if value not in time_zone_names():
        raise ValidationError(
            _("Choose a time zone such as Europe/Rome or Africa/Cairo."),
            code="invalid_time_zone",
        )


def require_time_zone(value, field: str = "time_zone", *, blank: bool = False) -> str:
    """``value`` stripped if it is an IANA time zone name (or "" when ``blank``
    is allowed); otherwise 400 naming ``field`` (``invalid_time_zone``)."""
    value = require_text(value, field, required=not blank)
    if value == "" and blank:
        return value
    if value not in time_zone_names():
        raise InvalidInput(
            _("Choose a time zone such as Europe/Rome or Africa/Cairo."),
            code="invalid_time_zone",
            field=field,
        )
    return value


def default_time_zone() -> str:
    """The time zone of a new agency: the DEFAULT_AGENCY_TIME_ZONE setting."""
    return settings.DEFAULT_AGENCY_TIME_ZONE
