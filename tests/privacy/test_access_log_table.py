"""The access-log table as people read it: the browser and system of a user
agent in a few words (the full one on demand), record types in words, ids
shortened (the whole id kept in the page), and every column, the outcome too,
in a table of eight columns."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from privacy.labels import record_type_label, short_user_agent
from tests.helpers import page

pytestmark = pytest.mark.django_db

LOG = reverse("privacy:access_log")
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize(
    ("user_agent", "short"),
    [
        (FIREFOX_LINUX, "Firefox · Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36",
            "Chrome · Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
            "Edge · Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari · iOS",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            "Safari · macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            "Samsung Internet · Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome · Android",
        ),
        ("curl/8.5.0", "curl"),
        ("python-requests/2.32.3", "Python requests"),
        ("SanadSync/1.2 (+https://example.org)", "SanadSync"),
        ("", ""),
    ],
)
def test_short_user_agent(user_agent, short):
    assert short_user_agent(user_agent) == short


@pytest.mark.parametrize(
    ("object_type", "words"),
    [
        ("casework.client", "client"),
        ("casework.case", "case"),
        ("referrals.referralpacket", "referral packet"),
        ("accounts.accesslog", "access log"),
        ("casework.legalhold", "legal hold"),  # moved to privacy; old rows keep the code
        ("case", "case"),  # a refused request names the record by its address
        ("follow_up", "follow-up"),
        ("nowhere.nothing", "nowhere.nothing"),
        ("", ""),
    ],
)
def test_record_types_in_words(object_type, words):
    with translation.override("en"):
        assert record_type_label(object_type) == words


def test_record_types_in_the_readers_language():
    with translation.override("fr"):
        assert record_type_label("casework.case") == "dossier"
        assert record_type_label("referrals.referralpacket") == "dossier transmis"


def _log_rows(html: str) -> list[str]:
    tbody = html.split('class="history access-log"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr.*?</tr>", tbody, re.S)


def test_the_dpo_reads_the_log_in_words(client, client_as, caseworker, dpo, case):
    client.force_login(caseworker)
    response = client.get(
        reverse("casework:client_detail", args=[case.client_id]),
        headers={"user-agent": FIREFOX_LINUX},
    )
    assert response.status_code == 200
    html = page(client_as(dpo).get(LOG, {"action": "view"}))
    header = html.split('class="history access-log"', 1)[1].split("</thead>", 1)[0]
    assert header.count('<th scope="col"') == 8 and "Outcome" in header
    (row,) = [row for row in _log_rows(html) if caseworker.display_name in row]
    # The user agent: short, with the full one in a <details>.
    assert '<details class="user-agent"><summary>' in row
    assert "Firefox · Linux</summary>" in row and FIREFOX_LINUX in row
    # The record type in words; the code only in a title.
    assert ">client</span>" in row and ">casework.client<" not in row
    # Ids shortened but whole in the page, linked to who accessed the client.
    assert f'<code class="record-id-short" dir="ltr">{case.client_id}</code>' in row
    assert reverse("privacy:client_accesses", args=[case.client_id]) in row
    assert 'class="record-id"' not in row
    assert "badge-outcome-ok" in row


def test_who_accessed_shows_the_device_and_the_record_type(
    client, client_as, caseworker, supervisor, case
):
    client.force_login(caseworker)
    client.get(
        reverse("casework:case_detail", args=[case.pk]), headers={"user-agent": FIREFOX_LINUX}
    )
    html = page(client_as(supervisor).get(reverse("privacy:case_accesses", args=[case.pk])))
    tbody = html.rsplit("<tbody>", 1)[1]
    assert "Firefox · Linux</summary>" in tbody and FIREFOX_LINUX in tbody
    assert "case</span>" in tbody
