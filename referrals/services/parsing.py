"""Input checks shared by the referral services (each error names its field)."""

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework.models import DataCategory
from casework.services.common import require_text
from config.errors import InvalidInput

MESSAGE_MAX_LENGTH = 5000


def parse_categories(value: object, field: str = "data_categories") -> list[str]:
    """The data categories ``value`` names, known ones only, in the vocabulary's order."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(_("Give a list of data categories."), code="invalid", field=field)
    unknown = sorted(set(value) - set(DataCategory.values))
    if unknown:
        raise InvalidInput(
            _("Unknown data category: %(category)s.") % {"category": unknown[0]},
            code="invalid_choice",
            field=field,
        )
    return [category for category in DataCategory.values if category in set(value)]


def _date(value, field: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise InvalidInput(_("Give a date as YYYY-MM-DD."), code="invalid", field=field)
    return parsed


def parse_respond_by(value: object) -> datetime.date:
    """A respond-by date: YYYY-MM-DD, from today to a year ahead."""
    respond_by = _date(value, "respond_by")
    today = timezone.now().date()
    if respond_by < today:
        raise InvalidInput(
            _("The respond-by date cannot be in the past."), code="past", field="respond_by"
        )
    if respond_by > today + datetime.timedelta(days=366):
        raise InvalidInput(
            _("The respond-by date must be within a year."), code="too_far", field="respond_by"
        )
    return respond_by


def parse_choice(value: object, choices: list[str], field: str) -> str:
    """``value`` if it is one of ``choices``; else InvalidInput on ``field``."""
    if value not in choices:
        raise InvalidInput(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)},
            code="invalid_choice",
            field=field,
        )
    return value


def parse_text(value: object, field: str, *, required: bool, max_length: int | None = None) -> str:
    """Text (stripped; required or not), at most ``max_length`` characters."""
    text = require_text(value if value is not None else "", field, required=required)
    if max_length is not None and len(text) > max_length:
        raise InvalidInput(
            ngettext("At most %(count)d character.", "At most %(count)d characters.", max_length)
            % {"count": max_length},
            code="max_length",
            field=field,
        )
    return text
