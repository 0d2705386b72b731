"""Days and times in the reader's zone on the privacy pages: the access log's
and "who accessed this" "from"/"to" days are the viewer's days, not UTC days,
and the break-the-glass confirmation says until when in the viewer's time
with its zone. A DPO in Europe/Rome (CET in January, UTC+1) filtering 15
January sees an access at 23:30 their time (22:30 UTC) and one at 00:30 that
morning (23:30 UTC the day before), not one at 00:30 on the 16th."""

import re
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from privacy import services as protection
from privacy.forms import days_back
from tests.helpers import page

pytestmark = pytest.mark.django_db

ROME = "Europe/Rome"
# 00:30 on 15 January in Rome, 23:30 that night in Rome, 00:30 on 16 January in Rome.
EARLY_15TH = datetime(2026, 1, 14, 23, 30, tzinfo=UTC)
LATE_15TH = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)
EARLY_16TH = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
DAY = {"since": "2026-01-15", "until": "2026-01-15"}


@pytest.fixture
def exports(dpo, client_record):
    """Three subject-access exports of the client, at the three moments."""
    for moment in (EARLY_15TH, LATE_15TH, EARLY_16TH):
        with mock.patch("django.utils.timezone.now", return_value=moment):
            protection.subject_access_export(dpo, client_record.pk)


def times_shown(html: str) -> list[str]:
    """The times of the rows of the page's last table, as shown."""
    tbody = html.rsplit("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr.*?</tr>", tbody, re.S)
    return [
        re.search(r'<time datetime="[^"]+" dir="ltr">([^<]+)</time>', row).group(1) for row in rows
    ]


def test_a_dpo_in_rome_filters_the_access_log_by_rome_days(client_as, dpo, exports):
    account_services.set_time_zone(actor=dpo, time_zone=ROME)
    response = client_as(dpo).get(reverse("privacy:access_log"), {**DAY, "action": "export"})
    assert response.status_code == 200
    assert times_shown(page(response)) == ["2026-01-15 23:30:00 CET", "2026-01-15 00:30:00 CET"]


def test_who_accessed_a_client_uses_the_readers_days(
    client_as, dpo, supervisor, client_record, exports
):
    account_services.set_time_zone(actor=supervisor, time_zone=ROME)
    address = reverse("privacy:client_accesses", args=[client_record.pk])
    shown = times_shown(page(client_as(supervisor).get(address, DAY)))
    assert shown == ["2026-01-15 23:30:00 CET", "2026-01-15 00:30:00 CET"]
    # "To" alone ends with the reader's day too: the 16th's early access is after it.
    until = times_shown(page(client_as(supervisor).get(address, {"until": "2026-01-15"})))
    assert "2026-01-16 00:30:00 CET" not in until and "2026-01-15 23:30:00 CET" in until


def test_a_utc_reader_filters_by_utc_days(client_as, dpo, exports):
    # The agency's zone is UTC and the DPO chose none: the same day is another period.
    response = client_as(dpo).get(reverse("privacy:access_log"), {**DAY, "action": "export"})
    assert times_shown(page(response)) == ["2026-01-15 23:30:00 UTC", "2026-01-15 22:30:00 UTC"]


def test_the_form_labels_no_longer_say_utc(client_as, dpo):
    html = page(client_as(dpo).get(reverse("privacy:access_log")))
    form = html.split('<form method="get" class="card filters"', 1)[1].split("</form>", 1)[0]
    assert '<label for="id_since">From</label>' in form
    assert '<label for="id_until">To (inclusive)</label>' in form
    assert "UTC" not in form


def test_the_last_7_days_end_today_in_the_readers_zone():
    # 23:30 UTC on the 15th is already the 16th in Rome.
    with mock.patch("django.utils.timezone.now", return_value=EARLY_16TH):
        with timezone.override(ROME):
            assert days_back(1).isoformat() == "2026-01-16"
            assert days_back(7).isoformat() == "2026-01-10"
        with timezone.override("UTC"):
            assert days_back(1).isoformat() == "2026-01-15"


# --- The break-the-glass confirmation ---------------------------------------------------------


def break_glass_message(web, case, moment) -> str:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        response = web.post(
            reverse("privacy:break_glass"),
            {"case_number": case.number, "reason": "Client unconscious in hospital"},
        )
    assert response.status_code == 302
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    return message


def test_break_the_glass_says_until_when_in_the_readers_time(
    client_as, foreign_supervisor, case, agreement
):
    account_services.set_time_zone(actor=foreign_supervisor, time_zone=ROME)
    # 10:00 UTC in January: the access ends at 13:00 UTC, 14:00 in Rome.
    message = break_glass_message(
        client_as(foreign_supervisor), case, datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    )
    assert f"You opened case {case.number} in an emergency, read-only, until 14:00 CET." in message
    assert "UTC" not in message


def test_break_the_glass_names_the_day_when_it_ends_tomorrow(
    client_as, foreign_supervisor, case, agreement
):
    account_services.set_time_zone(actor=foreign_supervisor, time_zone=ROME)
    # 22:00 UTC is 23:00 in Rome: three hours later it is 02:00 on the 16th there.
    message = break_glass_message(
        client_as(foreign_supervisor), case, datetime(2026, 1, 15, 22, 0, tzinfo=UTC)
    )
    assert "until 2026-01-16 02:00 CET." in message
    expires = case.break_glass.get().expires_at
    assert expires == datetime(2026, 1, 16, 1, 0, tzinfo=UTC)
