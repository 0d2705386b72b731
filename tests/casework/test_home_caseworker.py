"""The caseworker's section of the home page (issue 11): what needs them now.

Their own open follow-ups on cases they see that are not closed, overdue,
due today and in the next 7 days, grouped by case; their open cases, a few
rows and a link to all of them; their unread notices. Every count on the page
is the number of rows of the list it links to, and the page costs a fixed
number of queries whatever the number of cases."""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import notify_users
from casework import services
from casework.selectors.my_work import HOME_ROWS
from tests.factories import make_case, make_client, make_follow_up
from tests.helpers import page

pytestmark = pytest.mark.django_db

HOME = reverse("accounts:home")
SECTION = 'id="home-caseworker-heading"'


def today():
    return timezone.now().date()


def days(count):
    return today() + timedelta(days=count)


# --- Reading the page ----------------------------------------------------------------


def part(content: str, key: str) -> str:
    """The HTML of one part of the section (``data-part``)."""
    match = re.search(rf'<section [^>]*data-part="{key}">(.*?)</section>', content, re.S)
    assert match, f"no part {key}"
    return match.group(1)


def heading(content: str, key: str) -> str:
    return re.search(r"<h3[^>]*>(.*?)</h3>", part(content, key), re.S).group(1).strip()


def link(content: str, key: str) -> tuple[str, str]:
    """(address, text) of the link counted ``key``."""
    match = re.search(rf'<a [^>]*href="([^"]+)" data-count="{key}">([^<]*)</a>', content)
    assert match, f"no link {key}"
    return match.group(1).replace("&amp;", "&"), match.group(2)


def count_in(text: str) -> int:
    """The count a heading gives in parentheses, or a link's first number."""
    counted = re.search(r"\((\d+)", text) or re.search(r"\d+", text)
    return int(counted.group(1) if counted.groups() else counted.group())


def groups(content: str, key: str) -> list[str]:
    """The case numbers of one part's groups, in order."""
    return re.findall(r'<li data-case="([^"]+)">', part(content, key))


def group(content: str, key: str, number: str) -> str:
    match = re.search(
        rf'<li data-case="{re.escape(number)}">(.*?)</ul>\s*</li>', part(content, key), re.S
    )
    assert match, f"no group {number} in {key}"
    return match.group(1)


def titles(html: str) -> list[str]:
    return [unescape(title) for title in re.findall(r'<span dir="auto">([^<]*)</span>', html)]


def list_rows(browser, address: str) -> list[str]:
    """The case numbers a case list shows (every page of it)."""
    numbers = []
    while address:
        content = page(browser.get(address))
        numbers += re.findall(
            r'<th scope="row"><a href="[^"]+"><bdi class="case-number">([^<]+)</bdi>', content
        )
        following = re.search(r'<a href="([^"]+)" rel="next">', content)
        address = following.group(1).replace("&amp;", "&") if following else ""
        if address.startswith("?"):
            address = reverse("casework:case_list") + address
    return numbers


# --- The caseworker's world ------------------------------------------------------------


@dataclass
class World:
    mine: object  # assigned to the caseworker
    also_mine: object
    closed: object
    colleagues: object  # another caseworker's, visible
    hidden: object  # restricted, assigned to someone else: not visible to the caseworker


@pytest.fixture
def world(caseworker, second_caseworker, supervisor, client_record):
    mine = make_case(caseworker, client_record)
    make_follow_up(caseworker, mine, title="Send the rent form", due_on=days(-3))
    make_follow_up(caseworker, mine, title="Call the landlord", due_on=days(-1))
    make_follow_up(caseworker, mine, title="Visit the flat", due_on=today())
    make_follow_up(caseworker, mine, title="Check the benefits", due_on=days(3))
    make_follow_up(caseworker, mine, title="Far away", due_on=days(8))

    also_mine = make_case(caseworker, make_client(caseworker, name="Amina Yusuf", name_latin=""))
    make_follow_up(caseworker, also_mine, title="Renew the permit", due_on=days(-10))
    make_follow_up(caseworker, also_mine, title="Book the interpreter", due_on=days(1))
    done = make_follow_up(caseworker, also_mine, title="Already done", due_on=days(-4))
    services.complete_follow_up(actor=caseworker, case_id=also_mine.pk, follow_up_id=done.pk)

    closed = make_case(caseworker, client_record)
    make_follow_up(caseworker, closed, title="On a closed case", due_on=days(-5))
    make_follow_up(caseworker, closed, title="Closed case today", due_on=today())
    services.close_case(actor=supervisor, case_id=closed.pk, closure_reason="goals_met")

    colleagues = make_case(second_caseworker, client_record)
    make_follow_up(second_caseworker, colleagues, title="Not mine", due_on=days(-2))
    make_follow_up(
        second_caseworker,
        colleagues,
        title="Mine on a colleague's case",
        due_on=days(-2),
        assigned_to=caseworker,
    )

    hidden = make_case(supervisor, client_record, assigned_to=second_caseworker, is_restricted=True)
    make_follow_up(
        supervisor, hidden, title="On a case I cannot see", due_on=days(-6), assigned_to=caseworker
    )
    make_follow_up(supervisor, hidden, title="Hidden today", due_on=today(), assigned_to=caseworker)
    return World(mine, also_mine, closed, colleagues, hidden)


def test_overdue_follow_ups_are_grouped_by_case_with_days_overdue(client_as, caseworker, world):
    content = page(client_as(caseworker).get(HOME))
    assert heading(content, "overdue") == "Overdue (3 cases)"
    assert "4 follow-ups assigned to you" in part(content, "overdue")
    # The longest overdue first; one group per case.
    assert groups(content, "overdue") == [
        world.also_mine.number,
        world.mine.number,
        world.colleagues.number,
    ]
    mine = group(content, "overdue", world.mine.number)
    assert titles(mine) == ["Send the rent form", "Call the landlord"]
    assert "3 days overdue" in mine and "1 day overdue" in mine
    assert reverse("casework:case_detail", args=[world.mine.pk]) in mine
    also_mine = group(content, "overdue", world.also_mine.number)
    assert titles(also_mine) == ["Renew the permit"]
    assert "10 days overdue" in also_mine
    assert titles(group(content, "overdue", world.colleagues.number)) == [
        "Mine on a colleague's case"
    ]
    for absent in ("Not mine", "On a closed case", "On a case I cannot see", "Already done"):
        assert absent not in content
    assert world.closed.number not in content
    assert world.hidden.number not in content


def test_today_and_the_next_7_days(client_as, caseworker, world):
    content = page(client_as(caseworker).get(HOME))
    assert heading(content, "today") == "Due today (1 case)"
    assert groups(content, "today") == [world.mine.number]
    assert titles(group(content, "today", world.mine.number)) == ["Visit the flat"]
    assert heading(content, "next_days") == "Due in the next 7 days (2 cases)"
    assert groups(content, "next_days") == [world.also_mine.number, world.mine.number]
    assert titles(group(content, "next_days", world.mine.number)) == ["Check the benefits"]
    assert titles(group(content, "next_days", world.also_mine.number)) == ["Book the interpreter"]
    assert "Far away" not in content  # 8 days ahead
    assert "Closed case today" not in content and "Hidden today" not in content


def test_each_follow_up_count_is_the_rows_of_the_list_it_links_to(client_as, caseworker, world):
    browser = client_as(caseworker)
    content = page(browser.get(HOME))
    for key in ("overdue", "today", "next_days"):
        count = count_in(heading(content, key))
        address, text = link(content, key)
        assert count_in(text) == count, key
        rows = list_rows(browser, address)
        assert len(rows) == count, key
        assert sorted(rows) == sorted(groups(content, key)), key


def test_every_follow_up_has_mark_done_back_to_home(client_as, caseworker, world):
    browser = client_as(caseworker)
    content = page(browser.get(HOME))
    follow_ups = sum(
        len(titles(group(content, key, number)))
        for key in ("overdue", "today", "next_days")
        for number in groups(content, key)
    )
    assert follow_ups == 4 + 1 + 2
    section = content[content.index(SECTION) :]
    assert section.count(f'<input type="hidden" name="next" value="{HOME}">') == follow_ups
    follow_up = world.mine.follow_ups.get(title="Visit the flat")
    response = browser.post(
        reverse("casework:follow_up_done", args=[world.mine.pk, follow_up.pk]), {"next": HOME}
    )
    assert response.status_code == 302 and response.url == HOME
    content = page(browser.get(HOME))
    assert heading(content, "today") == "Due today (0 cases)"
    assert "Nothing is due today." in part(content, "today")


def test_the_overdue_filter_leaves_closed_cases_out(client_as, caseworker, world):
    rows = list_rows(client_as(caseworker), reverse("casework:case_list") + "?overdue=on")
    assert world.closed.number not in rows
    assert sorted(rows) == sorted(
        [world.mine.number, world.also_mine.number, world.colleagues.number]
    )


def test_my_open_cases_first_rows_and_a_link_to_all_of_them(
    client_as, caseworker, second_caseworker, supervisor, client_record
):
    cases = [make_case(caseworker, client_record) for _ in range(HOME_ROWS + 2)]
    on_hold = make_case(caseworker, client_record)
    services.put_case_on_hold(actor=caseworker, case_id=on_hold.pk, reason="Travelling")
    make_case(second_caseworker, client_record)
    browser = client_as(caseworker)
    content = page(browser.get(HOME))
    open_cases = part(content, "open-cases")
    assert heading(content, "open-cases") == f"My open cases ({HOME_ROWS + 2})"
    shown = re.findall(r'<bdi class="case-number">([^<]+)</bdi>', open_cases)
    # The most recently updated first, as the case list.
    assert shown == [case.number for case in reversed(cases)][:HOME_ROWS]
    address, text = link(content, "open-cases")
    assert text == f"All my {HOME_ROWS + 2} open cases"
    rows = list_rows(browser, address)
    assert sorted(rows) == sorted(case.number for case in cases)
    assert rows[:HOME_ROWS] == shown


def test_more_cases_than_a_part_shows(client_as, caseworker, client_record):
    cases = [make_case(caseworker, client_record) for _ in range(HOME_ROWS + 1)]
    for number, case in enumerate(cases):
        make_follow_up(caseworker, case, title=f"Late {number}", due_on=days(-1 - number))
    browser = client_as(caseworker)
    content = page(browser.get(HOME))
    assert heading(content, "overdue") == f"Overdue ({HOME_ROWS + 1} cases)"
    assert len(groups(content, "overdue")) == HOME_ROWS
    assert groups(content, "overdue")[0] == cases[-1].number  # the longest overdue
    assert f"The first {HOME_ROWS} cases are shown here." in part(content, "overdue")
    address, text = link(content, "overdue")
    assert text == f"See all {HOME_ROWS + 1} cases in the case list"
    assert len(list_rows(browser, address)) == HOME_ROWS + 1


def test_unread_notifications_count_links_to_the_notifications(client_as, caseworker):
    browser = client_as(caseworker)
    address, text = link(page(browser.get(HOME)), "unread-notifications")
    assert text == "0 unread notifications"
    for text in ("First notice", "Second notice"):
        notify_users([caseworker], kind="case.test", text=text, values={}, email=False)
    address, text = link(page(browser.get(HOME)), "unread-notifications")
    assert text == "2 unread notifications"
    assert address == reverse("accounts:notifications")
    notices = page(browser.get(address))
    assert "First notice" in notices and "Second notice" in notices
    assert notices.count('class="notification unread"') == 2


def test_today_is_the_users_local_date(client_as, caseworker, client_record):
    # A zone whose date is not UTC's now (UTC+14 from 10:00 UTC, UTC-11 before 11:00).
    now = timezone.now()
    zone_name = "Pacific/Kiritimati" if now.hour >= 10 else "Pacific/Niue"
    zone = zoneinfo.ZoneInfo(zone_name)
    local_today = now.astimezone(zone).date()
    assert local_today != now.date()
    caseworker.time_zone = zone_name
    caseworker.save(update_fields=["time_zone"])
    case = make_case(caseworker, client_record)
    make_follow_up(caseworker, case, title="Local today", due_on=local_today)
    make_follow_up(caseworker, case, title="Local yesterday", due_on=local_today - timedelta(1))
    browser = client_as(caseworker)
    content = page(browser.get(HOME))
    assert titles(group(content, "today", case.number)) == ["Local today"]
    overdue = group(content, "overdue", case.number)
    assert titles(overdue) == ["Local yesterday"] and "1 day overdue" in overdue
    for key in ("today", "overdue"):
        address, _ = link(content, key)
        assert list_rows(browser, address) == [case.number]


def test_a_fixed_number_of_queries_whatever_the_number_of_cases(
    client_as, caseworker, client_record, django_assert_max_num_queries
):
    def add_cases(count):
        for _ in range(count):
            case = make_case(caseworker, client_record)
            make_follow_up(caseworker, case, title="Late", due_on=days(-2))
            make_follow_up(caseworker, case, title="Later", due_on=days(-1))
            make_follow_up(caseworker, case, title="Today", due_on=today())
            make_follow_up(caseworker, case, title="Soon", due_on=days(2))

    add_cases(1)
    browser = client_as(caseworker)
    browser.get(HOME)  # warm up: session, content types
    with CaptureQueriesContext(connection) as few:
        browser.get(HOME)
    add_cases(24)
    with django_assert_max_num_queries(len(few.captured_queries)):
        content = page(browser.get(HOME))
    assert heading(content, "overdue") == "Overdue (25 cases)"
    assert len(groups(content, "today")) == HOME_ROWS


@pytest.mark.parametrize("persona", ["supervisor", "dpo", "agency_admin"])
def test_only_caseworkers_see_the_section(request, client_as, persona, world):
    user = request.getfixturevalue(persona)
    content = page(client_as(user).get(HOME))
    assert SECTION not in content
    assert "Mark done" not in content


def test_a_caseworker_of_another_agency_sees_none_of_it(client_as, outsider, world):
    content = page(client_as(outsider).get(HOME))
    assert SECTION in content
    assert heading(content, "overdue") == "Overdue (0 cases)"
    assert heading(content, "open-cases") == "My open cases (0)"
    for case in (world.mine, world.also_mine, world.colleagues):
        assert case.number not in content


def test_register_a_client_is_offered(client_as, caseworker):
    content = page(client_as(caseworker).get(HOME))
    assert reverse("casework:client_register") in content
    assert "Register a client" in content
