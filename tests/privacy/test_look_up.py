"""The DPO's "who looked at this client last week?": a look-up by name on the
data-protection page, linked to the client's "who accessed" page and its
data-protection page, and that page's period filter. Tried as the DPO, a
supervisor, a caseworker (403), another agency's DPO and a stranger (nothing)."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog
from accounts.permissions import Role
from privacy.forms import days_back
from tests.factories import make_client, make_member
from tests.helpers import page

pytestmark = pytest.mark.django_db

INDEX = reverse("privacy:data_protection")
LOG = reverse("privacy:access_log")


def accesses_url(client) -> str:
    return reverse("privacy:client_accesses", args=[client.pk])


def protection_url(client) -> str:
    return reverse("privacy:client_data_protection", args=[client.pk])


def rows_of(html: str) -> list[str]:
    if "<tbody>" not in html:
        return []
    tbody = html.rsplit("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr.*?</tr>", tbody, re.S)


@pytest.fixture
def rezaei(caseworker):
    return make_client(caseworker, name="علی رضایی", name_latin="Ali Rezaei")


@pytest.fixture
def namesake_elsewhere(other_agency):
    """A client of another agency with the same name."""
    worker = make_member(other_agency, Role.CASEWORKER)
    return make_client(worker, agency=other_agency, name="علی رضایی", name_latin="Ali Rezaei")


@pytest.fixture
def other_dpo(other_agency):
    return make_member(other_agency, Role.DPO, display_name="Other DPO")


# --- The look-up --------------------------------------------------------------------


@pytest.mark.parametrize("query", ["Rezaei", "rezaei ali", "رضایی"])
def test_the_dpo_finds_own_clients_by_name_in_any_script(
    client_as, dpo, rezaei, namesake_elsewhere, client_record, query
):
    response = client_as(dpo).get(INDEX, {"q": query})
    assert response.status_code == 200
    html = page(response)
    rows = rows_of(html)
    assert len(rows) == 1
    (row,) = rows
    assert "Ali Rezaei" in row and "علی رضایی" in row
    # Both ways on: who accessed it (the last 7 days, or all) and its data-protection page.
    assert f'href="{accesses_url(rezaei)}?since={days_back(7).isoformat()}"' in row
    assert f'href="{accesses_url(rezaei)}"' in row
    assert protection_url(rezaei) in row
    # Never the other agency's namesake, nor the client who does not match.
    assert str(namesake_elsewhere.pk) not in html
    assert str(client_record.pk) not in html


def test_the_unsearched_list_still_shows_no_names(client_as, dpo, rezaei):
    html = page(client_as(dpo).get(INDEX))
    assert str(rezaei.pk) in html
    assert "Rezaei" not in html and "رضایی" not in html


def test_the_look_up_is_recorded_without_the_name(client_as, dpo, rezaei):
    web = client_as(dpo)
    before = AccessLog.objects.count()
    web.get(INDEX, {"q": "Rezaei"})
    rows = list(AccessLog.objects.order_by("id")[before:])
    assert [(row.action, row.object_type, row.actor_id) for row in rows] == [
        ("search", "casework.client", dpo.pk)
    ]
    stored = " ".join(str(value) for value in vars(rows[0]).values())
    assert "Rezaei" not in stored and "q=" not in stored


def test_the_result_links_do_not_carry_the_name(client_as, dpo, rezaei):
    html = page(client_as(dpo).get(INDEX, {"q": "Rezaei"}))
    (row,) = rows_of(html)
    for href in re.findall(r'href="([^"]+)"', row):
        assert "Rezaei" not in href and "q=" not in href


def test_a_supervisor_finds_own_clients_too(client_as, supervisor, rezaei):
    (row,) = rows_of(page(client_as(supervisor).get(INDEX, {"q": "Rezaei"})))
    assert accesses_url(rezaei) in row


def test_a_caseworker_may_not_look_up(client_as, caseworker, rezaei):
    assert client_as(caseworker).get(INDEX, {"q": "Rezaei"}).status_code == 403


def test_another_agencys_dpo_finds_only_their_own(client_as, other_dpo, rezaei, namesake_elsewhere):
    html = page(client_as(other_dpo).get(INDEX, {"q": "Rezaei"}))
    assert str(namesake_elsewhere.pk) in html
    assert str(rezaei.pk) not in html


def test_a_stranger_finds_nothing(client_as, outsider, rezaei):
    response = client_as(outsider).get(INDEX, {"q": "Rezaei"})
    assert response.status_code == 403
    assert str(rezaei.pk) not in page(response) and "علی" not in page(response)


def test_the_access_log_page_offers_the_look_up(client_as, dpo):
    html = page(client_as(dpo).get(LOG))
    form = html.split('class="card search look-up"', 1)[1].split("</form>", 1)[0]
    assert f'action="{INDEX}"' in form and 'name="q"' in form


# --- The client's pages link to each other --------------------------------------------


def test_the_data_protection_page_links_to_who_accessed(client_as, dpo, rezaei):
    html = page(client_as(dpo).get(protection_url(rezaei)))
    assert f'href="{accesses_url(rezaei)}?since={days_back(7).isoformat()}"' in html
    assert f'href="{accesses_url(rezaei)}"' in html


def test_who_accessed_links_back_to_data_protection(client_as, dpo, rezaei):
    html = page(client_as(dpo).get(accesses_url(rezaei)))
    assert protection_url(rezaei) in html


# --- "Who looked at this client last week?" ---------------------------------------------


def test_who_looked_last_week_in_two_clicks_from_the_landing_page(
    client, client_as, caseworker, supervisor, dpo, rezaei
):
    """The DPO lands on the data-protection page, types the name and presses
    Find (click 1), then follows "Last 7 days" on the client's row (click 2)."""
    long_ago = timezone.now() - timedelta(days=30)
    client.force_login(supervisor)
    with mock.patch("django.utils.timezone.now", return_value=long_ago):
        assert client.get(reverse("casework:client_detail", args=[rezaei.pk])).status_code == 200
    client.force_login(caseworker)
    assert client.get(reverse("casework:client_detail", args=[rezaei.pk])).status_code == 200

    web = client_as(dpo)
    landing = web.get(INDEX)
    assert landing.status_code == 200
    results = page(web.get(INDEX, {"q": "Rezaei"}))  # click 1: Find
    (row,) = rows_of(results)
    last_week = re.search(r'href="([^"]+\?since=[^"]+)"', row).group(1)
    response = web.get(last_week.replace("&amp;", "&"))  # click 2: Last 7 days
    assert response.status_code == 200
    shown = rows_of(page(response))
    assert len(shown) == 1
    assert caseworker.display_name in shown[0]
    assert supervisor.display_name not in page(response).split('id="accesses"', 1)[1]
    # Every access, the supervisor's of a month ago too.
    everything = page(web.get(accesses_url(rezaei)))
    assert supervisor.display_name in everything and caseworker.display_name in everything


def test_the_period_filter_of_who_accessed(client_as, caseworker, dpo, rezaei):
    client_as(caseworker).get(reverse("casework:client_detail", args=[rezaei.pk]))
    web = client_as(dpo)
    today = timezone.now().date()
    assert len(rows_of(page(web.get(accesses_url(rezaei), {"since": str(today)})))) >= 1
    later = page(web.get(accesses_url(rezaei), {"since": str(today + timedelta(days=1))}))
    assert rows_of(later) == [] and "No access recorded in this period." in later
    assert rows_of(page(web.get(accesses_url(rezaei), {"until": str(today - timedelta(1))}))) == []
    wrong = web.get(accesses_url(rezaei), {"since": str(today), "until": "2020-01-01"})
    assert wrong.status_code == 400
    assert "The end of the period is before its start." in page(wrong)


def test_the_period_filter_on_a_case(client_as, caseworker, dpo, case):
    client_as(caseworker).get(reverse("casework:case_detail", args=[case.pk]))
    web = client_as(dpo)
    url = reverse("privacy:case_accesses", args=[case.pk])
    assert rows_of(page(web.get(url, {"since": str(days_back(7))})))
    assert rows_of(page(web.get(url, {"since": str(timezone.now().date() + timedelta(1))}))) == []


def test_who_accessed_answers_as_before_for_the_others(
    client_as, caseworker, other_dpo, outsider, rezaei
):
    since = {"since": str(days_back(7))}
    assert client_as(caseworker).get(accesses_url(rezaei), since).status_code == 403
    assert client_as(other_dpo).get(accesses_url(rezaei), since).status_code == 404
    assert client_as(outsider).get(accesses_url(rezaei), since).status_code == 404
