"""The ``isolate`` filter escapes what it is given, whichever way the text runs,
without a ``mark_safe`` of its own (bandit, .ci/static)."""

import re

import pytest
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


# --- css_string: text inside a CSS string (the PDFs' page footers) ---------------------


def test_css_string_escapes_what_could_end_the_string_or_the_style_element():
    shown = render(
        "{% load reports %}{{ value|css_string }}", 'O\'Brien & "Co" </style>\\\n2026-12-04'
    )
    assert shown == "O\\27 Brien \\26  \\22 Co\\22  \\3C /style\\3E \\5C \\A 2026-12-04"


@pytest.mark.django_db
def test_a_footer_with_quotes_and_dashes_reads_as_typed_in_the_pdf(caseworker):
    import io

    from pypdf import PdfReader

    from reports.pdf import html_to_pdf, render_html

    caseworker.display_name = 'Layla O\'Brien "L" <x>'
    html = render_html("reports/print_base.html", {}, user=caseworker, language="en")
    assert "Layla O\\27 Brien \\22 L\\22  \\3C x\\3E " in html
    text = PdfReader(io.BytesIO(html_to_pdf(html))).pages[0].extract_text()
    assert 'Layla O\'Brien "L" <x>' in " ".join(text.split())
    # The date of the footer as it is written, not "2026u002D12u002D04".
    assert "u002D" not in text
    assert re.search(r"Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2}", text), text
