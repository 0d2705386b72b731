"""The agency's "days without activity" (issue 11): after how many days with
no change, note, follow-up or document an open case is listed as inactive
on the supervisor's home. Its administrator (MANAGE_AGENCY) changes it on the
team page and with PATCH /api/v1/agencies/<slug>/; other members read it;
anyone else finds no such agency."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Agency
from config.errors import Forbidden, InvalidInput
from tests.helpers import assert_problem, error_fields, field_errors, page

pytestmark = pytest.mark.django_db


def team_url(agency) -> str:
    return reverse("accounts:team", args=[agency.slug])


def setting_url(agency) -> str:
    return reverse("accounts:agency_inactivity", args=[agency.slug])


def api_url(agency) -> str:
    return f"/api/v1/agencies/{agency.slug}/"


def days_of(agency) -> int:
    return Agency.objects.get(pk=agency.pk).inactivity_days


# --- The team page ------------------------------------------------------------------


def test_a_new_agency_waits_14_days(agency):
    assert agency.inactivity_days == 14


def test_the_agency_admin_changes_the_days_on_the_team_page(agency, agency_admin, client_as):
    web = client_as(agency_admin)
    team = page(web.get(team_url(agency)))
    assert 'id="agency-inactivity"' in team
    assert f'action="{setting_url(agency)}"' in team
    assert 'name="inactivity_days"' in team and 'value="14"' in team

    response = web.post(setting_url(agency), {"inactivity_days": "30"})
    assert response.status_code == 302
    assert response.url == team_url(agency)
    assert days_of(agency) == 30
    latest = Agency.objects.get(pk=agency.pk).history.first()
    assert latest.history_user_id == agency_admin.pk
    assert latest.history_change_reason == "days without activity changed"
    assert "for 30 days" in page(web.get(team_url(agency)))


@pytest.mark.parametrize("value", ["0", "366", "-3", "ten", "1.5", ""])
def test_the_page_refuses_a_bad_number_next_to_the_field(agency, agency_admin, client_as, value):
    response = client_as(agency_admin).post(setting_url(agency), {"inactivity_days": value})
    assert response.status_code == 400
    assert field_errors(page(response), "id_inactivity_days")
    assert days_of(agency) == 14


def test_saving_the_same_number_writes_no_history(agency, agency_admin, client_as):
    before = Agency.objects.get(pk=agency.pk).history.count()
    response = client_as(agency_admin).post(setting_url(agency), {"inactivity_days": "14"})
    assert response.status_code == 302
    assert Agency.objects.get(pk=agency.pk).history.count() == before


def test_a_supervisor_reads_the_days_but_may_not_change_them(
    agency, supervisor, caseworker, client_as
):
    for member in (supervisor, caseworker):
        web = client_as(member)
        if member == supervisor:  # VIEW_MEMBERS: the team page
            team = page(web.get(team_url(agency)))
            assert "for 14 days" in team
            assert setting_url(agency) not in team
        assert web.post(setting_url(agency), {"inactivity_days": "30"}).status_code == 403
    assert days_of(agency) == 14


def test_an_outsider_finds_no_such_agency(agency, outsider, outsider_admin, client_as):
    for stranger in (outsider, outsider_admin):
        response = client_as(stranger).post(setting_url(agency), {"inactivity_days": "30"})
        assert response.status_code == 404
    assert days_of(agency) == 14


def test_the_setting_is_posted_only(agency, agency_admin, client_as):
    assert client_as(agency_admin).get(setting_url(agency)).status_code == 405


# --- The API -------------------------------------------------------------------------


def test_the_api_shows_and_changes_the_days(agency, agency_admin, supervisor, as_user):
    assert as_user(supervisor).get(api_url(agency)).json()["inactivity_days"] == 14
    api = as_user(agency_admin)
    response = api.patch(api_url(agency), {"inactivity_days": 21}, format="json")
    assert response.status_code == 200
    assert response.json()["inactivity_days"] == 21
    assert response.json()["time_zone"] == "UTC"
    assert days_of(agency) == 21


def test_the_api_changes_both_settings_at_once(agency, agency_admin, as_user):
    response = as_user(agency_admin).patch(
        api_url(agency), {"time_zone": "Europe/Rome", "inactivity_days": 7}, format="json"
    )
    assert response.status_code == 200
    saved = Agency.objects.get(pk=agency.pk)
    assert (saved.time_zone, saved.inactivity_days) == ("Europe/Rome", 7)
    reasons = [row.history_change_reason for row in saved.history.all()[:2]]
    assert set(reasons) == {"time zone changed", "days without activity changed"}


@pytest.mark.parametrize("value", [0, 366, -1, "ten", 1.5, True, None, "", [14]])
def test_the_api_refuses_bad_days_naming_the_field(agency, agency_admin, as_user, value):
    response = as_user(agency_admin).patch(
        api_url(agency), {"inactivity_days": value}, format="json"
    )
    assert error_fields(response) == {"inactivity_days"}
    assert days_of(agency) == 14


def test_a_bad_zone_with_good_days_changes_nothing(agency, agency_admin, as_user):
    response = as_user(agency_admin).patch(
        api_url(agency), {"time_zone": "Mars/Olympus", "inactivity_days": 30}, format="json"
    )
    assert error_fields(response) == {"time_zone"}
    assert days_of(agency) == 14


def test_the_api_needs_something_to_change_and_refuses_unknown_fields(
    agency, agency_admin, as_user
):
    api = as_user(agency_admin)
    body = assert_problem(api.patch(api_url(agency), {}, format="json"), 400)
    assert [(error["field"], error["code"]) for error in body["errors"]] == [(None, "empty")]
    assert error_fields(api.patch(api_url(agency), {"name": "New name"}, format="json")) == {"name"}


def test_only_the_agency_admin_may_patch(
    agency, supervisor, caseworker, outsider, outsider_admin, as_user
):
    for member in (supervisor, caseworker):
        response = as_user(member).patch(api_url(agency), {"inactivity_days": 30}, format="json")
        assert_problem(response, 403)
    for stranger in (outsider, outsider_admin):
        response = as_user(stranger).patch(api_url(agency), {"inactivity_days": 30}, format="json")
        assert_problem(response, 404)
    assert days_of(agency) == 14


def test_the_schema_states_the_range_and_what_a_patch_needs(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    patch = schema["paths"]["/api/v1/agencies/{slug}/"]["patch"]
    ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    days = body["properties"]["inactivity_days"]
    assert (days["type"], days["minimum"], days["maximum"]) == ("integer", 1, 365)
    assert body["additionalProperties"] is False
    # Every property is a change: at least one of them (minProperties, no anyOf).
    assert sorted(body["properties"]) == [
        "allow_active_pdf",
        "inactivity_days",
        "small_cell_threshold",
        "time_zone",
    ]
    assert body["minProperties"] == 1 and "anyOf" not in body
    assert patch["requestBody"]["required"] is True
    out = schema["paths"]["/api/v1/agencies/{slug}/"]["get"]["responses"]["200"]
    out_ref = out["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "inactivity_days" in schema["components"]["schemas"][out_ref]["properties"]


# --- The service ---------------------------------------------------------------------


def test_the_service_checks_the_permission_and_the_range(agency, agency_admin, supervisor):
    with pytest.raises(Forbidden):
        services.set_agency_inactivity_days(actor=supervisor, agency=agency, inactivity_days=30)
    for value in (0, 366, "30", True, 2.0):
        with pytest.raises(InvalidInput) as refused:
            services.set_agency_inactivity_days(
                actor=agency_admin, agency=agency, inactivity_days=value
            )
        assert refused.value.field == "inactivity_days"
    saved = services.set_agency_inactivity_days(
        actor=agency_admin, agency=agency, inactivity_days=365
    )
    assert saved.inactivity_days == 365 == days_of(agency)
