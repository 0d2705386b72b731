"""The agency's small-cell threshold: the smallest count its statistics and
registers publish. Its administrator (MANAGE_AGENCY) changes it on the team
page and with PATCH /api/v1/agencies/<slug>/; other members read it; anyone
else finds no such agency. The statistics follow it at once."""

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
    return reverse("accounts:agency_small_cell", args=[agency.slug])


def api_url(agency) -> str:
    return f"/api/v1/agencies/{agency.slug}/"


def k_of(agency) -> int:
    return Agency.objects.get(pk=agency.pk).small_cell_threshold


def test_a_new_agency_hides_counts_below_5(agency):
    assert agency.small_cell_threshold == 5


def test_the_agency_admin_changes_it_on_the_team_page(agency, agency_admin, client_as):
    web = client_as(agency_admin)
    team = page(web.get(team_url(agency)))
    assert 'id="agency-small-cells"' in team
    assert f'action="{setting_url(agency)}"' in team
    assert 'name="small_cell_threshold"' in team and 'value="5"' in team

    response = web.post(setting_url(agency), {"small_cell_threshold": "10"})
    assert response.status_code == 302
    assert response.url == team_url(agency)
    assert k_of(agency) == 10
    latest = Agency.objects.get(pk=agency.pk).history.first()
    assert latest.history_user_id == agency_admin.pk
    assert latest.history_change_reason == "smallest count shown in statistics changed"
    assert "below 10 as “&lt;10”" in page(web.get(team_url(agency)))


@pytest.mark.parametrize("value", ["1", "51", "-3", "ten", "2.5", ""])
def test_the_page_refuses_a_bad_number_next_to_the_field(agency, agency_admin, client_as, value):
    response = client_as(agency_admin).post(setting_url(agency), {"small_cell_threshold": value})
    assert response.status_code == 400
    assert field_errors(page(response), "id_small_cell_threshold")
    assert k_of(agency) == 5


def test_other_members_read_it_but_may_not_change_it(agency, supervisor, caseworker, client_as):
    web = client_as(supervisor)
    team = page(web.get(team_url(agency)))
    assert "below 5 as “&lt;5”" in team
    assert setting_url(agency) not in team
    for member in (supervisor, caseworker):
        response = client_as(member).post(setting_url(agency), {"small_cell_threshold": "9"})
        assert response.status_code == 403
    assert k_of(agency) == 5


def test_an_outsider_finds_no_such_agency(agency, outsider, outsider_admin, client_as):
    for stranger in (outsider, outsider_admin):
        response = client_as(stranger).post(setting_url(agency), {"small_cell_threshold": "9"})
        assert response.status_code == 404
    assert k_of(agency) == 5


def test_the_setting_is_posted_only(agency, agency_admin, client_as):
    assert client_as(agency_admin).get(setting_url(agency)).status_code == 405


def test_the_api_shows_and_changes_it(agency, agency_admin, supervisor, as_user):
    assert as_user(supervisor).get(api_url(agency)).json()["small_cell_threshold"] == 5
    response = as_user(agency_admin).patch(
        api_url(agency), {"small_cell_threshold": 11}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["small_cell_threshold"] == 11
    assert k_of(agency) == 11


@pytest.mark.parametrize("value", [1, 51, -1, "ten", 2.5, True, None, "", [5]])
def test_the_api_refuses_a_bad_value_naming_the_field(agency, agency_admin, as_user, value):
    response = as_user(agency_admin).patch(
        api_url(agency), {"small_cell_threshold": value}, format="json"
    )
    assert error_fields(response) == {"small_cell_threshold"}
    assert k_of(agency) == 5


def test_only_the_agency_admin_may_patch(agency, supervisor, outsider, as_user):
    response = as_user(supervisor).patch(
        api_url(agency), {"small_cell_threshold": 9}, format="json"
    )
    assert_problem(response, 403)
    response = as_user(outsider).patch(api_url(agency), {"small_cell_threshold": 9}, format="json")
    assert_problem(response, 404)
    assert k_of(agency) == 5


def test_the_service_checks_the_permission_and_the_range(agency, agency_admin, supervisor):
    with pytest.raises(Forbidden):
        services.set_agency_small_cell_threshold(
            actor=supervisor, agency=agency, small_cell_threshold=9
        )
    for value in (1, 51, "9", True, 9.0):
        with pytest.raises(InvalidInput) as refused:
            services.set_agency_small_cell_threshold(
                actor=agency_admin, agency=agency, small_cell_threshold=value
            )
        assert refused.value.field == "small_cell_threshold"
    before = Agency.objects.get(pk=agency.pk).history.count()
    services.set_agency_small_cell_threshold(
        actor=agency_admin, agency=agency, small_cell_threshold=5
    )
    assert Agency.objects.get(pk=agency.pk).history.count() == before  # no change, no row
    saved = services.set_agency_small_cell_threshold(
        actor=agency_admin, agency=agency, small_cell_threshold=50
    )
    assert saved.small_cell_threshold == 50 == k_of(agency)


def test_the_statistics_follow_the_setting(agency, agency_admin, supervisor, as_user):
    services.set_agency_small_cell_threshold(
        actor=agency_admin, agency=agency, small_cell_threshold=7
    )
    body = as_user(supervisor).get("/api/v1/reports/statistics/").json()
    assert body["k"] == 7
    caseload = next(table for table in body["tables"] if table["key"] == "caseload")
    assert caseload["total"] == {"shown": "<7", "count": None, "hidden": True, "reason": "small"}
