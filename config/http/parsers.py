"""Request bodies: the JSON parser of the API.

DRF's parser turns ``1e999999`` into ``inf`` (which a text field then stored as
``"inf"``) and lets a deeply nested body raise ``RecursionError``, a 500. Here
every body that is not plain, finite, reasonably shallow JSON is a
``400 parse_error`` naming the problem.
"""

import codecs
import json
import math

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Deeper than any body the API takes (an HSDS service is about six levels); far
# below the depth at which Python's JSON encoder and decoder run out of stack.
MAX_DEPTH = 64


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(_("Number out of range: %(number)s") % {"number": text[:40]})
    return number


def _refuse_constant(name: str):
    raise ValueError(_("%(name)s is not a JSON number") % {"name": name})


def _deeper_than(data, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels (walked
    without recursion, so the check cannot run out of stack itself)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """JSON with finite numbers only (no ``NaN``, ``Infinity`` or ``1e999999``)
    and at most ``MAX_DEPTH`` levels of arrays and objects."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        too_deep = _("JSON parse error: the body nests more than %(depth)d levels.") % {
            "depth": MAX_DEPTH
        }
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_float=_finite_float, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError(too_deep) from None
        except ValueError as error:
            raise ParseError(_("JSON parse error: %(error)s") % {"error": error}) from None
        if _deeper_than(data, MAX_DEPTH):
            raise ParseError(too_deep)
        return data
