"""What the journeys and the accessibility checks share: a browser context
that records what must never happen on a page (a Content-Security-Policy
violation, a script error, a server error), logging in and switching language
through the page itself, the check that no English string of the catalogue
is left on a translated page, and screenshots.

Not a test module: ``tests/e2e/test_journeys.py`` and
``tests/e2e/test_accessibility.py`` import it.
"""

import os
from pathlib import Path

import pytest

from tests.phrases import untranslated_in

BASE_URL = os.environ.get("SANAD_BROWSER_URL", "").rstrip("/")
PASSWORD = os.environ.get("SANAD_BROWSER_PASSWORD", "")
SCREENSHOTS = os.environ.get("SANAD_SCREENSHOTS", "")

DESKTOP = {"width": 1280, "height": 800}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
RIGHT_TO_LEFT = {"ar", "fa"}

needs_server = pytest.mark.skipif(
    not BASE_URL, reason="drives a browser against a running demo server: make browser"
)


def email_of(role: str, agency: str) -> str:
    """A demo login: ``<role>@<agency>.example`` (demo/management/commands/seed_demo.py)."""
    return f"{role}@{agency}.example"


class Browsing:
    """Fresh browser contexts for one test, each with one page, and what went
    wrong on any of them: a policy violation Chromium reports, a script error,
    an answer of the server in the 5xx range. ``problems`` is checked when the
    test ends (the ``browsing`` fixtures)."""

    def __init__(self, browser):
        self.browser = browser
        self.problems: list[str] = []
        self.contexts = []

    def new_page(self, viewport=DESKTOP):
        # en-US: the date fields' segments are typed month, day, year.
        context = self.browser.new_context(viewport=viewport, base_url=BASE_URL, locale="en-US")
        context.set_default_timeout(20_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))
        page.on(
            "response",
            lambda response: (
                self.problems.append(f"{page.url}: HTTP {response.status} for {response.url}")
                if response.status >= 500
                else None
            ),
        )
        return page

    def _console(self, page, message) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"{page.url}: {message.text}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


def log_in(page, email: str) -> None:
    """The login form, as a person fills it in."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/login/" not in page.url, f"{email} could not log in"


def switch_language(page, language: str) -> None:
    """The header's language switcher: choose the language, press its button.
    Logged in, the choice is kept on the account."""
    if page.evaluate("document.documentElement.lang") == language:
        return
    page.select_option("#language-select", language)
    with page.expect_navigation():
        page.click("form[action='/language/'] button[type=submit]")
    assert page.evaluate("document.documentElement.lang") == language


def expected_direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def page_direction(page) -> str:
    return page.evaluate("document.documentElement.dir")


# --- Strings left in English ----------------------------------------------------------

# The page's own words: text a person can see (or open: a folded <details>,
# a select's options), the title and the placeholders. Left out: what people
# typed (the templates mark it dir="auto" or <bdi>), text in another language
# on purpose (lang="…", such as the language switcher's own names), scripts.
VISIBLE_TEXT = """
() => {
  const skip = 'script, style, template, noscript, [dir=auto], bdi, textarea, body [lang]';
  const parts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || !node.textContent.trim() || element.closest(skip)) continue;
    const shown = element.closest('select, details:not([open])')
      || element.checkVisibility({visibilityProperty: true, opacityProperty: false});
    if (shown) parts.push(node.textContent);
  }
  for (const input of document.querySelectorAll('input[placeholder]')) {
    parts.push(input.placeholder);
  }
  return parts.map((text) => text.replace(/\\s+/g, ' ').trim()).filter(Boolean).join('\\n');
}
"""


def untranslated_on(page, language: str) -> list[str]:
    """The catalogue's English phrases that ``page`` shows although
    ``language`` translates them."""
    if language == "en":
        return []
    return untranslated_in(page.evaluate(VISIBLE_TEXT), language)


# --- Screenshots ----------------------------------------------------------------------


def screenshot(page, folder: str, name: str) -> Path | None:
    """The whole page as ``<SANAD_SCREENSHOTS>/<folder>/<name>-<width>.png``,
    16 colours (as test_phone_layout's); nothing without SANAD_SCREENSHOTS."""
    if not SCREENSHOTS:
        return None
    target = Path(SCREENSHOTS) / folder
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}-{page.viewport_size['width']}.png"
    # caret="initial": hiding the text caret would add a <style> the policy refuses.
    page.screenshot(path=str(path), full_page=True, caret="initial")
    shrink(path)
    return path


def shrink(path: Path) -> None:
    """A 16-colour palette keeps a page's picture to tens of kilobytes."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with WeasyPrint
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=16, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
