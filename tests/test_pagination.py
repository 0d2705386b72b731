"""One shape for every list of the API (issue 13): ``{"next", "previous",
"next_cursor", "previous_cursor", "results"}``, where ``next_cursor`` is the
``cursor`` query value of ``next``, so a client pages by passing it back as
``cursor`` without reading the URL. No page numbers, no total count."""

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from accounts.services import notify_users, withdraw_emergency_access_agreement
from casework import services as casework_services
from tests.factories import (
    AgencyFactory,
    agree_emergency_access,
    make_case,
    make_client,
    make_referral,
    make_service,
)
from tests.helpers import error_fields

pytestmark = pytest.mark.django_db

PAGE_KEYS = ["next", "previous", "next_cursor", "previous_cursor", "results"]


def cursor_of(link: str | None) -> str | None:
    """The ``cursor`` query value of a link, as a client would send it back."""
    if link is None:
        return None
    [value] = parse_qs(urlsplit(link).query)["cursor"]
    return value


def walk(api, path: str, query: dict | None = None, *, page_size: int) -> list[dict]:
    """Every page of a list, following ``next_cursor`` (never the URL) to the end."""
    query = dict(query or {}, page_size=page_size)
    pages = []
    response = api.get(path, query)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        if body["next_cursor"] is None:
            assert body["next"] is None
            return pages
        response = api.get(path, {**query, "cursor": body["next_cursor"]})


def assert_page_shape(body: dict) -> None:
    assert list(body) == PAGE_KEYS
    assert body["next_cursor"] == cursor_of(body["next"])
    assert body["previous_cursor"] == cursor_of(body["previous"])
    assert "count" not in body and "page" not in body


# --- The shape on several lists --------------------------------------------------------


@pytest.fixture
def rows_of_every_list(caseworker, client_record, case, consent, partner_agency, other_agency):
    """Three rows or more in each list tried below, as the caseworker sees them."""
    for index in range(2):
        make_client(caseworker, name=f"Client {index}", name_latin=f"Client {index}")
        make_case(caseworker, client_record)
        make_service(partner_agency, name=f"Service {index}")
        make_referral(caseworker, case, partner_agency)
        notify_users(
            [caseworker],
            kind="case.assigned",
            text="Case %(number)s was assigned to you.",
            values={"number": f"AMAL-2026-{index:05d}"},
            email=False,
        )
    make_service(other_agency, name="Service 2")
    make_referral(caseworker, case, partner_agency)
    notify_users(
        [caseworker],
        kind="case.assigned",
        text="Case %(number)s was assigned to you.",
        values={"number": "AMAL-2026-00002"},
        email=False,
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/",
        "/api/v1/clients/",
        "/api/v1/services/",
        "/api/v1/notifications/",
        "/api/v1/referrals/",
    ],
)
def test_every_list_answers_the_five_keys_and_the_cursor_of_its_links(
    as_user, caseworker, rows_of_every_list, path
):
    api = as_user(caseworker)
    first = api.get(path, {"page_size": 2})
    assert first.status_code == 200, first.content
    body = first.json()
    assert_page_shape(body)
    assert len(body["results"]) == 2
    assert body["next"] and body["next_cursor"]
    assert body["previous"] is None and body["previous_cursor"] is None

    # The next page, asked for with the cursor alone, is the page `next` leads to.
    by_cursor = api.get(path, {"page_size": 2, "cursor": body["next_cursor"]}).json()
    by_link = api.get(body["next"]).json()
    assert by_cursor == by_link
    assert_page_shape(by_cursor)
    assert by_cursor["previous_cursor"]
    assert not {row["id"] for row in by_cursor["results"]} & {row["id"] for row in body["results"]}

    # And `previous_cursor` leads back to the first page.
    back = api.get(path, {"page_size": 2, "cursor": by_cursor["previous_cursor"]}).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in body["results"]]


def test_an_empty_list_has_the_same_shape(as_user, outsider):
    body = as_user(outsider).get("/api/v1/cases/").json()
    assert body == {
        "next": None,
        "previous": None,
        "next_cursor": None,
        "previous_cursor": None,
        "results": [],
    }


# --- The service directory, by name ----------------------------------------------------


def test_following_next_cursor_visits_every_service_once_in_name_order(
    as_user, outsider, agency, partner_agency, other_agency
):
    # Two agencies use the same name: the id orders them and neither is lost
    # or repeated at a page boundary.
    created = [
        make_service(agency, name="Legal counselling"),
        make_service(partner_agency, name="Legal counselling"),
        make_service(agency, name="Arabic classes"),
        make_service(other_agency, name="Shelter"),
        make_service(partner_agency, name="Job desk"),
        make_service(other_agency, name="Food bank"),
        make_service(agency, name="Women's group"),
    ]
    expected = [str(service.pk) for service in sorted(created, key=lambda s: (s.name, str(s.pk)))]
    api = as_user(outsider)
    pages = walk(api, "/api/v1/services/", page_size=3)
    assert [len(body["results"]) for body in pages] == [3, 3, 1]
    seen = [row["id"] for body in pages for row in body["results"]]
    assert seen == expected
    for body in pages:
        assert_page_shape(body)

    # Back from the last page by previous_cursor, the same rows in the same order.
    back = [pages[-1]]
    while back[-1]["previous_cursor"]:
        back.append(
            api.get(
                "/api/v1/services/", {"page_size": 3, "cursor": back[-1]["previous_cursor"]}
            ).json()
        )
    assert [row["id"] for body in reversed(back) for row in body["results"]] == expected


def test_the_directory_keeps_its_filters_and_drops_page_numbers(
    as_user, outsider, agency, partner_agency
):
    for index in range(4):
        make_service(agency, name=f"Housing desk {index}", category="housing")
    make_service(partner_agency, name="Legal counselling")
    api = as_user(outsider)
    pages = walk(api, "/api/v1/services/", {"category": "housing"}, page_size=3)
    names = [row["name"] for body in pages for row in body["results"]]
    assert names == [f"Housing desk {index}" for index in range(4)]
    # The filter travels in the links too.
    assert "category=housing" in pages[0]["next"]
    # `page` is no parameter any more: it changes nothing.
    assert api.get("/api/v1/services/", {"page": 2}).json()["results"][0]["name"] == (
        "Housing desk 0"
    )


# --- A cursor that is not one ----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/",
        "/api/v1/clients/",
        "/api/v1/services/",
        "/api/v1/notifications/",
        "/api/v1/referrals/",
        "/api/v1/reports/jobs/",
        "history",
        "duplicates",
        "emergency-access",
    ],
)
@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "eyJwIjpbMV19",  # {"p":[1]}: a position of another length, or no query string
        "cD14eXo=",  # p=xyz: a position no column holds
        "W10",  # []
        "",  # empty: never "from the start again"
        "٣",
    ],
)
def test_a_bad_cursor_is_a_400_naming_cursor(
    as_user, supervisor, client_record, case, agency, path, cursor
):
    path = {
        "history": f"/api/v1/cases/{case.pk}/history/",
        "duplicates": f"/api/v1/clients/{client_record.pk}/duplicates/",
        "emergency-access": f"/api/v1/agencies/{agency.slug}/emergency-access/",
    }.get(path, path)
    assert error_fields(as_user(supervisor).get(path, {"cursor": cursor})) == {"cursor"}


@pytest.mark.parametrize(
    ("path", "columns"),
    [("/api/v1/services/", 2), ("/api/v1/agencies/", 2), ("emergency-access", 3)],
)
def test_a_cursor_at_null_where_no_column_holds_null_is_a_400(
    as_user, supervisor, agency, path, columns
):
    # {"p": [null, …]}: well formed, but no row of these lists sits there.
    cursor = base64.urlsafe_b64encode(json.dumps({"p": [None] * columns}).encode()).decode()
    path = {"emergency-access": f"/api/v1/agencies/{agency.slug}/emergency-access/"}.get(path, path)
    assert error_fields(as_user(supervisor).get(path, {"cursor": cursor.rstrip("=")})) == {"cursor"}


# --- The lists that were whole -------------------------------------------------------


def test_a_case_history_pages_newest_first_and_visits_every_entry_once(
    as_user, supervisor, caseworker, case
):
    version = case.version
    for risk in ("high", "low", "medium", "high", "low"):
        changed = casework_services.update_case(
            actor=caseworker,
            case_id=case.pk,
            expected_version=version,
            changes={"risk_level": risk},
            reason=f"now {risk}",
        )
        version = changed.version
    casework_services.add_note(actor=caseworker, case_id=case.pk, body="Called the client.")
    api = as_user(supervisor)
    whole = api.get(f"/api/v1/cases/{case.pk}/history/", {"page_size": 100}).json()
    assert_page_shape(whole)
    assert whole["next"] is None
    entries = whole["results"]
    assert len(entries) == 7  # created, five changes, the note
    times = [entry["at"] for entry in entries]
    assert times == sorted(times, reverse=True)

    url = f"/api/v1/cases/{case.pk}/history/"
    pages = walk(api, url, page_size=3)
    assert [len(body["results"]) for body in pages] == [3, 3, 1]
    assert [entry for body in pages for entry in body["results"]] == entries
    for body in pages:
        assert_page_shape(body)

    # Back from the last page by previous_cursor: the same entries, none twice.
    back = [pages[-1]]
    while back[-1]["previous_cursor"]:
        back.append(api.get(url, {"page_size": 3, "cursor": back[-1]["previous_cursor"]}).json())
    assert [entry for body in reversed(back) for entry in body["results"]] == entries

    # A change made while paging lands on the first page, and shifts nothing after it.
    casework_services.add_note(actor=caseworker, case_id=case.pk, body="Called again.")
    second = api.get(url, {"page_size": 3, "cursor": pages[0]["next_cursor"]}).json()
    assert second["results"] == pages[1]["results"]


def test_possible_duplicates_page_like_any_list(as_user, caseworker, client_record):
    twins = [make_client(caseworker) for _ in range(3)]  # same name and date of birth
    api = as_user(caseworker)
    pages = walk(api, f"/api/v1/clients/{client_record.pk}/duplicates/", page_size=2)
    assert [len(body["results"]) for body in pages] == [2, 1]
    seen = [row["id"] for body in pages for row in body["results"]]
    assert seen == [str(twin.pk) for twin in reversed(twins)]  # newest first


def test_an_agencys_emergency_access_agreements_are_one_list(
    as_user, agency, other_agency, partner_agency, supervisor
):
    third = AgencyFactory(slug="third", name="Third agency")
    granted = agree_emergency_access(agency, other_agency)
    withdrawn = agree_emergency_access(agency, third)
    withdraw_emergency_access_agreement(
        actor=withdrawn.recorded_by, agreement_id=withdrawn.pk, reason="Contract ended"
    )
    received = agree_emergency_access(partner_agency, agency)
    for agreement, minutes in ((granted, 30), (withdrawn, 20), (received, 10)):
        agreement.recorded_at = timezone.now() - timedelta(minutes=minutes)
        agreement.save(update_fields=["recorded_at"])
    url = f"/api/v1/agencies/{agency.slug}/emergency-access/"
    api = as_user(supervisor)
    pages = walk(api, url, page_size=1)
    for body in pages:
        assert_page_shape(body)
    # Active first (the newest recorded first), then the withdrawn one.
    assert [row["id"] for body in pages for row in body["results"]] == [
        str(received.pk),
        str(granted.pk),
        str(withdrawn.pk),
    ]

    def ids(direction):
        body = api.get(url, {"direction": direction}).json()
        return [row["id"] for row in body["results"]]

    assert ids("granted") == [str(granted.pk), str(withdrawn.pk)]
    assert ids("received") == [str(received.pk)]
    assert error_fields(api.get(url, {"direction": "sideways"})) == {"direction"}
    assert error_fields(api.get(url, {"direction": ""})) == {"direction"}


# --- The schema says so for every list --------------------------------------------------


def _schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _resolved(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


# GETs whose answer holds lists that are no list of records: the HSDS export is
# an interchange document in HSDS's own Page shape; the others are reports or
# summaries of a fixed, small size (docs/api.md, Pagination).
NOT_LISTS = {
    "/api/v1/services/export.hsds.json",
    "/api/v1/search/",
    "/api/v1/agencies/{slug}/retention/",
    "/api/v1/reports/statistics/",
    "/api/v1/reports/disclosure-register/",
}


def test_every_list_operation_answers_exactly_this_shape(client):
    schema = _schema(client)
    lists = []
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if operation is None or "200" not in operation["responses"]:
            continue
        content = operation["responses"]["200"].get("content", {})
        if "application/json" not in content:
            continue
        body = _resolved(schema, content["application/json"]["schema"])
        # No GET answers a bare JSON array.
        assert body.get("type") != "array", path
        if "results" not in body.get("properties", {}):
            continue
        lists.append(path)
        assert path not in NOT_LISTS
        properties = body["properties"]
        assert list(properties) == PAGE_KEYS, path
        assert sorted(body["required"]) == sorted(PAGE_KEYS), path
        for key in PAGE_KEYS[:4]:
            assert properties[key]["type"] == "string", (path, key)
            assert properties[key]["nullable"] is True, (path, key)
        assert properties["results"]["type"] == "array", path
        parameters = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        assert {"cursor", "page_size"} <= parameters, path
        assert "page" not in parameters, path
    for path in (
        "/api/v1/cases/",
        "/api/v1/clients/",
        "/api/v1/services/",
        "/api/v1/notifications/",
        "/api/v1/referrals/",
        "/api/v1/cases/{case_id}/history/",
        "/api/v1/clients/{client_id}/duplicates/",
        "/api/v1/agencies/{slug}/emergency-access/",
    ):
        assert path in lists, path
