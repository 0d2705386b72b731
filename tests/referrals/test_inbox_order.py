"""The inbox's order — overdue first, then awaiting an answer, then the other
open referrals, then the closed ones; within each the most urgent and the
earliest respond-by first — kept across pages by a keyset over every column
of that order (HTML and API), with ties and NULLs, and the purpose and a look
at the packet on each row."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.audit import save_with_history
from config.http.keyset import Key, read_page
from referrals import services
from referrals.models import Referral
from tests.factories import make_referral
from tests.helpers import error_fields, ids, page

pytestmark = pytest.mark.django_db

INBOX = reverse("referrals:inbox")
API = "/api/v1/referrals/"
RANK = {"emergency": 2, "urgent": 1, "routine": 0}


UUID_ZERO = "00000000-0000-0000-0000-000000000000"


def expected_order(referrals) -> list[str]:
    """The inbox's order, worked out here from the rows themselves."""
    today = timezone.now().date()

    def stage(referral):
        if referral.state == "sent":
            return 0 if referral.respond_by < today else 1
        return 2 if referral.state in ("draft", "accepted") else 3

    rows = Referral.objects.filter(pk__in=[r.pk for r in referrals])
    return [
        str(r.pk)
        for r in sorted(
            rows,
            key=lambda r: (stage(r), -RANK[r.urgency], r.respond_by, r.created_at, r.pk),
        )
    ]


def html_walk(browser, query: dict) -> list[str]:
    """Every referral the inbox lists for ``query``, following "Next page"."""
    rows: list[str] = []
    address = INBOX
    params = dict(query)
    seen_pages = 0
    while True:
        content = page(browser.get(address, params))
        table = re.search(r'<table class="referral-list">(.*?)</table>', content, re.S)
        rows += re.findall(r'data-referral="([0-9a-f-]+)"', table.group(1)) if table else []
        following = re.search(r'href="\?([^"]+)" rel="next"', content)
        seen_pages += 1
        assert seen_pages < 50, "the pages never end"
        if not following:
            return rows
        params = dict(pair.split("=", 1) for pair in unescape(following.group(1)).split("&"))


def late(referral: Referral, actor, days: int) -> Referral:
    referral.respond_by = timezone.now().date() - timedelta(days=days)
    save_with_history(referral, actor=actor, update_fields=["respond_by"])
    return referral


@pytest.fixture
def mixed(caseworker, case, consent, partner_agency, referral_officer):
    """Referrals to the partner in every stage, urgency and respond-by, with ties."""
    today = timezone.now().date()

    def send(urgency, days, **data):
        return make_referral(
            caseworker,
            case,
            partner_agency,
            urgency=urgency,
            respond_by=today + timedelta(days=max(days, 1)),
            **data,
        )

    made = [
        send("routine", 3),
        send("emergency", 9),
        send("urgent", 2),
        send("urgent", 2),  # a tie with the one before
        send("urgent", 2),  # and another
        late(send("routine", 1), caseworker, 4),
        late(send("emergency", 1), caseworker, 2),
        late(send("emergency", 1), caseworker, 2),  # a tie among the overdue
        send("emergency", 5),
        send("routine", 1),
    ]
    accepted = [send("emergency", 4), send("routine", 2)]
    for referral in accepted:
        services.accept_referral(actor=referral_officer, referral_id=referral.pk)
    completed = send("emergency", 2)
    services.accept_referral(actor=referral_officer, referral_id=completed.pk)
    services.complete_referral(actor=referral_officer, referral_id=completed.pk, outcome="Done")
    declined = send("emergency", 1)
    services.decline_referral(actor=referral_officer, referral_id=declined.pk, reason="Full")
    draft = send("urgent", 6, send=False)
    withdrawn = send("emergency", 3)
    services.withdraw_referral(actor=caseworker, referral_id=withdrawn.pk, reason="Moved")
    return {
        "incoming": [*made, *accepted, completed],
        "outgoing": [*made, *accepted, completed, declined, draft, withdrawn],
    }


def test_the_inbox_pages_in_order_without_skipping_or_repeating(
    client_as, referral_officer, mixed, monkeypatch
):
    monkeypatch.setattr("config.http.pages.PAGE_SIZE", 2)
    rows = html_walk(client_as(referral_officer), {"direction": "incoming"})
    assert rows == expected_order(mixed["incoming"])
    assert len(rows) == len(set(rows)) == 13


def test_the_outbox_has_the_same_order_with_drafts_open_and_closed_ones_last(
    client_as, caseworker, mixed, monkeypatch
):
    monkeypatch.setattr("config.http.pages.PAGE_SIZE", 3)
    rows = html_walk(client_as(caseworker), {"direction": "outgoing"})
    assert rows == expected_order(mixed["outgoing"])
    states = [Referral.objects.get(pk=pk).state for pk in rows]
    assert states[-3:] == ["declined", "completed", "withdrawn"]
    assert states.index("draft") > states.index("sent")


def test_the_filtered_inbox_keeps_the_order(client_as, referral_officer, mixed, monkeypatch):
    monkeypatch.setattr("config.http.pages.PAGE_SIZE", 2)
    sent = [r for r in mixed["incoming"] if Referral.objects.get(pk=r.pk).state == "sent"]
    rows = html_walk(client_as(referral_officer), {"direction": "incoming", "state": "sent"})
    assert rows == expected_order(sent)
    # Overdue first, the emergencies among them before the routine one.
    first = [Referral.objects.get(pk=pk) for pk in rows[:3]]
    assert [r.urgency for r in first] == ["emergency", "emergency", "routine"]
    assert all(r.respond_by < timezone.now().date() for r in first)


def test_ties_longer_than_a_page_are_paged_by_the_id(
    client_as, caseworker, case, consent, partner_agency, referral_officer, monkeypatch
):
    monkeypatch.setattr("config.http.pages.PAGE_SIZE", 2)
    same_day = timezone.now().date() + timedelta(days=7)
    made = [make_referral(caseworker, case, partner_agency, respond_by=same_day) for _ in range(5)]
    rows = html_walk(client_as(referral_officer), {"direction": "incoming"})
    assert rows == expected_order(made)
    assert sorted(rows) == sorted(str(r.pk) for r in made)


def test_an_unreadable_position_shows_the_first_page(
    client_as, referral_officer, mixed, monkeypatch
):
    monkeypatch.setattr("config.http.pages.PAGE_SIZE", 2)
    browser = client_as(referral_officer)
    first = html_walk(browser, {"direction": "incoming"})[:2]
    for junk in ("not-a-cursor", "W1tdXQ", "eyJwIjpbMSwyXX0"):
        response = browser.get(INBOX, {"direction": "incoming", "after": junk})
        assert response.status_code == 200
        assert re.findall(r'data-referral="([0-9a-f-]+)"', page(response)) == first


def test_the_inbox_shows_the_purpose_and_marks_overdue_rows(client_as, referral_officer, mixed):
    content = page(client_as(referral_officer).get(INBOX, {"direction": "incoming"}))
    assert '<th scope="col">Purpose</th>' in content
    assert 'data-label="Purpose"' in content
    assert "Legal advice on the asylum appeal" in content
    overdue_rows = re.findall(r'<tr class="overdue" data-referral="([0-9a-f-]+)"', content)
    assert overdue_rows == expected_order(mixed["incoming"])[:3]


def test_the_packet_opens_in_place_on_a_row(client_as, referral_officer, mixed):
    browser = client_as(referral_officer)
    referral = mixed["incoming"][0]
    packet = reverse("referrals:packet", args=[referral.pk])
    content = page(browser.get(INBOX, {"direction": "incoming"}))
    assert f'hx-get="{packet}?part=summary"' in content
    fragment = page(browser.get(packet, {"part": "summary"}, headers={"HX-Request": "true"}))
    assert "<html" not in fragment
    assert f'data-packet="{referral.pk}"' in fragment
    assert 'data-section="identity"' in fragment
    # Without htmx, the whole page.
    assert "<html" in page(browser.get(packet, {"part": "summary"}))


def test_an_outsider_reads_no_packet_summary(client_as, outsider, mixed):
    packet = reverse("referrals:packet", args=[mixed["incoming"][0].pk])
    response = client_as(outsider).get(packet, {"part": "summary"}, headers={"HX-Request": "true"})
    assert response.status_code == 404


# --- The API list ---------------------------------------------------------------------


def test_the_api_pages_in_the_inbox_order_both_ways(as_user, referral_officer, mixed):
    api = as_user(referral_officer)
    response = api.get(API, {"direction": "incoming", "page_size": 2})
    assert response.status_code == 200
    pages = [response.json()]
    while pages[-1]["next"]:
        pages.append(api.get(pages[-1]["next"]).json())
    forward = [row["id"] for body in pages for row in body["results"]]
    assert forward == expected_order(mixed["incoming"])
    assert pages[0]["previous"] is None
    assert [row["is_overdue"] for row in pages[0]["results"]] == [True, True]
    # Back from the last page to the first through "previous".
    backward = [row["id"] for row in pages[-1]["results"]]
    body = pages[-1]
    while body["previous"]:
        body = api.get(body["previous"]).json()
        backward = [row["id"] for row in body["results"]] + backward
    assert backward == forward


def test_the_api_filters_accepted_referrals_without_a_case(
    as_user, referral_officer, partner_caseworker, mixed
):
    accepted = [r for r in mixed["incoming"] if Referral.objects.get(pk=r.pk).state == "accepted"]
    services.open_case_from_referral(
        actor=referral_officer, referral_id=accepted[0].pk, assigned_to=partner_caseworker
    )
    response = as_user(referral_officer).get(
        API, {"direction": "incoming", "state": "accepted", "without_case": "true"}
    )
    assert ids(response) == [str(accepted[1].pk)]


def test_the_api_refuses_a_cursor_that_is_not_one(as_user, referral_officer, mixed):
    api = as_user(referral_officer)
    for junk in ("not-a-cursor", "eyJwIjpbMSwyXX0", "eyJwIjpbIngiLDEsIjIwMjYtMDEtMDEiLDEsMV19"):
        assert error_fields(api.get(API, {"cursor": junk})) == {"cursor"}


def _cursor(text: str) -> str:
    import base64

    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


TAIL = ',0,"2026-01-01","2026-01-01T00:00:00+00:00","' + UUID_ZERO + '"]}'
OVERFLOWING_CURSORS = [
    _cursor('{"p":[' + first + TAIL) for first in ("1e999", "NaN", "-Infinity", "1.5")
]


@pytest.mark.parametrize("cursor", OVERFLOWING_CURSORS)
def test_a_cursor_with_numbers_no_column_holds_is_refused_not_a_500(
    as_user, client_as, referral_officer, mixed, cursor
):
    assert error_fields(as_user(referral_officer).get(API, {"cursor": cursor})) == {"cursor"}
    response = client_as(referral_officer).get(reverse("referrals:inbox"), {"after": cursor})
    assert response.status_code == 200  # an unreadable position shows the first page


def test_the_schema_documents_the_order(as_user, referral_officer):
    schema = as_user(referral_officer).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/referrals/"]["get"]
    assert "urgency" in operation["description"]
    assert "respond_by" in operation["description"]
    assert "without_case" in {parameter["name"] for parameter in operation["parameters"]}


# --- The keyset itself: NULLs ----------------------------------------------------------


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("nulls_last", [True, False])
def test_a_nullable_column_pages_with_its_nulls_where_it_says(
    caseworker, case, consent, partner_agency, referral_officer, descending, nulls_last
):
    """``decided_at`` is NULL until the partner answers: pages of two over an
    order on it hold every referral once, NULLs first or last as asked."""
    made = [make_referral(caseworker, case, partner_agency) for _ in range(7)]
    for referral in made[:3]:
        services.accept_referral(actor=referral_officer, referral_id=referral.pk)
    queryset = Referral.objects.filter(pk__in=[r.pk for r in made])
    ordering = (Key("decided_at", descending=descending, nulls_last=nulls_last), "id")

    def python_order():
        rows = sorted(queryset, key=lambda r: r.pk)
        decided = [r for r in rows if r.decided_at]
        # Stable: level decided_at values (none here) would stay in id order.
        decided.sort(key=lambda r: r.decided_at, reverse=descending)
        undecided = [r for r in rows if not r.decided_at]
        ordered = decided + undecided if nulls_last else undecided + decided
        return [r.pk for r in ordered]

    seen, cursor = [], ""
    windows = []
    while True:
        window = read_page(queryset, ordering, cursor, 2)
        windows.append(window)
        seen += [r.pk for r in window.rows]
        if window.next_cursor is None:
            break
        cursor = window.next_cursor
    assert seen == python_order()
    undecided = {r.pk for r in made[3:]}
    positions = [i for i, pk in enumerate(seen) if pk in undecided]
    assert positions == (list(range(3, 7)) if nulls_last else list(range(4)))
    # And back again from the last page.
    back, cursor = [r.pk for r in windows[-1].rows], windows[-1].previous_cursor
    while cursor:
        window = read_page(queryset, ordering, cursor, 2)
        back = [r.pk for r in window.rows] + back
        cursor = window.previous_cursor
    assert back == seen


def test_a_cursor_position_on_a_null_continues_among_the_nulls(
    caseworker, case, consent, partner_agency
):
    made = [make_referral(caseworker, case, partner_agency) for _ in range(5)]
    queryset = Referral.objects.filter(pk__in=[r.pk for r in made])
    ordering = (Key("decided_at"), "id")
    first = read_page(queryset, ordering, "", 2)
    rest = read_page(queryset, ordering, first.next_cursor, 10)
    assert [r.pk for r in first.rows + rest.rows] == sorted(r.pk for r in made)
    assert rest.next_cursor is None


def test_the_html_inbox_still_serves_a_day_of_rows_in_one_query_shape(
    client_as, referral_officer, mixed
):
    """The order adds no query per row: the first page of thirteen rows costs
    what a page of one does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = client_as(referral_officer)
    browser.get(INBOX, {"direction": "incoming"})
    with CaptureQueriesContext(connection) as many:
        browser.get(INBOX, {"direction": "incoming"})
    with CaptureQueriesContext(connection) as one:
        browser.get(INBOX, {"direction": "incoming", "state": "completed"})
    assert len(many) == len(one)
