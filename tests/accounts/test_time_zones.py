"""Time zones (issue 11): each agency has one, a user may choose their own,
every time a page shows carries its zone, stored and API times stay UTC."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.middleware import TimeZoneMiddleware
from accounts.models import Agency, User
from accounts.permissions import Role
from accounts.tracking import untracked
from casework.models import CaseNote
from config.errors import InvalidInput
from tests.factories import AgencyFactory, make_case, make_client, make_member
from tests.helpers import error_fields, field_errors, page

pytestmark = pytest.mark.django_db

# 13:05 UTC on a winter day is 14:05 in Torino (CET, UTC+1).
WINTER_NOON = datetime(2026, 12, 3, 13, 5, tzinfo=UTC)


@pytest.fixture
def torino(agency, agency_admin):
    """The records' agency, in Torino's zone (set by its administrator)."""
    return services.set_agency_time_zone(actor=agency_admin, agency=agency, time_zone="Europe/Rome")


def zone_seen_by(user, path: str = "/cases/") -> tuple[str, str]:
    """The zone the middleware activates for ``user`` during a request to
    ``path``, and the zone left active after it."""
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    request = RequestFactory().get(path)
    request.user = User.objects.get(pk=user.pk) if user is not None else None
    TimeZoneMiddleware(view)(request)
    return seen["zone"], timezone.get_current_timezone_name()


def note_at(actor, case, when: datetime) -> CaseNote:
    from casework import services as casework_services

    note = casework_services.add_note(actor=actor, case_id=case.pk, body="Called the client.")
    # The instant under test: a test-only shortcut around the clock.
    with untracked():
        CaseNote.objects.filter(pk=note.pk).update(created_at=when)
    return note


# --- Which zone a request gets ---------------------------------------------------------


def test_the_users_own_zone_wins_over_the_agencys(torino, caseworker):
    services.set_time_zone(actor=caseworker, time_zone="Asia/Tokyo")
    assert zone_seen_by(caseworker) == ("Asia/Tokyo", "UTC")


def test_without_their_own_zone_a_user_gets_their_agencys(torino, caseworker):
    assert zone_seen_by(caseworker) == ("Europe/Rome", "UTC")


def test_the_first_agency_by_name_decides_for_a_member_of_several(torino, caseworker):
    # "Amal Refugee Support" comes before "Zeta"; then a deactivated one is skipped.
    zeta = AgencyFactory(slug="zeta", name="Zeta Aid", time_zone="Asia/Amman")
    make_member(zeta, Role.CASEWORKER, user=caseworker)
    assert zone_seen_by(caseworker) == ("Europe/Rome", "UTC")
    aaa = AgencyFactory(slug="aaa", name="Aaa Help", time_zone="America/Bogota")
    make_member(aaa, Role.CASEWORKER, user=caseworker)
    assert zone_seen_by(caseworker)[0] == "America/Bogota"


def test_without_agency_or_own_zone_the_setting_decides(settings, db):
    settings.DEFAULT_AGENCY_TIME_ZONE = "America/Sao_Paulo"
    loner = User.objects.create_user("loner@test.example", display_name="Loner")
    assert zone_seen_by(loner) == ("America/Sao_Paulo", "UTC")
    assert zone_seen_by(None)[0] == "America/Sao_Paulo"


def test_the_api_stays_in_utc(torino, caseworker):
    services.set_time_zone(actor=caseworker, time_zone="Asia/Tokyo")
    assert zone_seen_by(caseworker, "/api/v1/cases/") == ("UTC", "UTC")


def test_a_new_agency_takes_the_default_zone(settings, db):
    settings.DEFAULT_AGENCY_TIME_ZONE = "Africa/Cairo"
    assert AgencyFactory().time_zone == "Africa/Cairo"


# --- Every time shown carries its zone ----------------------------------------------


def test_a_torino_caseworker_reads_a_notes_time_in_torino_with_its_zone(
    torino, caseworker, case, client_as
):
    note_at(caseworker, case, WINTER_NOON)
    content = page(client_as(caseworker).get(reverse("casework:case_detail", args=[case.pk])))
    assert '<time datetime="2026-12-03T13:05:00Z" dir="ltr">2026-12-03 14:05 CET</time>' in (
        content
    )
    assert "13:05" not in content.replace('datetime="2026-12-03T13:05:00Z"', "")


def test_a_utc_agencys_caseworker_reads_utc_with_its_zone(other_agency, outsider, client_as):
    assert other_agency.time_zone == "UTC"
    case = make_case(outsider, make_client(outsider))
    note_at(outsider, case, WINTER_NOON)
    content = page(client_as(outsider).get(reverse("casework:case_detail", args=[case.pk])))
    assert '<time datetime="2026-12-03T13:05:00Z" dir="ltr">2026-12-03 13:05 UTC</time>' in (
        content
    )


def test_summer_times_name_summer_time(torino, caseworker, case, client_as):
    note_at(caseworker, case, datetime(2026, 7, 1, 8, 0, tzinfo=UTC))
    content = page(client_as(caseworker).get(reverse("casework:case_detail", args=[case.pk])))
    assert "2026-07-01 10:00 CEST</time>" in content


def test_a_users_own_zone_shows_on_their_pages_only(
    torino, caseworker, supervisor, case, client_as
):
    note_at(caseworker, case, WINTER_NOON)
    services.set_time_zone(actor=caseworker, time_zone="Asia/Tokyo")
    address = reverse("casework:case_detail", args=[case.pk])
    assert "2026-12-03 22:05 JST</time>" in page(client_as(caseworker).get(address))
    assert "2026-12-03 14:05 CET</time>" in page(client_as(supervisor).get(address))


def test_api_times_stay_utc_for_a_torino_user(torino, caseworker, case, as_user):
    note_at(caseworker, case, WINTER_NOON)
    body = as_user(caseworker).get(f"/api/v1/cases/{case.pk}/notes/").json()
    [note] = body["results"]
    assert note["created_at"] in ("2026-12-03T13:05:00Z", "2026-12-03T13:05:00+00:00")


# --- The agency's zone: its administrator, on the team page and in the API -----------


def test_the_agency_admin_sets_the_zone_on_the_team_page(agency, agency_admin, client_as):
    web = client_as(agency_admin)
    team = page(web.get(reverse("accounts:team", args=[agency.slug])))
    assert 'action="/agencies/amal/time-zone/"' in team
    response = web.post(
        reverse("accounts:agency_time_zone", args=[agency.slug]), {"time_zone": "Europe/Rome"}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:team", args=[agency.slug])
    agency.refresh_from_db()
    assert agency.time_zone == "Europe/Rome"
    latest = agency.history.first()
    assert (latest.history_user_id, latest.history_change_reason) == (
        agency_admin.pk,
        "time zone changed",
    )


def test_the_page_refuses_an_unknown_zone_next_to_the_field(agency, agency_admin, client_as):
    response = client_as(agency_admin).post(
        reverse("accounts:agency_time_zone", args=[agency.slug]), {"time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    assert field_errors(page(response), "id_time_zone")
    agency.refresh_from_db()
    assert agency.time_zone == "UTC"


def test_a_supervisor_reads_the_zone_but_may_not_change_it(torino, supervisor, client_as, as_user):
    web = client_as(supervisor)
    team = page(web.get(reverse("accounts:team", args=[torino.slug])))
    assert "Europe/Rome" in team and "/time-zone/" not in team
    response = web.post(
        reverse("accounts:agency_time_zone", args=[torino.slug]), {"time_zone": "UTC"}
    )
    assert response.status_code == 403
    api = as_user(supervisor)
    assert api.get(f"/api/v1/agencies/{torino.slug}/").json()["time_zone"] == "Europe/Rome"
    assert api.patch(f"/api/v1/agencies/{torino.slug}/", {"time_zone": "UTC"}).status_code == 403
    assert Agency.objects.get(pk=torino.pk).time_zone == "Europe/Rome"


def test_an_outsider_finds_no_such_agency(agency, outsider, outsider_admin, client_as, as_user):
    for user in (outsider, outsider_admin):
        response = client_as(user).post(
            reverse("accounts:agency_time_zone", args=[agency.slug]), {"time_zone": "UTC"}
        )
        assert response.status_code == 404
        api = as_user(user)
        assert api.get(f"/api/v1/agencies/{agency.slug}/").status_code == 404
        assert api.patch(f"/api/v1/agencies/{agency.slug}/", {"time_zone": "UTC"}).status_code == (
            404
        )


def test_the_api_sets_the_zone_and_refuses_an_unknown_one_naming_the_field(
    agency, agency_admin, as_user
):
    api = as_user(agency_admin)
    response = api.patch(f"/api/v1/agencies/{agency.slug}/", {"time_zone": "Mars/Olympus"})
    assert error_fields(response) == {"time_zone"}
    assert api.patch(f"/api/v1/agencies/{agency.slug}/", {}).status_code == 400
    response = api.patch(f"/api/v1/agencies/{agency.slug}/", {"time_zone": "Europe/Rome"})
    assert response.status_code == 200
    assert response.json()["time_zone"] == "Europe/Rome"
    assert Agency.objects.get(pk=agency.pk).time_zone == "Europe/Rome"


def test_the_service_refuses_an_unknown_zone_naming_the_field(agency, agency_admin):
    with pytest.raises(InvalidInput) as refused:
        services.set_agency_time_zone(actor=agency_admin, agency=agency, time_zone="Mars/Olympus")
    assert (refused.value.field, refused.value.code) == ("time_zone", "invalid_time_zone")
    with pytest.raises(InvalidInput):
        services.set_time_zone(actor=agency_admin, time_zone="Mars/Olympus")


# --- The user's own zone: account page and API -----------------------------------------


def test_a_user_chooses_their_zone_on_the_account_page_and_goes_back(torino, caseworker, client_as):
    web = client_as(caseworker)
    account = page(web.get(reverse("accounts:account")))
    assert "Your agency&#x27;s time zone (Europe/Rome)" in account
    response = web.post(reverse("accounts:own_time_zone"), {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.time_zone == "Asia/Tokyo"
    assert caseworker.history.first().history_change_reason == "time zone changed"
    web.post(reverse("accounts:own_time_zone"), {"time_zone": ""})
    caseworker.refresh_from_db()
    assert caseworker.time_zone == ""


def test_the_account_page_refuses_an_unknown_zone_next_to_the_field(caseworker, client_as):
    response = client_as(caseworker).post(
        reverse("accounts:own_time_zone"), {"time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    assert field_errors(page(response), "id_time_zone")
    caseworker.refresh_from_db()
    assert caseworker.time_zone == ""


def test_me_shows_and_changes_the_users_zone(torino, caseworker, as_user):
    api = as_user(caseworker)
    me = api.get("/api/v1/me/").json()
    assert (me["time_zone"], me["effective_time_zone"]) == ("", "Europe/Rome")
    assert me["memberships"][0]["agency_time_zone"] == "Europe/Rome"
    assert error_fields(api.patch("/api/v1/me/", {"time_zone": "Mars/Olympus"})) == {"time_zone"}
    me = api.patch("/api/v1/me/", {"time_zone": "Asia/Tokyo"}).json()
    assert (me["time_zone"], me["effective_time_zone"]) == ("Asia/Tokyo", "Asia/Tokyo")
    me = api.patch("/api/v1/me/", {"time_zone": ""}).json()
    assert (me["time_zone"], me["effective_time_zone"]) == ("", "Europe/Rome")


# --- Demo data and migrations -----------------------------------------------------------


def test_the_demo_agencies_are_in_torinos_zone_idempotently(db):
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    zones = dict(Agency.objects.values_list("slug", "time_zone"))
    assert {zones[slug] for slug in ("amal", "casa", "city")} == {"Europe/Rome"}

    # A demo agency seeded before agencies had a zone (UTC) is moved by its admin.
    amal = Agency.objects.get(slug="amal")
    admin = User.objects.get(email="agency_admin@amal.example")
    services.set_agency_time_zone(actor=admin, agency=amal, time_zone="UTC")
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    amal.refresh_from_db()
    assert amal.time_zone == "Europe/Rome"
    latest = amal.history.first()
    assert (latest.history_user_id, latest.history_change_reason) == (
        admin.pk,
        "time zone changed",
    )

    rows = Agency.history.count()
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    assert Agency.history.count() == rows


def test_the_accounts_migrations_are_complete():
    call_command("makemigrations", "accounts", "--check", "--dry-run", verbosity=0)


def test_no_template_shows_a_time_without_its_zone():
    """A time of day goes through |local_time, which adds the zone; |date and
    |time with hours or minutes would show it without."""
    templates = Path(django_settings.BASE_DIR) / "templates"
    bare = re.compile(r"\|(?:date|time):\s*[\"'][^\"']*[HGhgi][^\"']*[\"']")
    found = [
        f"{path.relative_to(templates)}:{number}"
        for path in sorted(templates.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if bare.search(line)
    ]
    assert not found, f"Use |local_time for these times: {found}"
