"""The ``isolate`` filter escapes what it is given, whichever way the text runs,
without a ``mark_safe`` of its own (bandit, .ci/static)."""

from django.template import engines
from django.utils import translation
from django.utils.html import format_html

TEMPLATE = "{% load reports %}{{ value|isolate }}"


def render(source: str, value) -> str:
    return engines["django"].from_string(source).render({"value": value})


def test_text_running_the_page_way_is_escaped_and_not_wrapped():
    with translation.override("en"):
        shown = render(TEMPLATE, "<script>alert(1)</script> & co")
    assert shown == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"


def test_text_running_against_the_page_is_escaped_inside_its_bdi():
    with translation.override("ar"):
        shown = render(TEMPLATE, "<b>Mohammed</b>")
    assert shown == '<bdi dir="ltr">&lt;b&gt;Mohammed&lt;/b&gt;</bdi>'


def test_safe_markup_is_not_escaped_twice():
    with translation.override("en"):
        shown = render(TEMPLATE, format_html("<em>{}</em>", "A & B"))
    assert shown == "<em>A &amp; B</em>"


def test_with_autoescape_off_the_text_is_left_as_it_is():
    source = "{% load reports %}{% autoescape off %}{{ value|isolate }}{% endautoescape %}"
    with translation.override("en"):
        shown = render(source, "a < b")
    assert shown == "a < b"
