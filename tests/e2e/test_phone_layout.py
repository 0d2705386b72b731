"""Phones (issue 11): every main page at 390 px, in English and in Arabic,
without sideways scrolling and without anything cut off at either edge; the
header's navigation behind a menu button.

A real browser against a real server: `.ci/browser` serves the demo data on
127.0.0.1 and runs this file with SANAD_BROWSER_URL set (skipped otherwise,
so `make test` does not need a browser). The browser is Debian's Chromium
(`/usr/bin/chromium`, headless), driven by Playwright; Playwright's own
browsers are never downloaded. `make browser` runs it; `make screenshots`
also saves each persona's home page to docs/screenshots/.

A page fails when the document is wider than the screen, when an element
sticks out past either edge (in right-to-left that is cut off without any
scroll bar), or when a box scrolls sideways inside the page (a table that did
not become stacked rows). The message names the page, the language, the
widths and the offending elements by selector.

One report job is asked for from a phone too (the case list's CSV export):
it lands on the job's page, done, with a file that downloads.

Every page opened here runs under the site's Content-Security-Policy (issue
14): a test fails on any violation Chromium reports (an inline script, style
or handler, an image or a connection the policy refuses). An htmx request
(the inbox opening a packet in place) and the API documentation (Swagger UI,
trying an operation) are exercised under it too.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.support import log_in, shrink

BASE_URL = os.environ.get("SANAD_BROWSER_URL", "").rstrip("/")
SCREENSHOTS = os.environ.get("SANAD_SCREENSHOTS", "")

pytestmark = pytest.mark.skipif(
    not BASE_URL, reason="drives a browser against a running demo server: make browser"
)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# The collapsed header may take at most this share of a phone's screen.
HEADER_SHARE = 0.15
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LANGUAGES = ["en", "ar"]


@dataclass(frozen=True)
class Follow:
    """A page reached by the first link on ``start`` whose path matches ``pattern``
    (a record's page: its id is the demo's, not known in advance)."""

    start: "str | Follow"
    pattern: str


@dataclass(frozen=True)
class Persona:
    key: str
    email: str
    pages: tuple[tuple[str, str | Follow], ...]


PERSONAS = [
    Persona(
        "caseworker",
        "caseworker@amal.example",
        (
            ("home", "/"),
            ("client list", "/clients/"),
            ("client detail", Follow("/clients/", rf"^/clients/{UUID}/$")),
            ("case list", "/cases/"),
            ("case detail", Follow("/cases/", rf"^/cases/{UUID}/$")),
            ("referral inbox", "/referrals/"),
            ("referral detail", Follow("/referrals/", rf"^/referrals/{UUID}/$")),
            ("directory", "/directory/"),
            ("notifications", "/notifications/"),
            ("search results", "/search/?q=moh"),
            ("account", "/accounts/me/"),
        ),
    ),
    Persona(
        "supervisor",
        "supervisor@amal.example",
        (
            ("home", "/"),
            ("case list", "/cases/"),
            ("reassign cases", "/cases/assign/"),
            ("reports", "/reports/"),
            ("statistics", "/reports/statistics/"),
        ),
    ),
    Persona(
        "referral_officer",
        "referral_officer@casa.example",
        (
            ("home", "/"),
            ("referral inbox", "/referrals/"),
            ("referral detail", Follow("/referrals/", rf"^/referrals/{UUID}/$")),
            (
                "referral packet",
                Follow(
                    Follow("/referrals/", rf"^/referrals/{UUID}/$"), rf"^/referrals/{UUID}/packet/$"
                ),
            ),
        ),
    ),
    Persona(
        "dpo",
        "dpo@amal.example",
        (
            ("home", "/"),
            ("access log", "/audit/access-log/"),
            ("data protection", "/data-protection/"),
            ("disclosure register", "/reports/disclosure-register/"),
        ),
    ),
    Persona(
        "agency_admin",
        "agency_admin@amal.example",
        (
            ("home", "/"),
            ("team", "/agencies/amal/team/"),
        ),
    ),
]
CASEWORKER = PERSONAS[0]
SUPERVISOR = PERSONAS[1]
ANONYMOUS_PAGES = (("login", "/accounts/login/"),)

# Measured in the page: the document's widths, the outermost elements that
# stick out past an edge of the screen (not inside a box that clips or
# scrolls), and the boxes that scroll sideways. The skip link, off the
# screen until it has the focus, is left out.
MEASURE = """
(tolerance) => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const describe = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) { parts.unshift(part + '#' + e.id); break; }
      const classes = [...e.classList].slice(0, 2);
      if (classes.length) part += '.' + classes.join('.');
      parts.unshift(part);
    }
    const text = (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 40);
    return parts.join(' > ') + (text ? ' "' + text + '"' : '');
  };
  const hiddenOnPurpose = (el) => el.closest('.skip-link, head');
  const outside = (r) => r.width > 0 && r.height > 0
    && (r.left < -tolerance || r.right > width + tolerance);
  // Inside a box that clips or scrolls: that box decides what shows. An
  // absolutely positioned element escapes every box up to its containing block.
  const clipped = (el) => {
    let position = getComputedStyle(el).position;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (position === 'fixed') return false;
      if (position === 'absolute' && style.position === 'static') continue;
      if (style.overflowX !== 'visible') return true;
      position = style.position;
    }
    return false;
  };
  const reported = new Map();
  const sticksOut = (el) => {
    if (!reported.has(el)) {
      reported.set(el, !hiddenOnPurpose(el) && outside(el.getBoundingClientRect()) && !clipped(el));
    }
    return reported.get(el);
  };
  const sticking = [];
  const scrolling = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (hiddenOnPurpose(el)) continue;
    const style = getComputedStyle(el);
    if (['auto', 'scroll'].includes(style.overflowX)
        && !['TEXTAREA', 'SELECT', 'INPUT'].includes(el.tagName)
        && el.scrollWidth > el.clientWidth + tolerance) {
      scrolling.push(describe(el) + ` scrolls ${el.scrollWidth}px in ${el.clientWidth}px`);
    }
    // The outermost element that sticks out: the one its parent does not contain.
    if (!sticksOut(el) || (el.parentElement !== document.body && sticksOut(el.parentElement))) {
      continue;
    }
    const box = el.getBoundingClientRect();
    sticking.push(describe(el) + ` spans ${Math.round(box.left)}..${Math.round(box.right)}px`);
  }
  return {scrollWidth: root.scrollWidth, clientWidth: width, sticking, scrolling};
}
"""


def overflow_of(page) -> list[str]:
    """What makes this page wider than the screen; empty when nothing does."""
    found = page.evaluate(MEASURE, 1)
    problems = []
    if found["scrollWidth"] > found["clientWidth"] + 1:
        problems.append(
            f"page scrolls sideways: scrollWidth {found['scrollWidth']}px"
            f" > {found['clientWidth']}px"
        )
    problems += [f"sticks out: {item}" for item in found["sticking"]]
    problems += [f"scrolls inside: {item}" for item in found["scrolling"]]
    return problems


# What Chromium reported as refused by the Content-Security-Policy, on any
# page the running test opened (no_policy_violation fails the test on any).
POLICY_VIOLATIONS: list[str] = []


def new_page(browser, viewport=PHONE, javascript=True):
    context = browser.new_context(
        viewport=viewport, java_script_enabled=javascript, base_url=BASE_URL
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            POLICY_VIOLATIONS.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


@pytest.fixture(autouse=True)
def no_policy_violation():
    POLICY_VIOLATIONS.clear()
    yield
    assert not POLICY_VIOLATIONS, "Content-Security-Policy violations:\n" + "\n".join(
        POLICY_VIOLATIONS
    )


def switch_language(page, language: str, start: str = "/accounts/me/") -> None:
    """The header's language form, on ``start`` (a page that works whatever
    the others do); hidden behind the menu on a phone, it is submitted as it
    stands, as a click on its button would."""
    page.goto(start)
    with page.expect_navigation():
        page.evaluate(
            """(language) => {
                const select = document.getElementById('language-select');
                select.value = language;
                select.form.requestSubmit();
            }""",
            language,
        )
    assert page.evaluate("document.documentElement.lang") == language


def resolve(page, target: str | Follow) -> str:
    if isinstance(target, str):
        return target
    start = resolve(page, target.start)
    page.goto(start)
    paths = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => new URL(a.href).pathname)"
    )
    for path in paths:
        if re.match(target.pattern, path):
            return path
    raise AssertionError(f"no link matching {target.pattern} on {start}")


def check_pages(page, pages, language: str) -> list[str]:
    failures = []
    for name, path in pages:
        response = page.goto(path)
        if response is None or response.status >= 400:
            failures.append(f"{name} ({path}) [{language}]: HTTP {response and response.status}")
            continue
        expected_dir = "rtl" if language == "ar" else "ltr"
        assert page.evaluate("document.documentElement.dir") == expected_dir
        failures += [f"{name} ({path}) [{language}]: {item}" for item in overflow_of(page)]
        header = page.locator("header.site-header")
        height = header.bounding_box()["height"]
        if header.locator(".menu-button").is_visible() and height > HEADER_SHARE * PHONE["height"]:
            failures.append(f"{name} ({path}) [{language}]: folded header is {height:.0f}px high")
    return failures


def check_in_each_language(page, pages, start: str = "/accounts/me/") -> list[str]:
    failures = []
    for language in LANGUAGES:
        switch_language(page, language, start=start)
        failures += check_pages(page, pages, language)
    return failures


@pytest.mark.parametrize("persona", PERSONAS, ids=[persona.key for persona in PERSONAS])
def test_no_page_scrolls_sideways_on_a_phone(browser, persona):
    page = new_page(browser)
    try:
        log_in(page, persona.email)
        pages = [(name, resolve(page, target)) for name, target in persona.pages]
        failures = check_in_each_language(page, pages)
    finally:
        page.context.close()
    assert not failures, f"{persona.key} at {PHONE['width']} px:\n" + "\n".join(failures)


def test_login_page_fits_a_phone(browser):
    page = new_page(browser)
    try:
        failures = check_in_each_language(page, ANONYMOUS_PAGES, start="/accounts/login/")
    finally:
        page.context.close()
    assert not failures, "\n".join(failures)


def test_report_asked_for_on_a_phone_is_ready_on_its_page(browser):
    """The supervisor exports the case list as CSV (the button on the case
    list page asks for a report job; the statistics and the register pages
    download at once). The job's page says done and offers the file, which
    downloads; the job's page and the list of jobs fit the phone in both
    languages."""
    page = new_page(browser)
    try:
        log_in(page, SUPERVISOR.email)
        switch_language(page, "en")
        page.goto("/cases/")
        with page.expect_navigation():
            page.click("main form.export-cases button[value=csv]")
        job = urlparse(page.url).path
        assert re.match(rf"^/reports/jobs/{UUID}/$", job), f"landed on {page.url}"
        state = page.locator("#job-state")
        assert state.locator(".badge-job-done").is_visible(), state.inner_text()
        link = state.locator(f"a[download][href='{job}download/']")
        assert link.is_visible()
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.endswith(".csv")
        page.goto("/reports/jobs/")
        assert page.locator(f"main a[href='{job}']").count() == 1
        pages = [("report job", job), ("your reports", "/reports/jobs/")]
        failures = check_in_each_language(page, pages)
    finally:
        page.context.close()
    assert not failures, f"report job at {PHONE['width']} px:\n" + "\n".join(failures)


@pytest.mark.parametrize("language", LANGUAGES)
def test_menu_button_folds_the_navigation_on_a_phone(browser, language):
    page = new_page(browser)
    try:
        log_in(page, CASEWORKER.email)
        switch_language(page, language)
        page.goto("/")
        header = page.locator("header.site-header")
        button = page.locator("header .menu-button")
        cases_link = page.locator("header nav a[href='/cases/']")
        search = page.locator("header .header-search input[type=search]")

        height = header.bounding_box()["height"]
        assert height <= HEADER_SHARE * PHONE["height"], f"header is {height}px high"
        assert button.is_visible()
        assert button.get_attribute("aria-expanded") == "false"
        assert not cases_link.is_visible()
        assert search.is_visible(), "the search box stays on the folded header"

        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        assert cases_link.is_visible()
        assert page.locator("#language-select").is_visible()
        assert overflow_of(page) == []

        page.keyboard.press("Escape")
        assert button.get_attribute("aria-expanded") == "false"
        assert not cases_link.is_visible()
        assert page.evaluate("document.activeElement.classList.contains('menu-button')")

        button.click()
        with page.expect_navigation():
            cases_link.click()
        assert page.url.endswith("/cases/")
    finally:
        page.context.close()


def test_wide_screen_shows_the_navigation_without_a_menu_button(browser):
    page = new_page(browser, viewport=DESKTOP)
    try:
        log_in(page, CASEWORKER.email)
        switch_language(page, "en")
        assert page.locator("header nav a[href='/cases/']").is_visible()
        assert not page.locator("header .menu-button").is_visible()
    finally:
        page.context.close()


def test_without_javascript_nothing_is_hidden_and_nothing_overflows(browser):
    """No script, no fold: every link stays in the header, and the tables
    still stack (their labels are the templates' own)."""
    page = new_page(browser, javascript=False)
    try:
        log_in(page, CASEWORKER.email)
        switch_language(page, "en")
        assert not page.locator("header .menu-button").is_visible()
        assert page.locator("header nav a[href='/cases/']").is_visible()
        pages = [(name, resolve(page, target)) for name, target in CASEWORKER.pages]
        failures = check_pages(page, pages, "en")
        page.goto("/cases/")
        label = page.evaluate(
            "getComputedStyle(document.querySelector('main tbody td[data-label]'),"
            " '::before').content"
        )
    finally:
        page.context.close()
    assert not failures, "without JavaScript:\n" + "\n".join(failures)
    assert label == '"Client"'


def test_htmx_opens_a_packet_in_place_under_the_policy(browser):
    """The inbox's "What was shared" fetches the packet's summary with htmx and
    shows it in the row, without leaving the page."""
    page = new_page(browser, viewport=DESKTOP)
    try:
        log_in(page, "referral_officer@casa.example")
        switch_language(page, "en")
        page.goto("/referrals/")
        peek = page.locator("main details.packet-peek").first
        peek.locator("summary").click()
        summary = peek.locator(".packet-peek-body .packet-summary")
        summary.wait_for()
        assert summary.locator("section").count() >= 1
        assert urlparse(page.url).path == "/referrals/"
    finally:
        page.context.close()


def test_api_docs_run_under_the_policy(browser):
    """Swagger UI draws every operation and tries one (GET /api/v1/me/ with
    the session) under the site's policy: scripts from static files only."""
    page = new_page(browser, viewport=DESKTOP)
    try:
        log_in(page, CASEWORKER.email)
        page.goto("/api/docs/")
        operations = page.locator("#swagger-ui .opblock")
        operations.first.wait_for()
        assert operations.count() > 50
        me = page.locator(
            "#swagger-ui .opblock-get", has=page.locator("[data-path='/api/v1/me/']")
        ).first
        me.locator(".opblock-summary").click()
        me.locator(".try-out__btn").click()
        me.locator(".execute").click()
        status = me.locator(".live-responses-table tbody td.response-col_status").first
        status.wait_for()
        assert status.inner_text().strip() == "200"
    finally:
        page.context.close()


@pytest.mark.skipif(not SCREENSHOTS, reason="SANAD_SCREENSHOTS names the folder: make screenshots")
def test_home_page_screenshots(browser):
    """Each persona's home page at 390 and 1280 px in English, the
    caseworker's also in Arabic: the pictures the README points to."""
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for persona in PERSONAS:
        languages = LANGUAGES if persona.key == "caseworker" else ["en"]
        for viewport in (PHONE, DESKTOP):
            page = new_page(browser, viewport=viewport)
            try:
                log_in(page, persona.email)
                for language in languages:
                    switch_language(page, language)
                    page.goto("/")
                    path = folder / f"home-{persona.key}-{language}-{viewport['width']}.png"
                    page.screenshot(path=str(path), full_page=True)
                    shrink(path)
                    saved.append(path)
            finally:
                page.context.close()
    assert all(path.stat().st_size > 0 for path in saved)
