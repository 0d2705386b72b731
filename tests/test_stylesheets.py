"""Right to left everywhere (issue 15): Sanad's style sheets name sides by
the writing direction (``margin-inline-start``, ``inset-inline-end``,
``text-align: start``, ``float: inline-start``…), never left or right, so
one rule serves English and Arabic alike and no ``[dir="rtl"]`` twin is
needed to flip it.

Scanned: every .css file of static/ (Sanad's own; not .venv, not the
collected files) and the CSS that templates carry for WeasyPrint — the
``<style>`` of templates/reports/print_base.html and the ``{% block style %}``
each PDF template fills it with. WeasyPrint 70 lays out logical properties,
``float: inline-start`` and ``clear: inline-start`` included (its layout/float.py
resolves them by the box's direction), so no template is exempt. A failure
names file:line and the declaration.

Comments and quoted strings are left out, and so are selectors and at-rule
names (``a:hover``, ``@bottom-left``, ``@media (max-width: …)``): only
declarations count. A four-value ``margin``/``padding``/``inset``/``border-*``
shorthand whose right and left differ, and a ``border-radius`` that is not
the same on both sides, are physical too.
"""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
STATIC = ROOT / "static"
TEMPLATES = ROOT / "templates"

# Properties that name a physical side: each has a logical twin.
PHYSICAL_PROPERTIES = re.compile(
    r"""^(
        (margin|padding|scroll-margin|scroll-padding)-(left|right)
        | border-(left|right)(-(width|color|style))?
        | border-(top|bottom)-(left|right)-radius
        | left | right
    )$""",
    re.X,
)
# Properties whose left/right values have logical twins (start/end, inline-start/end).
PHYSICAL_VALUES = {
    "text-align": {"left", "right"},
    "text-align-last": {"left", "right"},
    "float": {"left", "right"},
    "clear": {"left", "right"},
}
# Shorthands of four sides (top right bottom left): physical when right != left.
FOUR_SIDES = {
    "margin",
    "padding",
    "inset",
    "border-width",
    "border-style",
    "border-color",
    "scroll-margin",
    "scroll-padding",
}


def _blank(match: re.Match) -> str:
    """The match as spaces, its line breaks kept: line numbers stay true."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _without_comments_and_strings(css: str) -> str:
    css = re.sub(r"/\*.*?\*/", _blank, css, flags=re.S)
    return re.sub(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', _blank, css)


def _split_values(value: str) -> list[str]:
    """Top-level words of a value (a calc() or var() counts as one word)."""
    words, depth, current = [], 0, ""
    for character in value:
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        if character.isspace() and depth == 0:
            if current:
                words.append(current)
            current = ""
        else:
            current += character
    if current:
        words.append(current)
    return words


def _radius_symmetric(value: str) -> bool:
    """Is ``border-radius: value`` the same mirrored left to right?"""
    for part in value.split("/"):
        words = _split_values(part)
        if not words:
            continue
        # top-left, top-right, bottom-right, bottom-left, as CSS expands 1 to 4 values.
        a = words[0]
        b = words[1] if len(words) > 1 else a
        c = words[2] if len(words) > 2 else a
        d = words[3] if len(words) > 3 else b
        if a != b or c != d:
            return False
    return True


def _problem(name: str, value: str) -> str | None:
    """Why ``name: value`` names a physical side (None when it does not)."""
    value = re.sub(r"\s*!important\s*$", "", value.strip(), flags=re.I)
    words = [word.lower() for word in _split_values(value)]
    if PHYSICAL_PROPERTIES.match(name):
        return "a physical side: use the inline-start/end property"
    if name in PHYSICAL_VALUES and set(words) & PHYSICAL_VALUES[name]:
        return "left/right value: use start/end (inline-start/inline-end)"
    if name in FOUR_SIDES and len(words) == 4 and words[1] != words[3]:
        return "right and left differ: set the -block and -inline properties"
    if name == "border-radius" and not _radius_symmetric(value):
        return "corners differ left to right: use border-start-start-radius and the like"
    return None


def physical_declarations(css: str, first_line: int = 1) -> list[tuple[int, str, str]]:
    """(line, declaration, reason) for each declaration of ``css`` that names
    a physical side. ``first_line`` is the line of the file ``css`` starts on."""
    text = _without_comments_and_strings(css)
    found = []
    depth = 0
    start = 0
    for match in re.finditer(r"[{};]", text):
        segment = text[start : match.start()]
        offset = start
        start = match.end()
        if match.group(0) == "{":
            depth += 1
            continue  # a selector or an at-rule's prelude
        if match.group(0) == "}":
            depth -= 1
        if depth < 0 or ":" not in segment:
            continue
        name, _colon, value = segment.partition(":")
        name = name.strip().lower()
        if not re.fullmatch(r"-?[a-z][a-z-]*", name):
            continue
        reason = _problem(name, value)
        if reason:
            leading = len(segment) - len(segment.lstrip())
            line = first_line + text.count("\n", 0, offset + leading)
            found.append((line, f"{name}: {value.strip()}", reason))
    return found


def _template_styles(path: Path) -> list[tuple[int, str]]:
    """(first line, CSS) of each ``<style>`` and ``{% block style %}`` of a
    template, template tags blanked out (their lines kept)."""
    text = path.read_text(encoding="utf-8")
    pieces = []
    for pattern in (r"<style[^>]*>(.*?)</style>", r"\{%\s*block style\s*%\}(.*?)\{%\s*endblock"):
        for match in re.finditer(pattern, text, flags=re.S):
            css = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", _blank, match.group(1), flags=re.S)
            pieces.append((text.count("\n", 0, match.start(1)) + 1, css))
    return pieces


def sources() -> list[tuple[Path, int, str]]:
    """(file, first line, CSS) of everything scanned."""
    found = [(path, 1, path.read_text(encoding="utf-8")) for path in sorted(STATIC.rglob("*.css"))]
    for path in sorted(TEMPLATES.rglob("*.html")):
        found += [(path, line, css) for line, css in _template_styles(path)]
    return found


def test_the_scan_covers_the_style_sheets_and_the_pdf_styles():
    scanned = {path.relative_to(ROOT).as_posix() for path, _line, _css in sources()}
    assert {
        "static/css/sanad.css",
        "static/css/api-docs.css",
        "templates/reports/print_base.html",
        "templates/reports/consent_form.html",
        "templates/reports/referral_letter.html",
    } <= scanned, scanned
    assert not any(".venv" in name or name.startswith("var/") for name in scanned)


def test_no_style_names_a_physical_side():
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {declaration} — {reason}"
        for path, first_line, css in sources()
        for line, declaration, reason in physical_declarations(css, first_line)
    ]
    assert not problems, "\n".join(problems)


SIDES = re.compile(r"(margin|padding|border|inset|float|clear|text-align|left|right)")


def direction_twins(css: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, declaration) for each side a ``[dir=rtl]`` rule of ``css`` sets."""
    # Comments out, strings kept: the selector's "rtl" is one.
    text = re.sub(r"/\*.*?\*/", _blank, css, flags=re.S)
    found = []
    for match in re.finditer(r"[^{}]*\[dir=\s*[\"']?rtl[^{}]*\{([^{}]*)\}", text):
        for declaration in match.group(1).split(";"):
            if SIDES.match(declaration.partition(":")[0].strip()):
                line = first_line + text.count("\n", 0, match.start(1))
                found.append((line, declaration.strip()))
    return found


def test_no_rule_flips_a_side_by_direction():
    """With logical properties nothing is flipped for right to left: a
    ``[dir=rtl]`` rule may change a font or a glyph, not a side."""
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {declaration}"
        for path, first_line, css in sources()
        for line, declaration in direction_twins(css, first_line)
    ]
    assert not problems, "\n".join(problems)


# --- The checker itself --------------------------------------------------------------------


CHECKER_SAMPLE = """\
/* margin-left: 1rem in a comment */
a:hover { color: red; }
.a { margin-left: 1rem; }
.b { padding-right: 2px; border-left: 1px solid; border-right-color: red; }
.c { left: 0; right: 1rem; inset-inline-start: 0; }
.d { text-align: right; float: left; clear: right; }
.e { text-align: start; float: inline-start; clear: inline-end; content: "left: 0"; }
.f { margin: 0 1rem 0 2rem; padding: 1px 2px 3px 2px; margin: 0 auto; }
.g { border-top-left-radius: 3px; border-radius: 4px 4px 0 0; border-radius: 4px 0 0 4px; }
@page { @bottom-left { content: "x"; } }
@media (max-width: 40rem) { .h { margin-inline-start: 0; margin-right: 0 !important; } }
.i { border-start-start-radius: 2px; inset-inline-end: 0; }
"""


def test_the_checker_finds_each_physical_side_and_nothing_else():
    found = [
        (line, declaration) for line, declaration, _reason in physical_declarations(CHECKER_SAMPLE)
    ]
    assert found == [
        (3, "margin-left: 1rem"),
        (4, "padding-right: 2px"),
        (4, "border-left: 1px solid"),
        (4, "border-right-color: red"),
        (5, "left: 0"),
        (5, "right: 1rem"),
        (6, "text-align: right"),
        (6, "float: left"),
        (6, "clear: right"),
        (8, "margin: 0 1rem 0 2rem"),
        (9, "border-top-left-radius: 3px"),
        (9, "border-radius: 4px 0 0 4px"),
        (11, "margin-right: 0 !important"),
    ]


def test_the_checker_counts_lines_from_where_a_template_style_starts(tmp_path):
    template = tmp_path / "page.html"
    template.write_text(
        '{% extends "x.html" %}\n{% block style %}\n  .a { color: red; }\n'
        "  .b { float: right; }\n{% endblock %}\n<style>\n.c { margin-right: 0; }\n</style>\n",
        encoding="utf-8",
    )
    found = [
        (line, declaration)
        for first_line, css in _template_styles(template)
        for line, declaration, _reason in physical_declarations(css, first_line)
    ]
    assert sorted(found) == [(4, "float: right"), (7, "margin-right: 0")]


def test_the_checker_finds_a_direction_twin():
    assert direction_twins("p {}\n[dir=rtl] .x { margin-left: 0; color: red; }") == [
        (2, "margin-left: 0")
    ]
    assert direction_twins('html[dir="rtl"] dl dd { margin: 0 43mm 0 0; }') == [
        (1, "margin: 0 43mm 0 0")
    ]
    assert direction_twins('[dir="rtl"] body { font-family: serif; }') == []
    assert direction_twins('[dir="rtl"] .arrow::before { content: "←"; }') == []
