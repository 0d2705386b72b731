"""The home page's referral sections: the referral officer of the partner agency
sees what awaits the agency's answer (overdue first, then the most urgent, then
the earliest respond-by) and the accepted referrals still without a case, each
count the number of rows of the inbox filter it links to; a supervisor of the
receiving agency sees how many await an answer; people without those roles
see neither."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.audit import save_with_history
from accounts.permissions import Role
from referrals import services
from referrals.models import Referral
from tests.factories import make_member, make_referral
from tests.helpers import page

pytestmark = pytest.mark.django_db

HOME = "/"


def section(content: str, key: str) -> str:
    """The HTML of one home section, up to the next one ("" when the page has none)."""
    for part in content.split('<section class="home-section')[1:]:
        if re.match(rf'[^>]*data-section="{key}"', part):
            return part
    return ""


def listed(content: str, name: str) -> list[str]:
    """The referral ids of one home list, in the order shown."""
    match = re.search(rf'<table[^>]*data-list="{name}">(.*?)</table>', content, re.S)
    return re.findall(r'data-referral="([0-9a-f-]+)"', match.group(1)) if match else []


def count_link(content: str, key: str) -> tuple[int, str]:
    """The number a count link shows and where it leads."""
    match = re.search(rf'<a href="([^"]+)" data-count="{key}"[^>]*><strong>(\d+)</strong>', content)
    assert match, f"no count {key!r}"
    return int(match.group(2)), unescape(match.group(1))


def inbox_rows(browser, address: str) -> list[str]:
    """Every referral id the inbox lists at ``address``, across its pages."""
    rows: list[str] = []
    while True:
        content = page(browser.get(address))
        table = re.search(r'<table class="referral-list">(.*?)</table>', content, re.S)
        rows += re.findall(r'data-referral="([0-9a-f-]+)"', table.group(1)) if table else []
        following = re.search(r'href="([^"]+)" rel="next"', content)
        if not following:
            return rows
        address = reverse("referrals:inbox") + unescape(following.group(1))


def make_late(referral: Referral, actor, days: int) -> Referral:
    """Past its respond-by date by ``days`` (a date in the past is refused at
    creation, so it is moved there afterwards, as if sent long ago)."""
    referral.respond_by = timezone.now().date() - timedelta(days=days)
    save_with_history(referral, actor=actor, update_fields=["respond_by"])
    return referral


@pytest.fixture
def inbox(caseworker, case, consent, partner_agency, referral_officer, partner_caseworker):
    """Referrals to the partner agency of every kind its officer meets."""
    today = timezone.now().date()

    def send(urgency, days, purpose="Legal advice on the asylum appeal"):
        return make_referral(
            caseworker,
            case,
            partner_agency,
            urgency=urgency,
            respond_by=today + timedelta(days=max(days, 0)),
            purpose=purpose,
        )

    made = {
        "routine_soon": send("routine", 2),
        "emergency_later": send("emergency", 10),
        "urgent": send("urgent", 5),
        "emergency_early": send("emergency", 3),
        "overdue_routine": make_late(send("routine", 0), caseworker, 3),
        "overdue_emergency": make_late(send("emergency", 0), caseworker, 1),
        "accepted_no_case": send("urgent", 4, purpose="Housing for a family of four"),
        "accepted_with_case": send("routine", 4),
        "declined": send("emergency", 1),
    }
    for key in ("accepted_no_case", "accepted_with_case"):
        services.accept_referral(actor=referral_officer, referral_id=made[key].pk)
    services.open_case_from_referral(
        actor=referral_officer,
        referral_id=made["accepted_with_case"].pk,
        assigned_to=partner_caseworker,
    )
    services.decline_referral(
        actor=referral_officer, referral_id=made["declined"].pk, reason="No capacity"
    )
    return made


def ids(made, *keys) -> list[str]:
    return [str(made[key].pk) for key in keys]


def test_the_officer_sees_what_awaits_an_answer_overdue_first_then_most_urgent(
    client_as, referral_officer, inbox
):
    content = page(client_as(referral_officer).get(HOME))
    mine = section(content, "referral_officer")
    assert mine, "the referral officer's section is missing"
    assert listed(mine, "awaiting") == ids(
        inbox,
        "overdue_emergency",
        "overdue_routine",
        "emergency_early",
        "emergency_later",
        "urgent",
        "routine_soon",
    )
    assert listed(mine, "without_case") == ids(inbox, "accepted_no_case")


def test_each_row_says_what_who_when_and_how_urgent(client_as, referral_officer, inbox):
    mine = section(page(client_as(referral_officer).get(HOME)), "referral_officer")
    late = inbox["overdue_emergency"]
    row = re.search(rf'<tr class="overdue" data-referral="{late.pk}">(.*?)</tr>', mine, re.S)
    assert row, "an overdue row is marked"
    cells = row.group(1)
    assert late.reference in cells
    assert "Legal advice on the asylum appeal" in cells
    assert "Amal Refugee Support" in cells  # the sending agency
    assert "Emergency" in cells
    assert late.respond_by.isoformat() in cells
    assert "Overdue" in cells
    assert "Sent" in cells
    assert 'data-label="Purpose"' in cells and 'data-label="Respond by"' in cells


def test_the_accepted_referral_without_a_case_links_to_opening_it(
    client_as, referral_officer, inbox
):
    mine = section(page(client_as(referral_officer).get(HOME)), "referral_officer")
    waiting = inbox["accepted_no_case"]
    detail = reverse("referrals:referral_detail", args=[waiting.pk])
    assert f'href="{detail}#actions">Open the case</a>' in mine
    assert "Housing for a family of four" in mine
    assert str(inbox["accepted_with_case"].pk) not in mine
    assert str(inbox["declined"].pk) not in mine


@pytest.mark.parametrize(
    "key,expected",
    [
        ("awaiting", 6),
        ("overdue", 2),
        ("accepted_without_case", 1),
    ],
)
def test_every_count_is_the_number_of_rows_of_the_list_it_links_to(
    client_as, referral_officer, inbox, monkeypatch, key, expected
):
    # Pages of two, so following the list goes through its cursor as well.
    monkeypatch.setattr("config.http.pages.PAGE_SIZE", 2)
    browser = client_as(referral_officer)
    number, address = count_link(section(page(browser.get(HOME)), "referral_officer"), key)
    assert number == expected
    assert len(inbox_rows(browser, address)) == number


def test_the_lists_the_counts_lead_to_hold_exactly_those_referrals(
    client_as, referral_officer, inbox
):
    browser = client_as(referral_officer)
    mine = section(page(browser.get(HOME)), "referral_officer")
    _, awaiting = count_link(mine, "awaiting")
    _, overdue = count_link(mine, "overdue")
    _, without_case = count_link(mine, "accepted_without_case")
    assert inbox_rows(browser, awaiting) == listed(mine, "awaiting")
    assert inbox_rows(browser, overdue) == ids(inbox, "overdue_emergency", "overdue_routine")
    assert inbox_rows(browser, without_case) == ids(inbox, "accepted_no_case")


def test_the_home_shows_ten_and_leads_to_the_rest(
    client_as, caseworker, case, consent, partner_agency, referral_officer
):
    for _ in range(12):
        make_referral(caseworker, case, partner_agency)
    mine = section(page(client_as(referral_officer).get(HOME)), "referral_officer")
    assert len(listed(mine, "awaiting")) == 10
    number, address = count_link(mine, "awaiting")
    assert number == 12
    assert f'href="{address.replace("&", "&amp;")}">See all 12 in the inbox</a>' in mine


def test_an_officer_with_nothing_waiting_is_told_so(client_as, referral_officer):
    mine = section(page(client_as(referral_officer).get(HOME)), "referral_officer")
    assert "No referral awaits your agency's answer." in mine
    assert count_link(mine, "awaiting")[0] == 0


def test_people_without_the_role_do_not_see_the_section(
    client_as, partner_caseworker, caseworker, inbox
):
    for person in (partner_caseworker, caseworker):
        content = page(client_as(person).get(HOME))
        assert 'data-section="referral_officer"' not in content
        assert 'data-section="supervisor_referrals"' not in content


def test_the_receiving_supervisor_sees_how_many_await_the_agencys_answer(
    client_as, partner_agency, inbox
):
    supervisor = make_member(partner_agency, Role.SUPERVISOR, display_name="Giulia Supervisor")
    browser = client_as(supervisor)
    content = page(browser.get(HOME))
    theirs = section(content, "supervisor_referrals")
    assert theirs, "the supervisor's referral section is missing"
    assert 'data-section="referral_officer"' not in content
    number, address = count_link(theirs, "awaiting")
    assert number == 6
    assert "referrals await your agency" in theirs
    rows = inbox_rows(browser, address)
    assert len(rows) == number
    # Most urgent first: the inbox's order.
    assert rows[:3] == ids(inbox, "overdue_emergency", "overdue_routine", "emergency_early")
    assert count_link(theirs, "overdue")[0] == 2


def test_a_supervisor_whose_agency_awaits_no_answer_sees_no_referral_section(
    client_as, supervisor, inbox
):
    # The sending agency's supervisor: its referrals await the partner, not it.
    content = page(client_as(supervisor).get(HOME))
    assert 'data-section="supervisor_referrals"' not in content


def test_overdue_is_measured_on_the_readers_own_day(
    client_as, caseworker, case, consent, partner_agency, referral_officer
):
    """A referral due on the UTC date is overdue for a reader whose day is
    already the next one, and one due yesterday (UTC) is not yet overdue for a
    reader still on yesterday."""
    now = datetime.now(UTC)
    today = now.date()
    referral = make_referral(caseworker, case, partner_agency, respond_by=today)
    if now.hour >= 10:
        zone, overdue = "Pacific/Kiritimati", True  # UTC+14: already tomorrow
    else:
        zone, overdue = "Pacific/Pago_Pago", False  # UTC-11: still yesterday
        make_late(referral, caseworker, 1)
    referral_officer.time_zone = zone
    referral_officer.save(update_fields=["time_zone"])
    browser = client_as(referral_officer)
    mine = section(page(browser.get(HOME)), "referral_officer")
    number, address = count_link(mine, "overdue")
    assert number == (1 if overdue else 0)
    assert inbox_rows(browser, address) == ([str(referral.pk)] if overdue else [])
    assert (f'<tr class="overdue" data-referral="{referral.pk}">' in mine) is overdue
