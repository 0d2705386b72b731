"""Accessibility (issue 15): axe-core checks the main pages of every persona
against WCAG 2.0 and 2.1, levels A and AA, in English and Arabic (as the
issue asks) and in Persian and Ukrainian too.

axe-core is not part of Sanad: `.ci/browser` installs it from the npm
registry into its temporary folder at each run and names its axe.min.js in
SANAD_AXE_JS (this file is skipped without it, and without SANAD_BROWSER_URL).
It is put in the page with ``page.evaluate``, which the page's
Content-Security-Policy does not govern (a <script> tag would be refused);
the policy stays on, and a violation Chromium reports still fails the test.

A page fails on any violation of impact critical, serious or moderate; the
message names the page, the language, the rule, the impact and the elements
(axe's selectors). Minor ones are only counted. With SANAD_A11Y_REPORT set
(a .json file, or a folder that gets axe-report.json), every page's
violations, minor ones included, are written there with their counts by
impact, so they can be quoted.
"""

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.support import (
    UUID,
    Browsing,
    email_of,
    expected_direction,
    log_in,
    needs_server,
    page_direction,
    switch_language,
)

AXE_JS = os.environ.get("SANAD_AXE_JS", "")
REPORT = os.environ.get("SANAD_A11Y_REPORT", "")

pytestmark = [
    needs_server,
    pytest.mark.skipif(not AXE_JS, reason="SANAD_AXE_JS names axe.min.js: make browser"),
]

LANGUAGES = ["en", "ar", "fa", "uk"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"critical", "serious", "moderate"}
IMPACTS = ["critical", "serious", "moderate", "minor"]

ANONYMOUS = ""
CASEWORKER = email_of("caseworker", "amal")
SUPERVISOR = email_of("supervisor", "amal")
DPO = email_of("dpo", "amal")
CASA_OFFICER = email_of("referral_officer", "casa")


@dataclass(frozen=True)
class Follow:
    """The first link on ``start`` whose path matches ``pattern`` (a demo
    record: its id is not known in advance)."""

    start: "str | Follow"
    pattern: str


@dataclass(frozen=True)
class Checked:
    key: str
    persona: str
    target: "str | Follow"


@dataclass(frozen=True)
class Uploaded:
    """A page of the import of ``file`` (uploaded once per persona through
    the imports page): its page, or the page ``suffix`` below it."""

    file: str
    suffix: str = ""


SAMPLE_IMPORT = str(Path(__file__).resolve().parents[2] / "demo/sample-import/amal-caseload.xlsx")

CLIENT = Follow("/clients/", rf"^/clients/{UUID}/$")
OPEN_CASE = Follow("/cases/?status=open", rf"^/cases/{UUID}/$")
INCOMING = Follow("/referrals/", rf"^/referrals/{UUID}/$")
PROTECTED_CLIENT = Follow("/data-protection/", rf"^/clients/{UUID}/data-protection/$")
# The demo's full integration plan (Fereshteh Karimi's case at Amal).
KARIMI = Follow("/search/?q=Karimi", rf"^/clients/{UUID}/$")
PLAN = Follow(Follow(KARIMI, rf"^/cases/{UUID}/$"), rf"^/cases/{UUID}/plan/$")

PAGES = [
    Checked("login", ANONYMOUS, "/accounts/login/"),
    Checked("home", CASEWORKER, "/"),
    Checked("client search", CASEWORKER, "/search/?q=moh"),
    Checked("client", CASEWORKER, CLIENT),
    Checked("case", CASEWORKER, OPEN_CASE),
    Checked("referral form", CASEWORKER, Follow(OPEN_CASE, rf"^/cases/{UUID}/refer/$")),
    Checked("notifications", CASEWORKER, "/notifications/"),
    Checked("referral inbox", CASA_OFFICER, "/referrals/"),
    Checked("referral", CASA_OFFICER, INCOMING),
    Checked("packet", CASA_OFFICER, Follow(INCOMING, rf"^/referrals/{UUID}/packet/$")),
    Checked("access log", DPO, "/audit/access-log/"),
    Checked("data protection", DPO, "/data-protection/"),
    Checked("client data protection", DPO, PROTECTED_CLIENT),
    Checked(
        "who accessed the client",
        DPO,
        Follow(PROTECTED_CLIENT, rf"^/clients/{UUID}/accesses/$"),
    ),
    Checked("statistics", SUPERVISOR, "/reports/statistics/"),
    Checked("integration plan", CASEWORKER, PLAN),
    Checked("printable plan", CASEWORKER, Follow(PLAN, rf"^/cases/{UUID}/plan/print/$")),
    Checked("imports", SUPERVISOR, "/imports/"),
    Checked("import report", SUPERVISOR, Uploaded(SAMPLE_IMPORT)),
    Checked("import mapping", SUPERVISOR, Uploaded(SAMPLE_IMPORT, "mapping/")),
]

# axe's findings, trimmed to what a report needs.
RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  const selector = (target) => (Array.isArray(target) ? target.join(' >> ') : String(target));
  return {
    version: axe.version,
    violations: results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => ({
        target: node.target.map(selector).join(', '),
        impact: node.impact,
        html: node.html.slice(0, 300),
      })),
    })),
  };
}
"""


class Personas:
    """One logged-in page per persona (the anonymous one logs in nobody),
    kept for the whole module, and the paths of the records they open."""

    def __init__(self, browsing: Browsing):
        self.browsing = browsing
        self.pages = {}
        self.resolved = {}

    def page(self, persona: str):
        if persona not in self.pages:
            page = self.browsing.new_page()
            if persona:
                log_in(page, persona)
            else:
                page.goto("/accounts/login/")
            self.pages[persona] = page
        return self.pages[persona]

    def path(self, persona: str, target: "str | Follow | Uploaded") -> str:
        if isinstance(target, str):
            return target
        if isinstance(target, Uploaded):
            key = (persona, target.file)
            if key not in self.resolved:
                page = self.page(persona)
                page.goto("/imports/")
                page.set_input_files("main input[type=file]", target.file)
                page.locator("main form button[type=submit]").first.click()
                page.wait_for_url(re.compile(rf"/imports/{UUID}/$"))
                self.resolved[key] = urlparse(page.url).path
            return self.resolved[key] + target.suffix
        key = (persona, target)
        if key not in self.resolved:
            page = self.page(persona)
            start = self.path(persona, target.start)
            page.goto(start)
            paths = page.eval_on_selector_all(
                "main a[href]", "links => links.map(a => new URL(a.href).pathname)"
            )
            found = next((path for path in paths if re.match(target.pattern, path)), None)
            assert found, f"no link matching {target.pattern} on {start}"
            self.resolved[key] = found
        return self.resolved[key]


@pytest.fixture(scope="module")
def personas(browser):
    browsing = Browsing(browser)
    yield Personas(browsing)
    browsing.close()


class AxeSource(str):
    """axe.min.js's text, named by its path in a failure's report."""

    def __repr__(self) -> str:
        return f"<{AXE_JS}>"


@pytest.fixture(scope="module")
def axe_source():
    return AxeSource(Path(AXE_JS).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report():
    """Every page's violations by language, written after each page."""
    found = {"tags": TAGS, "axe": "", "pages": {}}
    yield found
    write_report(found)


def write_report(found: dict) -> None:
    if not REPORT:
        return
    path = Path(REPORT)
    if path.suffix != ".json":
        path = path / "axe-report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.fixture(autouse=True)
def no_policy_violation(personas):
    """What Chromium reported during this test alone (the pages are shared)."""
    before = len(personas.browsing.problems)
    yield
    problems = personas.browsing.problems[before:]
    assert not problems, "on the pages:\n" + "\n".join(problems)


CASES = [(language, checked) for language in LANGUAGES for checked in PAGES]


@pytest.mark.parametrize(
    ("language", "checked"),
    CASES,
    ids=[f"{language}-{checked.key.replace(' ', '-')}" for language, checked in CASES],
)
def test_no_accessibility_violation(personas, axe_source, report, language, checked):
    page = personas.page(checked.persona)
    path = personas.path(checked.persona, checked.target)
    switch_language(page, language)
    response = page.goto(path)
    status = response and response.status
    assert status == 200, f"{path}: HTTP {status}"
    assert page_direction(page) == expected_direction(language)

    page.evaluate(axe_source)
    found = page.evaluate(RUN_AXE, TAGS)
    report["axe"] = found["version"]
    shown_path = urlparse(page.url).path
    counts = {impact: 0 for impact in IMPACTS}
    for violation in found["violations"]:
        counts[violation["impact"] or "minor"] += len(violation["nodes"])
    report["pages"].setdefault(language, {})[checked.key] = {
        "path": shown_path,
        "counts": counts,
        "violations": found["violations"],
    }
    write_report(report)

    failing = [
        f"{checked.key} ({shown_path}) [{language}]: {violation['id']} ({violation['impact']})"
        f" {violation['help']}: " + "; ".join(node["target"] for node in violation["nodes"])
        for violation in found["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]
    assert not failing, "axe-core:\n" + "\n".join(failing)
