"""The access-log API: the DPO's whole log and the chain's verdict, and "who
accessed this" on a client and a case, tried as the DPO, a supervisor, a
caseworker, a partner and a stranger."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import access_log
from accounts.models import AccessLog
from accounts.permissions import Role
from tests.factories import make_case, make_consent, make_member, make_referral

pytestmark = pytest.mark.django_db

LOG = "/api/v1/audit/access-log/"
VERIFY = "/api/v1/audit/access-log/verify/"


def client_log(client) -> str:
    return f"/api/v1/clients/{client.pk}/access-log/"


def case_log(case) -> str:
    return f"/api/v1/cases/{case.pk}/access-log/"


@pytest.fixture
def case_read_in_the_api(as_user, caseworker, case):
    assert as_user(caseworker).get(f"/api/v1/cases/{case.pk}/").status_code == 200


@pytest.fixture
def packet_read_in_the_api(as_user, caseworker, case, partner_agency, referral_officer):
    make_consent(caseworker, case.client, recipient_agencies=[partner_agency])
    referral = make_referral(caseworker, case, partner_agency)
    response = as_user(referral_officer).get(f"/api/v1/referrals/{referral.pk}/packet/")
    assert response.status_code == 200
    return referral


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- The whole log ----------------------------------------------------------------------------


def test_dpo_reads_the_log(as_user, dpo, caseworker, case, case_read_in_the_api):
    [row] = [r for r in results(as_user(dpo).get(LOG)) if r["action"] == "view"]
    assert row["actor"] == {
        "id": str(caseworker.pk),
        "display_name": "Layla Caseworker",
        "email": caseworker.email,
    }
    assert row["agency"] == {"id": str(case.agency_id), "name": "Amal Refugee Support"}
    assert (row["role"], row["object_type"], row["object_id"]) == (
        "caseworker",
        "casework.case",
        str(case.pk),
    )
    assert (row["client_id"], row["case_id"]) == (str(case.client_id), str(case.pk))
    assert (row["ip"], row["outcome"], row["route"]) == ("127.0.0.1", "ok", "api-case-detail")
    assert row["at"].endswith("Z") and {"chain", "seq", "user_agent"} <= set(row)
    assert "outside" not in row


@pytest.mark.parametrize(
    "persona", ["supervisor", "caseworker", "agency_admin", "referral_officer", "outsider"]
)
def test_only_the_dpo_reads_the_log(as_user, request, persona):
    user = request.getfixturevalue(persona)
    for address in (LOG, VERIFY):
        response = as_user(user).get(address)
        assert response.status_code == 403, address
        assert response.json()["code"] == "permission_denied"


def test_anonymous_is_refused(api_client):
    assert api_client.get(LOG).status_code in (401, 403)
    assert api_client.get(VERIFY).status_code in (401, 403)


def test_filters(as_user, dpo, caseworker, supervisor, case, case_read_in_the_api):
    as_user(supervisor).get(f"/api/v1/clients/{case.client_id}/")
    as_user(supervisor).get("/api/v1/cases/")
    api = as_user(dpo)

    def shown(**params) -> list[dict]:
        return results(api.get(LOG, params))

    assert {r["actor"]["id"] for r in shown(user=caseworker.pk)} == {str(caseworker.pk)}
    assert {r["action"] for r in shown(action="list")} == {"list"}
    [about_case] = shown(case=case.pk)
    assert about_case["actor"]["id"] == str(caseworker.pk)
    assert len(shown(client=case.client_id)) == 2
    assert {r["agency"]["id"] for r in shown(agency=case.agency_id)} == {str(case.agency_id)}
    now = timezone.now()
    assert len(shown(since=(now - timedelta(minutes=5)).isoformat(), action="view")) == 2
    assert shown(until=(now - timedelta(minutes=5)).isoformat()) == []


def test_the_log_shows_accesses_to_the_agencys_clients_by_anyone(
    as_user, dpo, case, packet_read_in_the_api, referral_officer, partner_agency
):
    rows = results(as_user(dpo).get(LOG, {"agency": partner_agency.pk}))
    assert [r["object_type"] for r in rows] == ["referrals.referralpacket"]
    assert rows[0]["actor"]["id"] == str(referral_officer.pk)


def test_the_dpo_sees_only_their_agencys_log(as_user, dpo, other_agency):
    other_dpo = make_member(other_agency, Role.DPO)
    as_user(other_dpo).get(LOG)
    rows = results(as_user(dpo).get(LOG))
    assert str(other_dpo.pk) not in {(r["actor"] or {}).get("id") for r in rows}


def test_bad_filters_name_the_field(as_user, dpo):
    response = as_user(dpo).get(LOG, {"client": "nope", "action": "peek"})
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"client", "action"}


def test_cursor_pages(as_user, dpo, caseworker, case):
    for number in range(5):
        access_log.append(
            actor_id=caseworker.pk,
            agency_id=case.agency_id,
            action="view",
            object_type="casework.case",
            object_id=str(number),
        )
    api = as_user(dpo)
    first = api.get(LOG, {"action": "view", "page_size": 3}).json()
    assert [r["object_id"] for r in first["results"]] == ["4", "3", "2"]
    second = api.get(first["next"]).json()
    assert [r["object_id"] for r in second["results"]] == ["1", "0"]
    assert second["next"] is None
    assert api.get(LOG, {"cursor": "garbage"}).status_code == 400


def test_the_query_count_does_not_grow_with_the_page(as_user, dpo, caseworker, case):
    api = as_user(dpo)
    api.get(LOG)  # the session's user and roles loaded once

    def queries(size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(LOG, {"page_size": size}).status_code == 200
        return len(captured)

    base = queries(1)
    for _ in range(10):
        other = make_member(case.agency, Role.CASEWORKER)
        access_log.append(actor_id=other.pk, agency_id=case.agency_id, action="list")
    assert queries(20) == base


def test_reading_the_log_is_logged(as_user, dpo, case):
    as_user(dpo).get(LOG, {"case": case.pk})
    row = AccessLog.objects.exclude(action="login").latest("id")
    assert (row.action, row.object_type, row.case_id, row.route) == (
        "search",
        "accounts.accesslog",
        case.pk,
        "api-audit-access-log",
    )


# --- The verdict -------------------------------------------------------------------------------


def test_verify_intact(as_user, dpo, case_read_in_the_api):
    api = as_user(dpo)
    rows = AccessLog.objects.count()
    body = api.get(VERIFY).json()
    assert body == {
        "intact": True,
        "rows": rows,
        "row_id": None,
        "chain": None,
        "seq": None,
        "problem": "",
        "unkeyed": 0,
        "checkpoint_at": None,
        "summary": f"intact, {rows} rows; no checkpoint yet to check the chains' ends against",
    }


def test_verify_finds_a_deleted_row(as_user, dpo, case_read_in_the_api, settings):
    settings.ACCESS_LOG_CHAINS = 1
    actor = uuid.uuid4()
    appended = [access_log.append(actor_id=actor, action="view") for _ in range(3)]
    api = as_user(dpo)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM accounts_accesslog WHERE id = %s", [appended[1].pk])
    body = api.get(VERIFY).json()
    assert body["intact"] is False
    assert body["row_id"] == appended[2].pk and "missing" in body["problem"]
    assert body["summary"].startswith(f"broken at row {appended[2].pk}")


# --- Who accessed this -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["supervisor", "dpo"])
def test_supervisor_and_dpo_see_who_accessed(as_user, request, persona, case, case_read_in_the_api):
    api = as_user(request.getfixturevalue(persona))
    for address in (case_log(case), client_log(case.client)):
        [row] = [r for r in results(api.get(address)) if r["action"] == "view"]
        assert row["actor"]["display_name"] == "Layla Caseworker"
        assert row["outside"] is False


@pytest.mark.parametrize("persona", ["caseworker"])
def test_members_without_the_permission_get_403(as_user, request, persona, case):
    api = as_user(request.getfixturevalue(persona))
    assert api.get(case_log(case)).status_code == 403
    assert api.get(client_log(case.client)).status_code == 403


@pytest.mark.parametrize("persona", ["outsider", "referral_officer", "agency_admin"])
def test_strangers_get_404(as_user, request, persona, case):
    """Whoever does not see the case in their casework, the agency's own
    administrator included: 404, as for a case that does not exist."""
    api = as_user(request.getfixturevalue(persona))
    assert api.get(case_log(case)).status_code == 404
    assert api.get(client_log(case.client)).status_code == 404
    assert api.get(f"/api/v1/cases/{uuid.uuid4()}/access-log/").status_code == 404


def test_accesses_from_another_agency_are_flagged(
    as_user, supervisor, case, case_read_in_the_api, packet_read_in_the_api, partner_agency
):
    rows = results(as_user(supervisor).get(client_log(case.client)))
    by_type = {r["object_type"]: r for r in rows}
    packet = by_type["referrals.referralpacket"]
    assert packet["outside"] is True
    assert packet["agency"]["id"] == str(partner_agency.pk)
    assert by_type["casework.case"]["outside"] is False


def test_a_case_log_holds_only_that_case(
    as_user, supervisor, caseworker, case, case_read_in_the_api
):
    other_case = make_case(caseworker, case.client)
    as_user(caseworker).get(f"/api/v1/cases/{other_case.pk}/")
    rows = results(as_user(supervisor).get(case_log(case)))
    assert {r["case_id"] for r in rows} == {str(case.pk)}
    assert len(results(as_user(supervisor).get(client_log(case.client)))) >= 3


def test_the_routes_are_named():
    assert reverse("api-audit-access-log") == LOG
    assert reverse("api-audit-access-log-verify") == VERIFY
