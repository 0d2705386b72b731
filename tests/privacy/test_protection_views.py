"""The data-protection pages: the DPO's list of clients, a client's
data-protection page (export, legal holds, erasure), break the glass and the
retention periods — as the allowed persona, a member without the permission
(403) and an outsider (404)."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog
from accounts.permissions import Role
from casework import services as casework
from casework.models import Client
from privacy import services as protection
from privacy.models import LegalHold
from tests.factories import make_case, make_client, make_member
from tests.helpers import page

pytestmark = pytest.mark.django_db


def protection_page_url(client_id) -> str:
    return reverse("privacy:client_data_protection", args=[client_id])


# --- Finding a client ----------------------------------------------------------------------


def test_the_dpo_finds_clients_by_id_and_case_number_without_names(
    client_as, dpo, caseworker, case
):
    other = make_case(caseworker, make_client(caseworker, name="Other"))
    web = client_as(dpo)
    response = web.get(reverse("privacy:data_protection"))
    assert response.status_code == 200
    html = page(response)
    assert str(case.client_id) in html and case.number in html and other.number in html
    assert case.client.name not in html and "Other" not in html
    assert protection_page_url(case.client_id) in html
    assert 'href="/data-protection/"' in html  # in the navigation

    found = page(web.get(reverse("privacy:data_protection"), {"q": case.number.lower()}))
    assert case.number in found and other.number not in found
    found = page(web.get(reverse("privacy:data_protection"), {"q": str(other.client_id)}))
    assert other.number in found and case.number not in found
    nothing = page(web.get(reverse("privacy:data_protection"), {"q": "NOPE-1"}))
    assert "No client of your agency has this name or id, or a case with this number." in nothing
    row = AccessLog.objects.exclude(action__in=["login", "logout"]).order_by("id").last()
    assert (row.action, row.object_type, row.actor_id) == ("search", "casework.client", dpo.pk)


def test_who_may_open_the_list(client_as, caseworker, other_agency, case):
    assert client_as(caseworker).get(reverse("privacy:data_protection")).status_code == 403
    assert "/data-protection/" not in page(client_as(caseworker).get(reverse("accounts:home")))
    foreign_dpo = make_member(other_agency, Role.DPO)
    response = client_as(foreign_dpo).get(reverse("privacy:data_protection"))
    assert response.status_code == 200
    assert str(case.client_id) not in page(response)


def test_an_agency_admin_finds_only_the_retention_periods(client_as, agency_admin, agency, case):
    response = client_as(agency_admin).get(reverse("privacy:data_protection"))
    assert response.status_code == 200
    html = page(response)
    assert reverse("privacy:retention", args=[agency.slug]) in html
    assert str(case.client_id) not in html


# --- A client's data-protection page -------------------------------------------------------


def test_the_client_page_shows_no_personal_data(client_as, dpo, supervisor, case):
    response = client_as(dpo).get(protection_page_url(case.client_id))
    assert response.status_code == 200
    html = page(response)
    assert str(case.client_id) in html and case.number in html
    assert case.client.name not in html
    assert reverse("privacy:subject_access_download", args=[case.client_id]) in html
    erase = reverse("privacy:client_erase", args=[case.client_id])
    assert f'action="{erase}"' in html
    assert "I understand this cannot be undone." in html
    row = AccessLog.objects.exclude(action__in=["login", "logout"]).order_by("id").last()
    assert (row.action, row.client_id) == ("view", case.client_id)

    html = page(client_as(supervisor).get(protection_page_url(case.client_id)))
    assert reverse("privacy:legal_hold_place", args=[case.client_id]) in html
    assert reverse("privacy:client_erase", args=[case.client_id]) not in html  # the DPO's


def test_who_may_open_the_client_page(client_as, caseworker, outsider, case):
    assert client_as(caseworker).get(protection_page_url(case.client_id)).status_code == 403
    assert client_as(outsider).get(protection_page_url(case.client_id)).status_code == 404


def test_supervisors_find_it_from_the_client_page(client_as, supervisor, caseworker, case):
    detail = reverse("casework:client_detail", args=[case.client_id])
    assert protection_page_url(case.client_id) in page(client_as(supervisor).get(detail))
    assert protection_page_url(case.client_id) not in page(client_as(caseworker).get(detail))


def test_the_export_downloads_as_a_json_file(client_as, dpo, caseworker, outsider, case):
    url = reverse("privacy:subject_access_download", args=[case.client_id])
    response = client_as(dpo).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="subject-access-{case.client_id}.json"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert json.loads(response.content)["client"]["id"] == str(case.client_id)
    assert AccessLog.objects.filter(action="export", actor_id=dpo.pk).count() == 1
    assert client_as(caseworker).get(url).status_code == 403
    assert client_as(outsider).get(url).status_code == 404


# --- Legal holds and erasure ---------------------------------------------------------------


def test_erasure_is_refused_under_a_hold_then_done_after_release(client_as, dpo, supervisor, case):
    client_id = case.client_id
    web = client_as(supervisor)
    response = web.post(
        reverse("privacy:legal_hold_place", args=[client_id]),
        {"reason": "Appeal pending", "case": str(case.pk)},
    )
    assert response.status_code == 302
    hold = LegalHold.objects.get(client_id=client_id)
    assert hold.case_id == case.pk and hold.placed_by_id == supervisor.pk

    web = client_as(dpo)
    erase = reverse("privacy:client_erase", args=[client_id])
    refused = web.post(erase, {"reason": "The person asked", "confirm": "on"})
    assert refused.status_code == 409
    html = page(refused)
    placed = hold.placed_at.strftime("%Y-%m-%d")
    assert f"(placed {placed})" in html  # the refusal names the hold's date
    assert f"Hold on case {case.number}, placed {placed}" in html
    assert Client.objects.get(pk=client_id).anonymised_at is None

    released = web.post(
        reverse("privacy:legal_hold_release", args=[hold.pk]),
        {"next": protection_page_url(client_id)},
    )
    assert released.status_code == 302
    hold.refresh_from_db()
    assert hold.released_by_id == dpo.pk

    unconfirmed = web.post(erase, {"reason": "The person asked"})
    assert unconfirmed.status_code == 400
    assert re.search(r'id="erase_confirm_error"[^>]*><li>Tick the box', page(unconfirmed))
    no_reason = web.post(erase, {"reason": "", "confirm": "on"})
    assert no_reason.status_code == 400
    assert 'id="erase_reason_error"' in page(no_reason)

    done = web.post(erase, {"reason": "The person asked", "confirm": "on"}, follow=True)
    assert done.status_code == 200
    assert "The client&#x27;s personal data was erased." in page(done)
    assert Client.objects.get(pk=client_id).name == protection.ERASED
    assert f'action="{erase}"' not in page(done)  # nothing left to erase


def test_who_may_place_release_and_erase(client_as, supervisor, caseworker, outsider, case):
    hold = protection.place_legal_hold(actor=supervisor, client_id=case.client_id, reason="Court")
    place = reverse("privacy:legal_hold_place", args=[case.client_id])
    release = reverse("privacy:legal_hold_release", args=[hold.pk])
    erase = reverse("privacy:client_erase", args=[case.client_id])
    body = {"reason": "x", "confirm": "on"}
    for url in (place, release, erase):
        assert client_as(caseworker).post(url, body).status_code == 403, url
        assert client_as(outsider).post(url, body).status_code == 404, url
    assert client_as(supervisor).post(erase, body).status_code == 403


def test_a_hold_needs_a_reason(client_as, supervisor, case):
    response = client_as(supervisor).post(
        reverse("privacy:legal_hold_place", args=[case.client_id]), {"reason": ""}
    )
    assert response.status_code == 400
    assert 'id="hold_reason_error"' in page(response)
    assert not LegalHold.objects.exists()


def test_releasing_twice_says_so(client_as, supervisor, case):
    hold = protection.place_legal_hold(actor=supervisor, client_id=case.client_id, reason="Court")
    protection.release_legal_hold(actor=supervisor, hold_id=hold.pk)
    response = client_as(supervisor).post(
        reverse("privacy:legal_hold_release", args=[hold.pk]),
        {"next": protection_page_url(case.client_id)},
        follow=True,
    )
    assert "This hold was already released." in page(response)


# --- Break the glass -----------------------------------------------------------------------


def test_break_the_glass_opens_the_case_with_a_banner(
    client_as, foreign_supervisor, case, agreement
):
    web = client_as(foreign_supervisor)
    assert web.get(reverse("casework:case_detail", args=[case.pk])).status_code == 404
    assert web.get(reverse("privacy:break_glass")).status_code == 200

    response = web.post(
        reverse("privacy:break_glass"),
        {"case_number": case.number.lower(), "reason": "Client unconscious in hospital"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:case_detail", args=[case.pk])
    access = case.break_glass.get()
    assert access.user_id == foreign_supervisor.pk

    detail = web.get(response["Location"])
    assert detail.status_code == 200
    until = timezone.localtime(access.expires_at).strftime("%H:%M")
    assert 'Emergency access until <time datetime="' in page(detail)
    assert f'dir="ltr">{until} UTC</time>' in page(detail)
    listing = page(web.get(reverse("privacy:break_glass")))
    assert case.number in listing and "Client unconscious in hospital" in listing


def test_break_the_glass_refusals(
    client_as, foreign_supervisor, supervisor, caseworker, case, agreement
):
    url = reverse("privacy:break_glass")
    web = client_as(foreign_supervisor)
    no_reason = web.post(url, {"case_number": case.number, "reason": ""})
    assert no_reason.status_code == 400
    assert 'id="id_reason_error"' in page(no_reason)
    unknown = web.post(url, {"case_number": "NOPE-2026-00001", "reason": "Emergency"})
    assert unknown.status_code == 400
    assert "No case has this number." in page(unknown)
    assert not case.break_glass.exists()

    own = client_as(supervisor).post(url, {"case_number": case.number, "reason": "Emergency"})
    assert own.status_code == 409
    assert "You can already see this case." in page(own)
    banner = page(client_as(supervisor).get(reverse("casework:case_detail", args=[case.pk])))
    assert "Emergency access until" not in banner

    assert client_as(caseworker).get(url).status_code == 403
    assert (
        client_as(caseworker).post(url, {"case_number": case.number, "reason": "x"}).status_code
        == 403
    )


# --- Retention -----------------------------------------------------------------------------


def test_retention_periods_page(client_as, dpo, agency_admin, agency):
    url = reverse("privacy:retention", args=[agency.slug])
    web = client_as(dpo)
    html = page(web.get(url))
    assert "Not set: kept until erased on request" in html
    too_short = web.post(url, {"kind": "closed_case", "days": "10"})
    assert too_short.status_code == 400
    assert re.search(
        r'id="id_days_error"[^>]*><li>Give a number of days, at least 30', page(too_short)
    )
    assert web.post(url, {"kind": "closed_case", "days": "1826"}).status_code == 302
    assert "1826 days" in page(web.get(url))
    response = client_as(agency_admin).post(url, {"kind": "inactive_client", "days": "3650"})
    assert response.status_code == 302


def test_who_may_see_retention(client_as, caseworker, supervisor, outsider, agency):
    url = reverse("privacy:retention", args=[agency.slug])
    for member in (caseworker, supervisor):
        assert client_as(member).get(url).status_code == 403
    assert client_as(outsider).get(url).status_code == 404


def test_the_retention_dry_run(monkeypatch, client_as, dpo, caseworker, agency, case):
    real_now = timezone.now
    forty_days_ago = real_now() - timedelta(days=40)
    monkeypatch.setattr(timezone, "now", lambda: forty_days_ago)
    casework.close_case(actor=caseworker, case_id=case.pk, closure_reason="goals_met", note="")
    monkeypatch.setattr(timezone, "now", real_now)
    protection.set_retention_policy(actor=dpo, agency=agency, kind="closed_case", days=30)

    html = page(client_as(dpo).get(reverse("privacy:retention", args=[agency.slug])))
    assert "1 closed case" in html
    assert "0 clients without an open case" in html
    assert 'type="submit">Run' not in html
    case.refresh_from_db()
    assert case.anonymised_at is None
