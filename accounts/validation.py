"""Input checks every app's services share (casework imports them from here:
accounts is the lowest app)."""

from uuid import UUID

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
