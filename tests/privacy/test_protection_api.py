"""The data-protection API: subject-access export, erasure, legal holds, break
the glass and retention periods — each tried as the allowed persona (DPO or
supervisor), a member without the permission (403) and an outsider (404)."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import AccessLog, Notification
from casework import services as casework
from casework.models import Client
from tests.factories import make_case, make_client

pytestmark = pytest.mark.django_db


def _hold(api, client_id, **body):
    return api.post(
        f"/api/v1/clients/{client_id}/legal-holds/",
        {"reason": "Appeal pending at the court", **body},
        format="json",
    )


# --- Subject access ------------------------------------------------------------------------


def test_the_export_is_an_attachment_for_the_dpo(as_user, dpo, case):
    response = as_user(dpo).get(f"/api/v1/clients/{case.client_id}/subject-access-export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="subject-access-{case.client_id}.json"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Type"].startswith("application/json")
    export = json.loads(response.content)
    assert export["client"]["id"] == str(case.client_id)
    assert export["client"]["name"] == case.client.name
    assert [c["id"] for c in export["cases"]] == [str(case.pk)]
    row = AccessLog.objects.filter(action="export").get()
    assert (row.actor_id, row.client_id) == (dpo.pk, case.client_id)


def test_who_may_export(as_user, supervisor, caseworker, outsider, case):
    url = f"/api/v1/clients/{case.client_id}/subject-access-export/"
    assert as_user(supervisor).get(url).status_code == 200
    assert as_user(caseworker).get(url).status_code == 403
    response = as_user(outsider).get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    unknown = f"/api/v1/clients/{uuid.uuid4()}/subject-access-export/"
    assert as_user(supervisor).get(unknown).status_code == 404


# --- Erasure and legal holds ---------------------------------------------------------------


def test_erasure_refused_under_a_legal_hold_and_done_after_release(as_user, dpo, supervisor, case):
    client_id = case.client_id
    held = _hold(as_user(supervisor), client_id, case=str(case.pk))
    assert held.status_code == 201, held.content
    hold = held.json()
    assert hold["case"] == {"id": str(case.pk), "number": case.number}
    assert hold["is_active"] is True and hold["placed_by"]["id"] == str(supervisor.pk)

    api = as_user(dpo)
    refused = api.post(f"/api/v1/clients/{client_id}/erase/", {"reason": "Asked"}, format="json")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "legal_hold"
    [blocking] = problem["holds"]
    assert blocking["id"] == hold["id"]
    assert parse_datetime(blocking["placed_at"]) == parse_datetime(hold["placed_at"])
    assert hold["placed_at"][:10] in problem["detail"]  # the message names the date
    assert Client.objects.get(pk=client_id).name == case.client.name

    released = api.post(f"/api/v1/legal-holds/{hold['id']}/release/")
    assert released.status_code == 200
    assert released.json()["is_active"] is False
    assert released.json()["released_by"]["id"] == str(dpo.pk)
    again = api.post(f"/api/v1/legal-holds/{hold['id']}/release/")
    assert (again.status_code, again.json()["code"]) == (409, "already_released")

    erased = api.post(
        f"/api/v1/clients/{client_id}/erase/", {"reason": "Request of 3 May"}, format="json"
    )
    assert erased.status_code == 200, erased.content
    body = erased.json()
    assert set(body) == {
        "id",
        "client",
        "cause",
        "erased_at",
        "erased_by",
        "counts",
        "notified_agencies",
    }
    assert (body["client"], body["cause"]) == (str(client_id), "request")
    assert body["counts"]["clients"] == 1 and body["counts"]["cases"] == 1
    assert body["notified_agencies"] == []
    assert Client.objects.get(pk=client_id).name == "[erased]"

    twice = api.post(f"/api/v1/clients/{client_id}/erase/", {"reason": "Again"}, format="json")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_erased")


def test_erasure_needs_a_reason_and_the_dpo(as_user, dpo, supervisor, caseworker, outsider, case):
    url = f"/api/v1/clients/{case.client_id}/erase/"
    for body in ({}, {"reason": "  "}):
        response = as_user(dpo).post(url, body, format="json")
        assert response.status_code == 400
        assert [error["field"] for error in response.json()["errors"]] == ["reason"]
    for member in (supervisor, caseworker):
        assert as_user(member).post(url, {"reason": "Asked"}, format="json").status_code == 403
    assert as_user(outsider).post(url, {"reason": "Asked"}, format="json").status_code == 404
    assert Client.objects.get(pk=case.client_id).anonymised_at is None


def test_legal_holds_list_and_who_may_place_them(
    as_user, dpo, supervisor, caseworker, outsider, case
):
    url = f"/api/v1/clients/{case.client_id}/legal-holds/"
    assert _hold(as_user(dpo), case.client_id).status_code == 201
    listed = as_user(supervisor).get(url)
    assert listed.status_code == 200
    [hold] = listed.json()["results"]
    assert hold["case"] is None and hold["reason"] == "Appeal pending at the court"
    row = AccessLog.objects.exclude(action__in=["login", "logout"]).order_by("id").last()
    assert (row.action, row.object_type, row.client_id) == (
        "list",
        "casework.legalhold",
        case.client_id,
    )

    assert as_user(caseworker).get(url).status_code == 403
    assert _hold(as_user(caseworker), case.client_id).status_code == 403
    assert as_user(outsider).get(url).status_code == 404
    assert _hold(as_user(outsider), case.client_id).status_code == 404
    release = f"/api/v1/legal-holds/{hold['id']}/release/"
    assert as_user(caseworker).post(release).status_code == 403
    assert as_user(outsider).post(release).status_code == 404


def test_a_hold_needs_a_reason_and_a_case_of_the_client(as_user, supervisor, caseworker, case):
    other_case = make_case(caseworker, make_client(caseworker, name="Another person"))
    api = as_user(supervisor)
    response = _hold(api, case.client_id, case=str(other_case.pk))
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["case"]
    response = api.post(
        f"/api/v1/clients/{case.client_id}/legal-holds/", {"reason": ""}, format="json"
    )
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["reason"]


# --- Break the glass -----------------------------------------------------------------------


def test_break_the_glass(as_user, foreign_supervisor, supervisor, case, agreement):
    api = as_user(foreign_supervisor)
    assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    url = f"/api/v1/cases/{case.pk}/break-glass/"

    for body in ({}, {"reason": " "}):
        response = api.post(url, body, format="json")
        assert response.status_code == 400
        assert [error["field"] for error in response.json()["errors"]] == ["reason"]

    response = api.post(url, {"reason": "Client unconscious in hospital"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["case"], body["case_number"]) == (str(case.pk), case.number)
    assert {"id", "expires_at"} <= set(body)

    assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    listed = api.get("/api/v1/break-glass/").json()["results"]
    assert [access["id"] for access in listed] == [body["id"]]
    assert AccessLog.objects.filter(
        action="break_glass", case_id=case.pk, actor_id=foreign_supervisor.pk
    ).exists()
    assert Notification.objects.filter(recipient=supervisor, kind="break_glass").exists()

    again = api.post(url, {"reason": "Still"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_visible")


def test_who_may_break_the_glass(as_user, caseworker, outsider, supervisor, dpo, case):
    url = f"/api/v1/cases/{case.pk}/break-glass/"
    for person in (caseworker, outsider, dpo):
        response = as_user(person).post(url, {"reason": "Emergency"}, format="json")
        assert response.status_code == 403, person
    own = as_user(supervisor).post(url, {"reason": "Emergency"}, format="json")
    assert (own.status_code, own.json()["code"]) == (409, "already_visible")
    unknown = as_user(supervisor).post(
        f"/api/v1/cases/{uuid.uuid4()}/break-glass/", {"reason": "Emergency"}, format="json"
    )
    assert unknown.status_code == 404
    assert as_user(caseworker).get("/api/v1/break-glass/").json()["results"] == []


# --- Retention -----------------------------------------------------------------------------


def test_retention_periods(as_user, dpo, agency_admin, agency):
    url = f"/api/v1/agencies/{agency.slug}/retention/"
    api = as_user(dpo)
    body = api.get(url).json()
    assert body["agency"] == agency.slug
    assert [(p["kind"], p["days"]) for p in body["periods"]] == [
        ("closed_case", None),
        ("inactive_client", None),
    ]
    assert body["due_now"] == {"cases": 0, "clients": 0, "held": 0}

    response = api.put(url, {"kind": "closed_case", "days": 29}, format="json")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["days"]
    response = api.put(url, {"kind": "everything", "days": 365}, format="json")
    assert [error["field"] for error in response.json()["errors"]] == ["kind"]

    response = api.put(url, {"kind": "closed_case", "days": 1826}, format="json")
    assert response.status_code == 200
    assert response.json()["periods"][0]["days"] == 1826
    response = as_user(agency_admin).put(
        url, {"kind": "inactive_client", "days": 3650}, format="json"
    )
    assert response.status_code == 200
    assert [p["days"] for p in response.json()["periods"]] == [1826, 3650]


def test_who_may_set_retention(as_user, caseworker, supervisor, outsider, outsider_admin, agency):
    url = f"/api/v1/agencies/{agency.slug}/retention/"
    body = {"kind": "closed_case", "days": 365}
    for member in (caseworker, supervisor):
        assert as_user(member).get(url).status_code == 403
        assert as_user(member).put(url, body, format="json").status_code == 403
    for stranger in (outsider, outsider_admin):
        assert as_user(stranger).get(url).status_code == 404
        assert as_user(stranger).put(url, body, format="json").status_code == 404


def test_the_dry_run_counts_what_is_due(monkeypatch, as_user, dpo, caseworker, agency, case):
    real_now = timezone.now
    forty_days_ago = real_now() - timedelta(days=40)
    monkeypatch.setattr(timezone, "now", lambda: forty_days_ago)
    casework.close_case(actor=caseworker, case_id=case.pk, closure_reason="goals_met", note="")
    monkeypatch.setattr(timezone, "now", real_now)

    url = f"/api/v1/agencies/{agency.slug}/retention/"
    response = as_user(dpo).put(url, {"kind": "closed_case", "days": 30}, format="json")
    assert response.json()["due_now"] == {"cases": 1, "clients": 0, "held": 0}
    case.refresh_from_db()
    assert case.anonymised_at is None  # a dry run only
