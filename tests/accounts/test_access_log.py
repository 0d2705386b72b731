"""Every request that reads personal data leaves exactly one access-log row,
with ids only; denials, logins and overrides are recorded too."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.access import request_trail
from accounts.models import AccessLog
from casework.selectors import get_case_for
from tests.factories import PASSWORD, make_consent, make_document, make_referral

pytestmark = pytest.mark.django_db


def rows(*, with_logins=False):
    """The log in order; logins (force_login writes one) left out unless asked."""
    log = AccessLog.objects.order_by("id")
    if not with_logins:
        log = log.exclude(action__in=["login", "logout"])
    return list(log)


def test_case_page_is_one_view_row_with_ids_only(client_as, caseworker, case):
    web = client_as(caseworker)
    before = len(rows())
    response = web.get(
        reverse("casework:case_detail", args=[case.pk]), HTTP_USER_AGENT="Firefox/140"
    )
    assert response.status_code == 200
    [row] = rows()[before:]
    assert (row.action, row.outcome) == ("view", "ok")
    assert (row.object_type, row.object_id) == ("casework.case", str(case.pk))
    assert (row.case_id, row.client_id) == (case.pk, case.client_id)
    assert (row.actor_id, row.agency_id, row.role) == (caseworker.pk, case.agency_id, "caseworker")
    assert (row.ip, row.user_agent) == ("127.0.0.1", "Firefox/140")
    assert row.route == "casework:case_detail"
    values = " ".join(str(getattr(row, f.attname)) for f in AccessLog._meta.fields)
    assert case.client.name not in values and case.number not in values


def test_lists_and_searches(as_user, caseworker, case):
    api = as_user(caseworker)
    api.get("/api/v1/cases/")
    api.get("/api/v1/clients/", {"q": "Hassan"})
    listed, searched = rows()[-2:]
    assert (listed.action, listed.object_type, listed.client_id) == ("list", "casework.case", None)
    assert (searched.action, searched.object_type) == ("search", "casework.client")


def test_a_stranger_is_recorded_as_denied(client_as, outsider, case):
    response = client_as(outsider).get(reverse("casework:case_detail", args=[case.pk]))
    assert response.status_code == 404
    [row] = rows()
    assert (row.action, row.outcome, row.actor_id) == (
        "permission_denied",
        "not_found",
        outsider.pk,
    )
    assert row.object_id == str(case.pk)


def test_download_is_recorded_as_download(client_as, caseworker, case):
    document = make_document(caseworker, case)
    client_as(caseworker).get(reverse("casework:document_download", args=[case.pk, document.pk]))
    [row] = rows()
    assert (row.action, row.object_type, row.object_id) == (
        "download",
        "casework.document",
        str(document.pk),
    )
    assert row.client_id == case.client_id


def test_login_failure_and_logout(client, caseworker):
    client.post(reverse("accounts:login"), {"username": caseworker.email, "password": "wrong"})
    client.post(reverse("accounts:login"), {"username": caseworker.email, "password": PASSWORD})
    client.post(reverse("accounts:logout"))
    assert [(r.action, r.outcome) for r in rows(with_logins=True)] == [
        ("login_failed", "denied"),
        ("login", "ok"),
        ("logout", "ok"),
    ]
    assert rows()[0].actor_id is None  # what was typed is not stored


def test_partner_reading_a_packet(as_user, caseworker, case, partner_agency, referral_officer):
    make_consent(caseworker, case.client, recipient_agencies=[partner_agency])
    referral = make_referral(caseworker, case, partner_agency)
    as_user(referral_officer).get(f"/api/v1/referrals/{referral.pk}/packet/")
    row = rows()[-1]
    assert (row.action, row.object_type, row.object_id) == (
        "view",
        "referrals.referralpacket",
        str(referral.pk),
    )
    assert row.client_id == case.client_id
    assert (row.agency_id, row.role) == (partner_agency.pk, "referral_officer")


def test_an_override_is_the_request_row(as_user, supervisor, case, partner_agency):
    response = as_user(supervisor).post(
        "/api/v1/referrals/",
        {
            "case": str(case.pk),
            "to_agency": str(partner_agency.pk),
            "purpose": "Urgent care",
            "respond_by": str(timezone.now().date() + timedelta(days=5)),
            "data_categories": ["identity"],
            "override_reason": "Vital interests",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    view, override = rows()
    assert (view.action, view.case_id) == ("view", case.pk)
    assert (override.action, override.client_id) == ("consent_override", case.client_id)
    assert override.object_type == "referrals.referral"


def test_reads_outside_a_request_are_not_logged_but_a_trail_is(caseworker, case):
    get_case_for(caseworker, case.pk)
    assert rows() == []
    with request_trail(route="tool"):
        get_case_for(caseworker, case.pk)
    assert [row.action for row in rows()] == ["view"]


def test_the_log_row_costs_a_few_statements(as_user, caseworker, case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = as_user(caseworker)
    api.get("/api/v1/cases/")
    with CaptureQueriesContext(connection) as queries:
        api.get("/api/v1/cases/")
    logging = [
        q["sql"]
        for q in queries.captured_queries
        if "accesslog" in q["sql"] or "pg_advisory" in q["sql"] or "SAVEPOINT" in q["sql"]
    ]
    # Lock the chain (PostgreSQL), read its head, insert; a savepoint around them.
    assert len(logging) <= 5, logging


def test_a_refused_write_still_leaves_its_row(as_user, caseworker, case, partner_agency):
    """The row written inside the refused send's transaction rolls back with
    it; the request still leaves one row, with the outcome."""
    response = as_user(caseworker).post(
        "/api/v1/referrals/",
        {
            "case": str(case.pk),
            "to_agency": str(partner_agency.pk),
            "purpose": "Advice",
            "respond_by": str(timezone.now().date() + timedelta(days=5)),
            "data_categories": ["identity"],
        },
        format="json",
    )
    assert response.status_code == 409  # no consent
    [row] = rows()
    assert (row.action, row.case_id, row.outcome) == ("view", case.pk, "failed")
