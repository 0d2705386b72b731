"""What the pages of other apps ask of reports: ``{% load reports %}``."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import conditional_escape, format_html

from config.http.bidi import text_dir
from reports.documents.case_file import may_request_case_file

register = template.Library()


@register.simple_tag(takes_context=True)
def case_file_request_url(context, case) -> str:
    """Where the case page posts a request for the full case file, when the
    user may have it made ("" otherwise, or while report jobs are not served)."""
    if not may_request_case_file(context["request"].user, case):
        return ""
    try:
        return reverse("reports:job_request")
    except NoReverseMatch:
        return ""


# ``{{ value|text_dir }}``: "rtl", "ltr" or "auto", from the first letter with a strong direction.
register.filter("text_dir", text_dir)


# --- Report jobs: the nav entry and the case list's export buttons ----------------------

_REPORT_PERMISSIONS = ("VIEW_STATISTICS", "VIEW_DISCLOSURE_REGISTER", "EXPORT_CASES")
# The case list page's filters (``CaseFilterForm.filters()``) under the API's names,
# which the ``case_list`` report takes.
_API_FILTER_NAMES = {"query": "q", "case_type": "type", "risk_level": "risk"}


@register.simple_tag(takes_context=True)
def may_use_reports(context) -> bool:
    """``{% may_use_reports as flag %}``: the user holds a report permission
    (statistics, disclosure register, case export) in some agency. From the
    roles loaded once per request: no query."""
    from accounts.permissions import Perm
    from accounts.selectors import holds_anywhere

    user = context.get("user")
    if user is None or not user.is_authenticated:
        return False
    return any(holds_anywhere(user, Perm[name]) for name in _REPORT_PERMISSIONS)


@register.simple_tag(takes_context=True)
def case_list_export_fields(context, form) -> list[tuple[str, str]] | None:
    """``{% case_list_export_fields form as fields %}``: the case list's current
    filters as (name, value) hidden fields of an export request; None when
    the user may not export cases or the filters are not valid."""
    from accounts.permissions import Perm
    from accounts.selectors import holds_anywhere

    user = context.get("user")
    if user is None or not user.is_authenticated or not holds_anywhere(user, Perm.EXPORT_CASES):
        return None
    if not form.is_valid():
        return None
    fields = []
    for name, value in form.filters().items():
        if value in ("", None, False):
            continue
        fields.append((_API_FILTER_NAMES.get(name, name), "true" if value is True else str(value)))
    return fields


@register.filter
def css_string(value) -> str:
    """``value`` as the inside of a double-quoted CSS string (a page footer's
    ``content: "…"``). The characters HTML escapes (``< > & " '``), a
    backslash and every control character become CSS escapes (``\\3C `` —
    hexadecimal and a space), the rest stays as it is: what is left has
    nothing for the template's autoescape to change, and nothing that could
    end the string or the ``<style>`` element. (``|escapejs`` is no use
    there: CSS does not read ``\\u002D``.)"""
    out = []
    for character in str(value):
        if character in _CSS_ESCAPED or ord(character) < 0x20 or ord(character) == 0x7F:
            out.append(f"\\{ord(character):X} ")
        else:
            out.append(character)
    return "".join(out)


_CSS_ESCAPED = frozenset("\\\"'<>&")


@register.filter(needs_autoescape=True)
def isolate(value, direction=None, autoescape=True):
    """``value`` escaped, wrapped in ``<bdi dir=…>`` only when its direction
    differs from the page's (a Latin name in an Arabic document): in a long
    document every inline element costs WeasyPrint layout time, so text that
    runs the page's way stays plain.

    ``direction`` ("ltr") is for text without a letter to tell, which must
    still read left to right: a date or a phone number in an Arabic page
    (``{{ day|date:"Y-m-d"|isolate:"ltr" }}``); plain, its digits would be
    reordered after an Arabic word."""
    text = "" if value is None else str(value)
    escaped = conditional_escape(text) if autoescape else text
    direction = direction or text_dir(text)
    page = "rtl" if translation.get_language_bidi() else "ltr"
    if direction in ("auto", page):
        # Already safe when autoescaping; with autoescape off nothing is escaped anyway.
        return escaped
    return format_html('<bdi dir="{}">{}</bdi>', direction, escaped)
