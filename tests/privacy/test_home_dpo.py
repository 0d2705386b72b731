"""The DPO's section of the home page: emergency accesses running on the
agency's cases, clients under a legal hold, erasures and subject-access
exports of the last 30 days, the access log's last verdict and checkpoint,
and the look-up of who accessed a client. Each count equals the rows of the
list it links to; a DPO of another agency sees only theirs; a caseworker, a
supervisor and an agency admin see no such section."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts import access_log
from accounts.models import AccessLog
from accounts.permissions import Role
from privacy import services as protection
from privacy.models import AccessLogVerification
from tests.factories import agree_emergency_access, make_case, make_client, make_member
from tests.helpers import page

pytestmark = pytest.mark.django_db

HOME = reverse("accounts:home")
SECTION = 'id="home-dpo-heading"'


@pytest.fixture
def other_dpo(other_agency):
    return make_member(other_agency, Role.DPO, display_name="Other DPO")


def section_of(html: str) -> str:
    assert SECTION in html
    return html.split('<section class="home-section home-dpo"', 1)[1]


def count_of(html: str, name: str) -> tuple[int, str]:
    """The number a home count shows and where it links."""
    found = re.search(rf'<a href="([^"]*)" data-count="{name}"[^>]*><strong>(\d+)</strong>', html)
    assert found, name
    return int(found.group(2)), found.group(1).replace("&amp;", "&")


def body_rows(html: str) -> list[str]:
    """The rows of the last table body of ``html``."""
    if "<tbody>" not in html:
        return []
    tbody = html.rsplit("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr.*?</tr>", tbody, re.S)


def break_glass_rows(html: str) -> list[str]:
    return re.findall(r"<tr data-break-glass=.*?</tr>", html, re.S)


# --- Who sees the section ------------------------------------------------------------------


def test_the_dpo_sees_the_section_and_no_one_else_does(
    client_as, dpo, caseworker, supervisor, agency_admin, outsider
):
    assert SECTION in page(client_as(dpo).get(HOME))
    for person in (caseworker, supervisor, agency_admin, outsider):
        response = client_as(person).get(HOME)
        assert response.status_code == 200
        assert SECTION not in page(response), person.display_name


def test_the_section_reads_no_client_and_is_not_recorded(client_as, dpo, case):
    before = set(AccessLog.objects.values_list("pk", flat=True))
    response = client_as(dpo).get(HOME)
    assert response.status_code == 200
    written = AccessLog.objects.exclude(pk__in=before)
    assert not written.filter(object_type__in=["casework.client", "accounts.accesslog"]).exists()
    section = section_of(page(response))
    assert case.client.name not in section and case.client.name_latin not in section


# --- Emergency accesses running ------------------------------------------------------------


def test_running_emergency_accesses_of_the_agency_are_listed_and_counted(
    client_as, dpo, other_dpo, supervisor, foreign_supervisor, case, agency, other_agency, outsider
):
    agree_emergency_access(agency, other_agency)
    running = protection.break_glass(
        actor=foreign_supervisor, case_id=case.pk, reason="Child at risk tonight"
    )
    # Another of the agency's cases, opened earlier and ended: not running.
    ended_case = make_case(supervisor)
    ended = protection.break_glass(actor=foreign_supervisor, case_id=ended_case.pk, reason="Once")
    ended.expires_at = timezone.now() - timedelta(minutes=1)
    ended.save(update_fields=["expires_at"])
    # The other agency's case, opened by the agency's supervisor: the other DPO's.
    agree_emergency_access(other_agency, agency)
    theirs = make_case(outsider)
    protection.break_glass(actor=supervisor, case_id=theirs.pk, reason="Emergency there")

    html = section_of(page(client_as(dpo).get(HOME)))
    count, link = count_of(html, "break_glass")
    assert link == "#home-dpo-break-glass" and 'id="home-dpo-break-glass"' in html
    rows = break_glass_rows(html)
    assert count == len(rows) == 1
    (row,) = rows
    assert f'data-break-glass="{running.pk}"' in row
    assert foreign_supervisor.display_name in row and "Other agency" in row
    assert case.number in row
    assert reverse("privacy:case_accesses", args=[case.pk]) + "#break-glass" in row
    assert 'data-label="Until"' in row and 'data-label="Case"' in row
    # Who, which case, since and until: never the client, nor the reason.
    assert case.client.name not in html and case.client.name_latin not in html
    assert "Child at risk tonight" not in html
    assert ended_case.number not in html and theirs.number not in html

    theirs_html = section_of(page(client_as(other_dpo).get(HOME)))
    count, _ = count_of(theirs_html, "break_glass")
    (row,) = break_glass_rows(theirs_html)
    assert count == 1 and theirs.number in row and supervisor.display_name in row
    assert case.number not in theirs_html


def test_without_running_accesses_the_section_says_so(client_as, dpo):
    html = section_of(page(client_as(dpo).get(HOME)))
    assert count_of(html, "break_glass")[0] == 0
    assert "Nobody has broken the glass on your agency's cases right now." in html


# --- Legal holds -------------------------------------------------------------------------


def test_clients_under_a_legal_hold_count_the_rows_they_link_to(
    client_as, dpo, other_dpo, caseworker, case, outsider
):
    twice = case.client
    protection.place_legal_hold(actor=dpo, client_id=twice.pk, reason="Court case")
    protection.place_legal_hold(actor=dpo, client_id=twice.pk, case_id=case.pk, reason="Appeal")
    once = make_client(caseworker, name_latin="Amina Yusuf")
    protection.place_legal_hold(actor=dpo, client_id=once.pk, reason="Investigation")
    released_client = make_client(caseworker, name_latin="Released Person")
    released = protection.place_legal_hold(actor=dpo, client_id=released_client.pk, reason="Over")
    protection.release_legal_hold(actor=dpo, hold_id=released.pk)
    make_client(caseworker, name_latin="Never Held")
    theirs = make_client(outsider)
    protection.place_legal_hold(actor=other_dpo, client_id=theirs.pk, reason="Theirs")

    web = client_as(dpo)
    count, link = count_of(section_of(page(web.get(HOME))), "legal_holds")
    assert count == 2
    assert link == reverse("privacy:data_protection") + "?held=on"
    response = web.get(link)
    assert response.status_code == 200
    rows = body_rows(page(response))
    assert len(rows) == count
    listed = " ".join(rows)
    assert str(twice.pk) in listed and str(once.pk) in listed
    assert str(released_client.pk) not in listed and str(theirs.pk) not in listed
    # The list says it is filtered and leads back to every client.
    assert 'name="held"' in page(response) and "checked" in page(response)
    assert "Show every client" in page(response)

    other = client_as(other_dpo)
    count, link = count_of(section_of(page(other.get(HOME))), "legal_holds")
    rows = body_rows(page(other.get(link)))
    assert count == len(rows) == 1 and str(theirs.pk) in rows[0]


def test_no_client_under_a_hold_says_so(client_as, dpo, case):
    web = client_as(dpo)
    count, link = count_of(section_of(page(web.get(HOME))), "legal_holds")
    assert count == 0
    assert "No client of your agency is under a legal hold." in page(web.get(link))


# --- Erasures and subject-access exports -------------------------------------------------


def test_erasures_and_exports_of_the_last_30_days_count_the_log_rows_they_link_to(
    client_as, dpo, other_dpo, caseworker, case, outsider
):
    exported = [case.client, make_client(caseworker, name_latin="Amina Yusuf")]
    for client in exported:
        protection.subject_access_export(dpo, client.pk)
    erased = make_client(caseworker, name_latin="Erased Person")
    protection.erase_client(actor=dpo, client_id=erased.pk, reason="Request of 2 March")
    # Before the period: an export 40 days ago.
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=40)):
        protection.subject_access_export(dpo, case.client.pk)
    # Another agency's export: its DPO's.
    theirs = make_client(outsider)
    protection.subject_access_export(other_dpo, theirs.pk)

    web = client_as(dpo)
    html = section_of(page(web.get(HOME)))
    for name, action, expected in (
        ("subject_access_exports", "export", 2),
        ("erasures", "erasure", 1),
    ):
        count, link = count_of(html, name)
        assert count == expected, name
        assert link.startswith(reverse("privacy:access_log") + "?")
        assert f"action={action}" in link
        response = web.get(link)
        assert response.status_code == 200
        rows = body_rows(page(response))
        assert len(rows) == count, name
    assert "Sanad keeps no queue of requests" in html

    other_html = section_of(page(client_as(other_dpo).get(HOME)))
    count, link = count_of(other_html, "subject_access_exports")
    assert count == len(body_rows(page(client_as(other_dpo).get(link)))) == 1
    assert count_of(other_html, "erasures")[0] == 0


# --- The access log's last verdict ---------------------------------------------------------


def test_the_last_verdict_is_kept_and_shown(client_as, dpo, other_dpo, as_user, case):
    web = client_as(dpo)
    html = section_of(page(web.get(HOME)))
    assert 'data-verdict="none"' in html
    assert "The access log has not been verified yet." in html
    assert "No checkpoint yet." in html
    verify = reverse("privacy:access_log_verify")
    form = re.search(rf'<form method="post" action="{verify}"(.*?)</form>', html, re.S)
    assert form and 'name="csrfmiddlewaretoken"' in form.group(1)
    assert "Verify the chain" in form.group(1)

    # The DPO verifies from the home: the verdict is kept with who asked.
    response = web.post(verify)
    assert response.status_code == 302 and response["Location"] == reverse("privacy:access_log")
    kept = AccessLogVerification.objects.get()
    assert kept.intact and kept.verified_by == dpo and kept.rows > 0
    html = section_of(page(web.get(HOME)))
    assert 'data-verdict="intact"' in html
    assert f"Verified by {dpo.display_name}." in html
    assert re.search(r"Last verified <time[^>]*>[^<]*</time>: intact\.", html)
    # The whole log's row count (every agency's) is not on the home.
    assert f"{kept.rows} row" not in html
    # The same verdict on another agency's DPO's home (the log is one), without our DPO's name.
    other_html = section_of(page(client_as(other_dpo).get(HOME)))
    assert 'data-verdict="intact"' in other_html
    assert dpo.display_name not in other_html
    assert "Verified by another agency's data protection officer." in other_html

    # The API's POST is kept too; its GET is not.
    assert as_user(dpo).get("/api/v1/audit/access-log/verify/").status_code == 200
    assert AccessLogVerification.objects.count() == 1
    assert as_user(dpo).post("/api/v1/audit/access-log/verify/").status_code == 200
    assert AccessLogVerification.objects.count() == 2

    # A checkpoint, then the command: the command's verdict is the last one.
    access_log.write_checkpoint(first=True)
    call_command("verify_access_log")
    last = AccessLogVerification.objects.order_by("-verified_at", "-id").first()
    assert last.verified_by is None and last.intact and last.checkpoint_at is not None
    html = section_of(page(web.get(HOME)))
    assert "Verified by the verify_access_log command." in html
    assert "Last checkpoint: <time" in html


def test_an_outsider_dpo_s_verification_does_not_name_them(client_as, dpo, other_dpo):
    """Another agency's DPO verified last: our DPO sees the verdict, not their name."""
    client_as(other_dpo).post(reverse("privacy:access_log_verify"))
    kept = AccessLogVerification.objects.get()
    assert kept.verified_by == other_dpo
    for address in (HOME, reverse("privacy:access_log")):
        html = page(client_as(dpo).get(address))
        assert 'class="badge badge-intact"' in html
        assert other_dpo.display_name not in html and other_dpo.email not in html
        assert "Verified by another agency's data protection officer." in html
    # Their own agency's DPO sees the name.
    assert f"Verified by {other_dpo.display_name}." in page(client_as(other_dpo).get(HOME))


def test_a_broken_verdict_names_the_first_broken_link(client_as, dpo):
    protection.keep_verdict(
        access_log.Verdict(
            False,
            120,
            chain=3,
            seq=17,
            row_id=42,
            problem="the row was changed after it was written",
        ),
        actor=None,
    )
    html = section_of(page(client_as(dpo).get(HOME)))
    assert 'data-verdict="broken"' in html and "Broken" in html
    assert "The first broken link is row 42 (chain 3, position 17):" in html
    assert "the row was changed after it was written" in html


def test_an_unreadable_checkpoint_shows(client_as, dpo, settings):
    settings.ACCESS_LOG_CHECKPOINT_PATH.write_text('{"not": "a checkpoint"}\n')
    html = section_of(page(client_as(dpo).get(HOME)))
    assert "The last checkpoint cannot be read." in html


# --- Who accessed a client -----------------------------------------------------------------


def test_the_look_up_of_who_accessed_a_client_is_on_the_home(client_as, dpo, caseworker):
    rezaei = make_client(caseworker, name="علی رضایی", name_latin="Ali Rezaei")
    web = client_as(dpo)
    html = section_of(page(web.get(HOME)))
    form = re.search(r'<form method="get" class="search look-up"(.*?)</form>', html, re.S).group(1)
    assert f'action="{reverse("privacy:data_protection")}"' in form
    assert 'name="q"' in form and "Who accessed a client?" in form
    found = page(web.get(reverse("privacy:data_protection"), {"q": "Rezaei"}))
    assert reverse("privacy:client_accesses", args=[rezaei.pk]) in found
