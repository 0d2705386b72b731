"""The audit pages: the DPO's access log (filters, pages, the chain's verdict
on a POST) and "who accessed this" on a client and a case, tried as the DPO,
a supervisor, a caseworker and a stranger."""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import access_log
from accounts.models import AccessLog
from accounts.permissions import Role
from privacy.services import break_glass
from tests.factories import agree_emergency_access, make_consent, make_member, make_referral
from tests.helpers import page

pytestmark = pytest.mark.django_db

LOG = reverse("privacy:access_log")
VERIFY = reverse("privacy:access_log_verify")


def client_accesses(client) -> str:
    return reverse("privacy:client_accesses", args=[client.pk])


def case_accesses(case) -> str:
    return reverse("privacy:case_accesses", args=[case.pk])


def table_rows(response) -> list[str]:
    """The rows of the page's last table (the accesses), as HTML; none without a table."""
    content = page(response)
    if "<tbody>" not in content:
        return []
    tbody = content.rsplit("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr.*?</tr>", tbody, re.S)


@pytest.fixture
def packet_page_viewed(client, caseworker, case, partner_agency, referral_officer):
    """The partner's referral officer has read the client's packet (web page)."""
    make_consent(caseworker, case.client, recipient_agencies=[partner_agency])
    referral = make_referral(caseworker, case, partner_agency)
    client.force_login(referral_officer)
    assert client.get(reverse("referrals:packet", args=[referral.pk])).status_code == 200
    client.logout()
    return referral


@pytest.fixture
def case_page_viewed(client, caseworker, case):
    client.force_login(caseworker)
    assert client.get(reverse("casework:case_detail", args=[case.pk])).status_code == 200
    client.logout()


# --- The DPO's access log ------------------------------------------------------------------


def test_dpo_sees_the_log_with_staff_names_and_ids_only(
    client_as, dpo, caseworker, case_page_viewed, case
):
    response = client_as(dpo).get(LOG)
    assert response.status_code == 200
    content = page(response)
    assert "Layla Caseworker" in content and caseworker.email in content
    assert str(case.pk) in content and str(case.client_id) in content
    assert "Amal Refugee Support" in content and "Caseworker" in content
    assert "127.0.0.1" in content
    # Ids link to the record's accesses; the client's name is not on the page.
    assert client_accesses(case.client) in content and case_accesses(case) in content
    assert case.client.name not in content and case.client.name_latin not in content


def test_the_dpo_page_is_linked_in_the_navigation_for_the_dpo_only(
    client_as, dpo, supervisor, caseworker
):
    assert f'href="{LOG}"' in page(client_as(dpo).get(reverse("accounts:home")))
    for person in (supervisor, caseworker):
        assert f'href="{LOG}"' not in page(client_as(person).get(reverse("accounts:home")))


@pytest.mark.parametrize("persona", ["supervisor", "caseworker", "agency_admin", "outsider"])
def test_only_the_dpo_opens_the_log(client_as, request, persona):
    response = client_as(request.getfixturevalue(persona)).get(LOG)
    assert response.status_code == 403
    assert "<table" not in page(response)


def test_the_log_needs_a_login(client):
    response = client.get(LOG)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_filters(client_as, dpo, caseworker, supervisor, case, case_page_viewed, client):
    client.force_login(supervisor)
    client.get(reverse("casework:client_detail", args=[case.client_id]))
    client.get(reverse("casework:case_list"))
    web = client_as(dpo)

    def shown(**params) -> list[str]:
        response = web.get(LOG, params)
        assert response.status_code == 200, page(response)
        return table_rows(response)

    by_caseworker = shown(user=str(caseworker.pk))
    assert by_caseworker and all("Layla Caseworker" in row for row in by_caseworker)
    listed = shown(action="list")
    assert listed and all(">List<" in row for row in listed)
    about_case = shown(case=str(case.pk))
    assert len(about_case) == 1 and "Layla Caseworker" in about_case[0]
    about_client = shown(client=str(case.client_id))
    assert len(about_client) == 2  # the case page and the client page
    assert len(shown(agency=str(dpo.memberships.get().agency_id), action="view")) == 2
    today = timezone.now().date()
    assert len(shown(since=str(today), until=str(today), action="view")) == 2
    assert shown(until=str(today - timedelta(days=1))) == []
    assert shown(since=str(today + timedelta(days=1))) == []


def test_the_user_filter_lists_the_agency_members(client_as, dpo, caseworker, referral_officer):
    content = page(client_as(dpo).get(LOG))
    select = content.split('name="user"', 1)[1].split("</select>", 1)[0]
    assert f'value="{caseworker.pk}"' in select and caseworker.email in select
    assert str(referral_officer.pk) not in select  # another agency's staff


def test_bad_filters_are_a_400_naming_the_field(client_as, dpo):
    response = client_as(dpo).get(LOG, {"client": "not-an-id", "since": "2026-02-01"})
    assert response.status_code == 400
    assert 'id="id_client_error"' in page(response)
    response = client_as(dpo).get(LOG, {"since": "2026-02-02", "until": "2026-02-01"})
    assert response.status_code == 400


def test_the_dpo_reading_the_log_is_itself_logged(client_as, dpo, case):
    before = AccessLog.objects.count()
    client_as(dpo).get(LOG, {"client": str(case.client_id)})
    row = AccessLog.objects.exclude(action="login").latest("id")
    assert AccessLog.objects.count() == before + 2  # the login, then the read
    assert (row.action, row.object_type, row.client_id) == (
        "search",
        "accounts.accesslog",
        case.client_id,
    )


def test_pages_follow_the_cursor(client_as, dpo, caseworker, settings):
    for number in range(55):
        access_log.append(
            actor_id=caseworker.pk,
            agency_id=dpo.memberships.get().agency_id,
            action="view",
            object_type="casework.case",
            object_id=str(number),
        )
    web = client_as(dpo)
    first = web.get(LOG, {"action": "view"})
    assert len(table_rows(first)) == 50
    cursor = re.search(r'href="\?action=view&amp;after=([^"]+)" rel="next"', page(first)).group(1)
    second = web.get(LOG, {"action": "view", "after": cursor})
    assert len(table_rows(second)) == 5
    assert ">0</code>" in page(second) and ">54</code>" in page(first)


# --- The chain's verdict -------------------------------------------------------------------


def test_the_verdict_is_computed_only_when_asked(client_as, dpo, case_page_viewed, monkeypatch):
    calls = []
    real = access_log.verify
    monkeypatch.setattr(access_log, "verify", lambda: calls.append(1) or real())
    web = client_as(dpo)
    content = page(web.get(LOG))
    assert calls == [] and "Verify the chain" in content
    assert f'<form method="post" action="{VERIFY}"' in content
    # A GET, even with the old ?verify=1, walks nothing.
    web.get(LOG, {"verify": "1"})
    assert calls == []
    rows = AccessLog.objects.count()  # the page's own row comes after the walk
    response = web.post(VERIFY, follow=True)
    assert calls == [1]
    assert response.redirect_chain == [(LOG, 302)]
    assert f"Intact, {rows} rows" in page(response)


def test_a_broken_chain_names_the_first_broken_row(client_as, dpo, case_page_viewed):
    web = client_as(dpo)
    victim = AccessLog.objects.filter(action="view").first()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE accounts_accesslog SET object_id = %s WHERE id = %s", ["forged", victim.pk]
        )
    content = page(web.post(VERIFY, follow=True))
    assert "Broken" in content
    assert f"The first broken link is row {victim.pk} (chain {victim.chain}" in content
    assert "the row was changed after it was written" in content


# --- Who accessed this -----------------------------------------------------------------------


def test_the_case_page_links_to_its_accesses_for_supervisors_only(
    client_as, supervisor, caseworker, case
):
    case_page = reverse("casework:case_detail", args=[case.pk])
    assert case_accesses(case) in page(client_as(supervisor).get(case_page))
    assert case_accesses(case) not in page(client_as(caseworker).get(case_page))
    client_page = reverse("casework:client_detail", args=[case.client_id])
    assert client_accesses(case.client) in page(client_as(supervisor).get(client_page))
    assert client_accesses(case.client) not in page(client_as(caseworker).get(client_page))


@pytest.mark.parametrize("persona", ["supervisor", "dpo"])
def test_supervisor_and_dpo_see_who_accessed(client_as, request, persona, case, case_page_viewed):
    web = client_as(request.getfixturevalue(persona))
    for address in (case_accesses(case), client_accesses(case.client)):
        response = web.get(address)
        assert response.status_code == 200
        [row] = [row for row in table_rows(response) if "Layla Caseworker" in row]
        assert ">View<" in row and "Caseworker" in row and "Allowed" in row
        assert "access-outside" not in row and "Other agency" not in row


def test_the_dpo_cannot_open_the_case_but_sees_its_accesses(client_as, dpo, case, case_page_viewed):
    web = client_as(dpo)
    assert web.get(reverse("casework:case_detail", args=[case.pk])).status_code == 404
    response = web.get(case_accesses(case))
    assert response.status_code == 200
    assert f'href="{reverse("casework:case_detail", args=[case.pk])}"' not in page(response)


@pytest.mark.parametrize("persona", ["caseworker"])
def test_members_without_the_permission_get_403(client_as, request, persona, case):
    web = client_as(request.getfixturevalue(persona))
    assert web.get(case_accesses(case)).status_code == 403
    assert web.get(client_accesses(case.client)).status_code == 403


def test_strangers_get_404(client_as, outsider, referral_officer, agency_admin, case):
    for person in (outsider, referral_officer, agency_admin):
        web = client_as(person)
        assert web.get(case_accesses(case)).status_code == 404
        assert web.get(client_accesses(case.client)).status_code == 404
    assert client_as(outsider).get(f"/cases/{uuid.uuid4()}/accesses/").status_code == 404


def test_a_partner_reading_the_packet_is_flagged(
    client_as, supervisor, case, case_page_viewed, packet_page_viewed
):
    response = client_as(supervisor).get(client_accesses(case.client))
    [partner_row] = [row for row in table_rows(response) if "Chiara Referrals" in row]
    assert 'class="access-outside' in partner_row
    assert "Other agency" in partner_row  # not colour only
    assert "Casa Comune" in partner_row and "Referral officer" in partner_row
    assert "referral packet" in partner_row
    own = [row for row in table_rows(response) if "Layla Caseworker" in row]
    assert own and all("Other agency" not in row for row in own)


def test_the_case_page_lists_break_the_glass(
    client_as, client, supervisor, dpo, case, other_agency
):
    stranger = make_member(other_agency, Role.SUPERVISOR, display_name="Rami Emergency")
    agree_emergency_access(case.agency, other_agency)
    break_glass(actor=stranger, case_id=case.pk, reason="Child at risk tonight")
    client.force_login(stranger)
    assert client.get(reverse("casework:case_detail", args=[case.pk])).status_code == 200
    for person in (supervisor, dpo):
        response = client_as(person).get(case_accesses(case))
        section = page(response).split('id="break-glass"', 1)[1].split("</section>", 1)[0]
        assert "Rami Emergency" in section and "Child at risk tonight" in section
        assert "Active now" in section and "Other agency" in section
        flagged = [row for row in table_rows(response) if "Rami Emergency" in row]
        assert {">View<" in row for row in flagged} >= {True}
        assert all("Other agency" in row for row in flagged)
    # The client page lists accesses, not the case's emergency openings.
    assert 'id="break-glass"' not in page(client_as(supervisor).get(client_accesses(case.client)))


def test_a_case_without_break_the_glass_says_so(client_as, supervisor, case):
    content = page(client_as(supervisor).get(case_accesses(case)))
    assert "Nobody has broken the glass to open this case." in content


def test_the_accesses_pages_do_not_show_the_clients_name(client_as, dpo, case, case_page_viewed):
    # The DPO sees audit data, not case content (DESIGN §5): ids, not names.
    for address in (case_accesses(case), client_accesses(case.client)):
        content = page(client_as(dpo).get(address))
        assert str(case.client_id) in content
        assert case.client.name not in content and case.client.name_latin not in content
