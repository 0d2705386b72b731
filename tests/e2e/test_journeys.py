"""Journeys through the real pages (issue 15): what the personas do every
day, in Debian's Chromium against the demo server, each in fresh browser
contexts of its own, with the keyboard alone: every link, button, field,
list, radio button and <details> is reached with Tab and used with Enter,
Space, the arrows or typing (``Keyboard``), and every element the focus
passes on the way must show it (an outline or a shadow under
:focus-visible). Only the address bar (``page.goto``) stands for a person
typing or opening a bookmark.

1. A caseworker of Amal registers a client whose Arabic and Latin names match
   a demo client (محمد الحسن, Mohammed al-Hassan, born 1988) closely enough for
   the duplicate warning (the skip link first); the caseworker sees the warning,
   confirms a different person, opens a case, writes a note and schedules a
   follow-up.
2. On that client: a referral consent naming Casa Comune, a referral to
   Casa's legal counselling; Casa's referral officer finds it in the inbox,
   reads the packet, accepts and opens a case for one of the listed
   caseworkers; Amal's caseworker reads the acceptance in the notifications.
3. Another client with a referral sent to Casa and not answered yet: the
   caseworker withdraws the consent it relies on, the referral is cancelled,
   and Casa's referral officer's page for it (and the packet) answer 404.
4. Amal's DPO opens "who accessed this" for the first journey's client and the
   access log; Amal's supervisor downloads the statistics as a PDF.
5. Journey 1 again in Arabic, Farsi and Ukrainian, the language chosen with
   the page's switcher: <html dir> is rtl for ar and fa, ltr for uk, and no
   page on the way shows an English phrase its catalogue translates.

Every page opened runs under the site's Content-Security-Policy: a violation,
a script error or a 5xx answer fails the test. With SANAD_SCREENSHOTS set,
each step's page of journeys 1 and 5 is saved under
``<SANAD_SCREENSHOTS>/journeys/`` (`make screenshots`: docs/screenshots/journeys/).

`.ci/browser` serves the demo data and runs this file (skipped without
SANAD_BROWSER_URL).
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlparse

import pytest

from tests.e2e.support import (
    PASSWORD,
    UUID,
    Browsing,
    email_of,
    expected_direction,
    needs_server,
    page_direction,
    screenshot,
    untranslated_on,
)

pytestmark = needs_server

CASEWORKER = email_of("caseworker", "amal")
SUPERVISOR = email_of("supervisor", "amal")
DPO = email_of("dpo", "amal")
CASA_OFFICER = email_of("referral_officer", "casa")
# Their display names, as seed_demo gives them.
CASEWORKER_NAME = "Layla Haddad"
CASA_CASEWORKER_NAME = "Giulia Rossi"
CASA = "Casa Comune"
LEGAL_COUNSELLING = "Legal counselling on asylum and residence"

# The demo's محمد الحسن (Mohammed al-Hassan, 1988-03-14) and its likely
# duplicate share the name key "hsn mhmd" with this person, born within a year.
PERSON = {"name": "محمد حسن", "name_latin": "Mohammad Hasan", "born": "1988-06-01"}
EXISTING_NAME = "محمد الحسن"

# What the caseworker writes, in the language of the pages.
WORDS = {
    "en": {
        "summary": "Housing and the renewal of the residence permit.",
        "note": "First interview held with an interpreter.",
        "follow_up": "Call the legal aid office",
    },
    "ar": {
        "summary": "السكن وتجديد تصريح الإقامة.",
        "note": "أُجريت المقابلة الأولى بحضور مترجم.",
        "follow_up": "الاتصال بمكتب المساعدة القانونية",
    },
    "fa": {
        "summary": "مسکن و تمدید اجازه اقامت.",
        "note": "اولین مصاحبه با حضور مترجم انجام شد.",
        "follow_up": "تماس با دفتر کمک حقوقی",
    },
    "uk": {
        "summary": "Житло та продовження дозволу на проживання.",
        "note": "Перша розмова відбулася з перекладачем.",
        "follow_up": "Зателефонувати до юридичної допомоги",
    },
}


@pytest.fixture
def browsing(browser):
    session = Browsing(browser)
    yield session
    session.close()
    assert not session.problems, "on the pages:\n" + "\n".join(session.problems)


# --- The keyboard ---------------------------------------------------------------------

# The element that has the focus, whether it shows it (:focus-visible with an
# outline of 2px or more, or a shadow) and whether it is on the screen.
FOCUS = """
() => {
  const element = document.activeElement;
  if (!element || element === document.body) return {what: 'nothing', shown: false};
  const style = getComputedStyle(element);
  const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const shadowed = style.boxShadow !== 'none';
  const box = element.getBoundingClientRect();
  const onScreen = box.width > 0 && box.height > 0 && box.bottom > 0
    && box.top < innerHeight && box.right > 0 && box.left < innerWidth;
  let what = element.tagName.toLowerCase();
  if (element.id) what += '#' + element.id;
  else if (element.name) what += '[name=' + element.name + ']';
  else if (element.className) what += '.' + [...element.classList].join('.');
  // Past a date's last segment the focus is on the field's own calendar
  // button, which Chromium rings itself (the field is then not :focus-visible).
  const picker = ['date', 'datetime-local', 'time'].includes(element.type)
    && !element.matches(':focus-visible');
  return {what, shown: (picker || element.matches(':focus-visible') && (outlined || shadowed))
    && onScreen};
}
"""


def tab_to(page, selector: str, problems: list[str], limit: int = 90) -> None:
    """Press Tab until ``selector`` has the focus (from the last stop on to
    the first if need be); every element passed on the way must show its
    focus (else it goes to ``problems``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        # "nothing": past the page's last stop, before Tab starts again at its
        # first (the login page's focus starts in its e-mail field).
        if not focus["shown"] and focus["what"] != "nothing":
            problems.append(f"{urlparse(page.url).path}: focus not visible on {focus['what']}")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} not reached with Tab on {page.url}")


def skip_to_content(page, problems: list[str]) -> None:
    """The first Tab stop is the skip link, shown when it has the focus;
    Enter moves the focus to the page's content."""
    page.keyboard.press("Tab")
    focus = page.evaluate(FOCUS)
    assert focus["what"].startswith("a") and page.evaluate(
        "document.activeElement.classList.contains('skip-link')"
    ), f"the first Tab stop is {focus['what']}, not the skip link"
    if not focus["shown"]:
        problems.append(f"{urlparse(page.url).path}: the skip link does not show its focus")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'")


class Keyboard:
    """One page used with the keyboard alone, as a person without a mouse
    does: every control is reached with Tab from where the focus is (each
    element passed on the way must show its focus, else it goes to
    ``problems``) and used with the keys for it."""

    def __init__(self, page, problems: list[str]):
        self.page = page
        self.problems = problems

    def reach(self, selector: str) -> None:
        tab_to(self.page, selector, self.problems, limit=250)

    def press(self, selector: str, key: str = "Enter") -> None:
        """Reach ``selector`` and press ``key`` (Enter opens a <details>,
        sends an htmx form from its button)."""
        self.reach(selector)
        self.page.keyboard.press(key)

    def follow(self, selector: str):
        """Reach a link or a form's button, press Enter, wait for the page it
        leads to; its response."""
        self.reach(selector)
        with self.page.expect_navigation() as answer:
            self.page.keyboard.press("Enter")
        return answer.value

    def type(self, selector: str, text: str) -> None:
        self.reach(selector)
        self.page.keyboard.type(text)

    def type_date(self, selector: str, day: date) -> None:
        """A date field: its segments typed in the browser's own order
        (Chromium's en-US here: month, day, year), whatever the page's language."""
        self.reach(selector)
        self.page.keyboard.type(f"{day:%m%d%Y}")
        assert self.page.input_value(selector) == day.isoformat()

    def check(self, selector: str) -> None:
        """A checkbox: Space ticks it."""
        self.reach(selector)
        if not self.page.is_checked(selector):
            self.page.keyboard.press("Space")
        assert self.page.is_checked(selector), f"{selector} not ticked with Space"

    def pick(self, name: str, value: str) -> None:
        """A group of radio buttons: Tab enters it (on its chosen button, or
        its first), the arrows move the choice, Space chooses the first."""
        self.reach(f"input[type=radio][name={name}]")
        target = f"input[type=radio][name={name}][value={value}]"
        for _ in range(20):
            if self.page.is_checked(target):
                return
            if self.page.evaluate("(t) => document.activeElement.matches(t)", target):
                self.page.keyboard.press("Space")
            else:
                self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"{target} not chosen with the arrows")

    def choose(self, selector: str, *, value: str = "", label: str = "") -> None:
        """A <select> (or a list box): Home, then the arrows down to the option."""
        self.reach(selector)
        chosen = """([selector, value, label]) => {
          const option = document.querySelector(selector).selectedOptions[0];
          return !!option && (value ? option.value === value : option.label.trim() === label);
        }"""
        self.page.keyboard.press("Home")
        for _ in range(300):
            if self.page.evaluate(chosen, [selector, value, label]):
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"{value or label} not reached with the arrows in {selector}")

    def log_in(self, email: str) -> None:
        self.page.goto("/accounts/login/")
        self.type("input[name=username]", email)
        self.type("input[name=password]", PASSWORD)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        assert "/accounts/login/" not in self.page.url, f"{email} could not log in"

    def switch_language(self, language: str) -> None:
        """The header's language switcher: the language, then its button."""
        if self.page.evaluate("document.documentElement.lang") == language:
            return
        self.choose("#language-select", value=language)
        self.follow("form[action='/language/'] button[type=submit]")
        assert self.page.evaluate("document.documentElement.lang") == language


# --- Journey 1 (and 5) ----------------------------------------------------------------


@dataclass
class Journey:
    """What one run of journey 1 left behind and what it found wrong."""

    language: str
    client_path: str = ""
    case_path: str = ""
    candidates: list[str] = field(default_factory=list)
    directions: dict[str, str] = field(default_factory=dict)
    untranslated: dict[str, list[str]] = field(default_factory=dict)
    focus_problems: list[str] = field(default_factory=list)

    def step(self, page, name: str) -> None:
        """One step's page: its direction, its English leftovers, its picture."""
        self.directions[name] = page_direction(page)
        leftovers = untranslated_on(page, self.language)
        if leftovers:
            self.untranslated[f"{name} ({urlparse(page.url).path})"] = leftovers
        number = len(self.directions)
        screenshot(page, "journeys", f"{number:02d}-{name}-{self.language}")


def register_with_keyboard(page, journey: Journey) -> None:
    """The registration form, filled in and sent with the keyboard alone."""
    problems = journey.focus_problems
    skip_to_content(page, problems)
    tab_to(page, "#id_name", problems)
    page.keyboard.type(PERSON["name"])
    tab_to(page, "#id_name_latin", problems)
    page.keyboard.type(PERSON["name_latin"])
    tab_to(page, "#id_date_of_birth", problems)
    year, month, day = PERSON["born"].split("-")
    page.keyboard.type(month + day + year)  # en-US segments: month, day, year
    assert page.input_value("#id_date_of_birth") == PERSON["born"]
    tab_to(page, "#id_sex", problems)
    # female, male, other, unknown (chosen): two up is male.
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.input_value("#id_sex") == "male"
    tab_to(page, "#id_languages", problems)
    page.keyboard.type("ar")
    with page.expect_navigation() as answer:
        page.keyboard.press("Enter")  # sends the form from a text field
    assert answer.value.status == 409, f"expected the duplicate warning, got {answer.value.status}"


def confirm_different_person_with_keyboard(page, journey: Journey) -> None:
    problems = journey.focus_problems
    # The form was sent from the page's #main (the skip link's target): the
    # answer opens there, and Tab goes on from the start of the content.
    tab_to(page, "#id_confirmed_not_duplicate", problems)
    page.keyboard.press("Space")
    assert page.is_checked("#id_confirmed_not_duplicate")
    tab_to(page, "main form.card button[type=submit]", problems)
    with page.expect_navigation() as answer:
        page.keyboard.press("Enter")
    assert answer.value.ok, f"registering answered {answer.value.status}"


def run_registration_journey(browsing: Browsing, language: str) -> Journey:
    """Journey 1 in ``language``: log in, register (keyboard), see the
    duplicate warning, confirm, open a case, add a note, schedule a follow-up."""
    journey = Journey(language)
    words = WORDS[language]
    page = browsing.new_page()

    keys = Keyboard(page, journey.focus_problems)
    page.goto("/accounts/login/")
    keys.switch_language(language)  # before logging in: kept in a cookie
    journey.step(page, "login")
    keys.log_in(CASEWORKER)
    keys.switch_language(language)  # the account's own language wins once logged in
    assert urlparse(page.url).path == "/"
    journey.step(page, "home")

    keys.follow("#site-nav a[href='/clients/']")
    journey.step(page, "clients")
    keys.follow("main a[href='/clients/new/']")
    journey.step(page, "register")

    register_with_keyboard(page, journey)
    warning = page.locator("main section.card-warning[role=alert]")
    assert warning.is_visible(), "no duplicate warning"
    journey.candidates = [
        text.strip() for text in warning.locator("a[href^='/clients/']").all_inner_texts()
    ]
    assert any(EXISTING_NAME in text for text in journey.candidates), journey.candidates
    journey.step(page, "possible-duplicate")

    confirm_different_person_with_keyboard(page, journey)
    assert re.fullmatch(rf"/clients/{UUID}/", urlparse(page.url).path), page.url
    journey.client_path = urlparse(page.url).path
    assert page.locator("main .message-success").is_visible()
    assert page.locator("main h1").inner_text().strip() == PERSON["name"]
    journey.step(page, "client")

    keys.follow(f"main a[href='{journey.client_path}cases/new/']")
    journey.step(page, "open-case")
    keys.choose("#id_case_type", value="housing")
    keys.choose("#id_risk_level", value="medium")
    keys.type("#id_summary", words["summary"])
    keys.follow("main form.card button[type=submit]")
    assert re.fullmatch(rf"/cases/{UUID}/", urlparse(page.url).path), page.url
    journey.case_path = urlparse(page.url).path
    assert words["summary"] in page.locator("main").inner_text()
    journey.step(page, "case")

    # The note is added in place (htmx): the notes section shows it.
    keys.press("#note-panel summary")
    keys.type("#note-panel textarea[name=body]", words["note"])
    keys.press("#note-panel button[type=submit]")
    page.locator("#notes article.note", has_text=words["note"]).wait_for()
    assert urlparse(page.url).path == journey.case_path
    journey.step(page, "note")

    keys.press("#follow-up-panel summary")
    keys.type("#follow-up-panel input[name=title]", words["follow_up"])
    keys.type_date("#follow-up-panel input[name=due_on]", date.today() + timedelta(days=7))
    keys.follow("#follow-up-panel button[type=submit]")
    row = page.locator("#follow-ups tbody tr", has_text=words["follow_up"])
    assert row.count() == 1, "the follow-up is not on the case page"
    journey.step(page, "follow-up")
    return journey


@pytest.fixture(scope="module")
def first_journey(browser):
    """Journey 1 in English, run once for the journeys that continue on its client."""
    session = Browsing(browser)
    try:
        journey = run_registration_journey(session, "en")
    finally:
        session.close()
    assert not session.problems, "on the pages:\n" + "\n".join(session.problems)
    return journey


def test_caseworker_registers_a_possible_duplicate_and_opens_a_case(first_journey):
    assert any(EXISTING_NAME in name for name in first_journey.candidates)
    assert first_journey.client_path and first_journey.case_path
    assert set(first_journey.directions.values()) == {"ltr"}
    assert not first_journey.focus_problems, "\n".join(first_journey.focus_problems)


@pytest.mark.parametrize("language", ["ar", "fa", "uk"])
def test_the_same_journey_in_another_language(browsing, language):
    journey = run_registration_journey(browsing, language)
    wrong_direction = {
        step: direction
        for step, direction in journey.directions.items()
        if direction != expected_direction(language)
    }
    assert not wrong_direction, f"<html dir> in {language}: {wrong_direction}"
    assert not journey.focus_problems, "\n".join(journey.focus_problems)
    assert not journey.untranslated, f"English left on the {language} pages:\n" + "\n".join(
        f"{step}: {phrases}" for step, phrases in journey.untranslated.items()
    )


# --- Journeys 2 and 3: consent, referral, the partner -------------------------------------


def record_referral_consent(keys: Keyboard, client_path: str) -> None:
    """From the client's page: a referral consent for identity, contact and
    legal status, naming Casa Comune."""
    page = keys.page
    page.goto(client_path)
    keys.follow(f"main a[href='{client_path}consents/new/']")
    keys.pick("purpose", "referral")
    keys.pick("lawful_basis", "consent")
    for category in ("identity", "contact", "legal_status"):
        keys.check(f"input[name=data_categories][value={category}]")
    keys.choose("#id_recipient_agencies", label=f"{CASA} (Torino)")
    keys.pick("given_by", "client")
    keys.pick("method", "verbal")
    keys.choose("#id_explanation_language", value="ar")
    answer = keys.follow("main form.consent-record button[type=submit]")
    assert answer.ok, page.locator("main").inner_text()[:800]
    assert page.locator("main .message-success").is_visible()


def refer_to_casa(keys: Keyboard, case_path: str, purpose: str) -> str:
    """From the case page: refer the client to Casa's legal counselling with
    what Sanad proposes; the referral's path."""
    page = keys.page
    page.goto(case_path)
    keys.follow(f"main a[href='{case_path}refer/']")
    keys.choose("#id_service", label=LEGAL_COUNSELLING)
    # htmx brings Sanad's proposal: what the service needs and the consent covers.
    # (A function, not a string: the policy forbids eval.)
    page.wait_for_function(
        "() => document.querySelector('#sharing input[value=identity]').checked"
        " && document.querySelector('#sharing input[value=legal_status]').checked"
    )
    keys.type("#id_purpose", purpose)
    keys.follow("main button[name=action][value=send]")
    path = urlparse(page.url).path
    assert re.fullmatch(rf"/referrals/{UUID}/", path), page.locator("main").inner_text()[:800]
    assert page.locator("main .page-head [data-state=sent]").is_visible()
    return path


def reference_in_inbox(keys: Keyboard, referral_path: str) -> str:
    """The partner's inbox lists the referral; its reference."""
    keys.follow("#site-nav a[href='/referrals/']")
    row = keys.page.locator(f"main tr[data-referral='{referral_path.split('/')[2]}']")
    assert row.count() == 1, f"{referral_path} is not in the inbox"
    return row.locator("th bdi").inner_text().strip()


def signed_in(browsing: Browsing, email: str, problems: list[str]) -> Keyboard:
    """A new browser context of ``email``'s, in English, used by keyboard."""
    keys = Keyboard(browsing.new_page(), problems)
    keys.log_in(email)
    keys.switch_language("en")
    return keys


def test_referral_to_a_partner_accepted_with_a_case_opened(browsing, first_journey):
    problems: list[str] = []
    worker = signed_in(browsing, CASEWORKER, problems)
    record_referral_consent(worker, first_journey.client_path)
    referral_path = refer_to_casa(worker, first_journey.case_path, "Advice on the asylum appeal")

    officer = signed_in(browsing, CASA_OFFICER, problems)
    reference = reference_in_inbox(officer, referral_path)
    officer.follow(f"main a[href='{referral_path}']")
    officer.follow(f"main a[href='{referral_path}packet/']")
    packet = officer.page.locator("main").inner_text()
    assert PERSON["name"] in packet and PERSON["name_latin"] in packet, packet[:800]
    # What was shared, nothing more: the case's notes stay with Amal.
    assert WORDS["en"]["note"] not in packet
    officer.follow(f"main a[href='{referral_path}']")  # back to the referral

    officer.press(f"details:has(form[action='{referral_path}accept/']) summary")
    officer.follow(f"form[action='{referral_path}accept/'] button[type=submit]")
    assert officer.page.locator("main .page-head [data-state=accepted]").is_visible()

    opening = f"form[action='{referral_path}open-case/']"
    officer.press(f"details:has({opening}) summary")
    assignees = officer.page.locator(f"{opening} select[name=assigned_to] option")
    assert CASA_CASEWORKER_NAME in assignees.all_inner_texts()
    officer.choose(f"{opening} select[name=assigned_to]", label=CASA_CASEWORKER_NAME)
    officer.choose(f"{opening} select[name=case_type]", value="asylum_legal")
    officer.follow(f"{opening} button[type=submit]")
    assert urlparse(officer.page.url).path == referral_path
    done = officer.page.locator("main .message-success").inner_text()
    assert f"assigned to {CASA_CASEWORKER_NAME}" in done, done
    assert officer.page.locator("#timeline li[data-event=case_opened]").count() == 1

    worker.page.goto("/")
    worker.follow("#site-nav a[href='/notifications/']")
    accepted = worker.page.locator(
        "main li.notification", has_text=f"{CASA} accepted referral {reference}"
    )
    assert accepted.count() == 1, worker.page.locator("main").inner_text()[:1500]
    assert not problems, "\n".join(problems)


def test_withdrawn_consent_cancels_a_pending_referral(browsing):
    """A second client, registered for this journey, with a referral sent to
    Casa and not answered: the consent is withdrawn from the referral's own
    page (its consent link), and Casa loses the referral at once."""
    problems: list[str] = []
    worker = signed_in(browsing, CASEWORKER, problems)
    worker.follow("#site-nav a[href='/clients/']")
    worker.follow("main a[href='/clients/new/']")
    worker.type("#id_name", "Тарас Гнатюк")
    worker.type("#id_name_latin", "Taras Hnatiuk")
    worker.type_date("#id_date_of_birth", date(1979, 4, 2))
    worker.type("#id_languages", "uk")
    answer = worker.follow("main form.card button[type=submit]")
    if answer.status == 409:  # registered by an earlier run against this server
        worker.check("#id_confirmed_not_duplicate")
        worker.follow("main form.card button[type=submit]")
    client_path = urlparse(worker.page.url).path
    assert re.fullmatch(rf"/clients/{UUID}/", client_path), worker.page.url
    worker.follow(f"main a[href='{client_path}cases/new/']")
    worker.choose("#id_case_type", value="asylum_legal")
    worker.follow("main form.card button[type=submit]")
    case_path = urlparse(worker.page.url).path
    record_referral_consent(worker, client_path)
    referral_path = refer_to_casa(worker, case_path, "Legal advice before the interview")

    officer = signed_in(browsing, CASA_OFFICER, problems)
    reference_in_inbox(officer, referral_path)
    assert officer.page.goto(referral_path).status == 200
    assert officer.page.goto(f"{referral_path}packet/").status == 200

    # The sender's referral page names the consent it relies on: withdraw it there.
    worker.page.goto(referral_path)
    worker.follow("main section[data-consent] a[href^='/consents/']")
    withdrawal = "main form[action$='/withdraw/']"
    worker.type(f"{withdrawal} textarea[name=reason]", "The client asked to stop.")
    worker.follow(f"{withdrawal} button[type=submit]")
    worker.page.goto(referral_path)
    assert worker.page.locator("main .page-head [data-state=cancelled]").is_visible()
    assert worker.page.locator("#timeline li[data-event=cancelled]").count() == 1

    officer_page = officer.page
    assert officer_page.goto(referral_path).status == 404
    assert officer_page.goto(f"{referral_path}packet/").status == 404
    officer_page.goto("/referrals/")
    assert (
        officer_page.locator(f"main tr[data-referral='{referral_path.split('/')[2]}']").count() == 0
    )
    assert not problems, "\n".join(problems)


# --- Journey 4: the DPO and the supervisor ----------------------------------------------


def test_dpo_sees_who_accessed_the_client_and_the_access_log(browsing, first_journey):
    problems: list[str] = []
    dpo = signed_in(browsing, DPO, problems)
    page = dpo.page
    client_id = first_journey.client_path.split("/")[2]
    accesses_path = f"/clients/{client_id}/accesses/"
    # The DPO's home finds the client by name; "All" lists every access.
    dpo.type("main form.look-up input[name=q]", PERSON["name_latin"])
    dpo.follow("main form.look-up button[type=submit]")
    dpo.follow(f"main a[href='{accesses_path}']")
    assert urlparse(page.url).path == accesses_path
    accesses = page.locator("main table tbody tr")
    assert accesses.count() >= 1, page.locator("main").inner_text()[:800]
    assert CASEWORKER_NAME in page.locator("main").inner_text()

    dpo.follow("#site-nav a[href='/audit/access-log/']")
    log = page.locator("main table tbody tr")
    assert log.count() >= 1
    assert CASEWORKER_NAME in page.locator("main").inner_text()
    assert not problems, "\n".join(problems)


def test_supervisor_downloads_the_statistics_as_pdf(browsing):
    problems: list[str] = []
    supervisor = signed_in(browsing, SUPERVISOR, problems)
    page = supervisor.page
    supervisor.follow("#site-nav a[href='/reports/']")
    supervisor.follow("main a[href^='/reports/statistics/']")
    assert page.locator("main a[href*='statistics.pdf']").count() == 1
    supervisor.reach("main a[href*='statistics.pdf']")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert not problems, "\n".join(problems)
