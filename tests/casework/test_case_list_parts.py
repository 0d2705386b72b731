"""The lists' reads at scale (issue 16). The case list reads a scope of
several parts one part at a time (``casework.selectors.case_branches``,
``config.http.keyset.first_rows``): a user of two agencies with a case granted
from a third gets the same pages, forwards and backwards, as the plain query
ordered by the scope's OR. Client grants come with the scope's one statement.
Staff selects are written in Python with Django's markup."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.models import User
from accounts.permissions import Perm, Role
from accounts.tracking import untracked
from casework.models import Case
from casework.selectors import (
    any_of,
    case_branches,
    case_list_parts,
    case_scope,
    cases_visible_to,
    filter_cases,
)
from tests.factories import make_case, make_client, make_member

pytestmark = pytest.mark.django_db

ORDER = ("-updated_at", "-id")


@pytest.fixture
def spread(caseworker, second_caseworker, supervisor, partner_agency, outsider):
    """``caseworker`` also supervises the partner agency and is granted one
    of the outsider's cases. Returns the user and every case made."""
    make_member(partner_agency, Role.SUPERVISOR, user=caseworker)
    partner_head = make_member(partner_agency, Role.SUPERVISOR, display_name="Partner Head")
    own = make_client(caseworker)
    cases = [make_case(caseworker, own) for _ in range(4)]
    # Restricted in the caseworker's own agency: one theirs, two someone else's.
    cases.append(make_case(supervisor, own, assigned_to=caseworker, is_restricted=True))
    cases += [
        make_case(supervisor, own, assigned_to=second_caseworker, is_restricted=True)
        for _ in range(2)
    ]
    partner_client = make_client(partner_head, partner_agency)
    cases += [make_case(partner_head, partner_client) for _ in range(4)]
    cases.append(make_case(partner_head, partner_client, is_restricted=True))
    foreign = make_client(outsider)
    granted, hidden = make_case(outsider, foreign), make_case(outsider, foreign)
    assign_perm(Perm.VIEW_CASE.value, caseworker, granted)
    cases += [granted, hidden]
    # Interleave the parts in time, with ties that only the id breaks.
    start = timezone.now() - timedelta(days=30)
    with untracked():  # test data: times no service would set
        for index, case in enumerate(cases):
            moment = start + timedelta(hours=index // 2)
            Case.objects.filter(pk=case.pk).update(updated_at=moment)
    return User.objects.get(pk=caseworker.pk), cases


def plain_order(user) -> list[str]:
    """The page order as one query filtered by the scope's OR."""
    return [str(pk) for pk in cases_visible_to(user).order_by(*ORDER).values_list("pk", flat=True)]


def test_the_parts_together_are_the_scope(spread, supervisor, viewer):
    user, _cases = spread
    parts = case_branches(user)
    assert len(parts) == 3  # own agency, supervised agency, the grant
    assert set(Case.objects.filter(any_of(parts))) == set(Case.objects.filter(case_scope(user)))
    # A scope of one part is not split; a search is not split either.
    assert case_branches(User.objects.get(pk=supervisor.pk)) == []
    assert len(case_branches(User.objects.get(pk=viewer.pk))) == 2
    # Split by the same filters, the parts together are the filtered list; a
    # search is not split.
    filtered = set(filter_cases(user, assigned_to_me=True))
    assert set().union(*(set(part) for part in case_list_parts(user, assigned_to_me=True))) == (
        filtered
    )
    assert case_list_parts(user, query="Mohammed") == []


def test_the_api_pages_the_parts_like_the_plain_query(as_user, spread):
    user, cases = spread
    expected = plain_order(user)
    assert len(expected) == 4 + 1 + 5 + 1  # own, own restricted, partner, granted
    api = as_user(user)
    pages, response = [], api.get("/api/v1/cases/", {"page_size": 3})
    while True:
        assert response.status_code == 200
        body = response.json()
        pages.append([item["id"] for item in body["results"]])
        if body["next_cursor"] is None:
            break
        last_cursor = body["next_cursor"]
        response = api.get("/api/v1/cases/", {"page_size": 3, "cursor": last_cursor})
    assert [pk for page in pages for pk in page] == expected
    # Backwards from the last page, by ``previous_cursor``: the same pages.
    back = [pages[-1]]
    body = response.json()
    while body["previous_cursor"] is not None:
        body = api.get("/api/v1/cases/", {"page_size": 3, "cursor": body["previous_cursor"]}).json()
        back.insert(0, [item["id"] for item in body["results"]])
    assert back == pages
    # Filters apply in every part.
    response = api.get("/api/v1/cases/", {"page_size": 3, "assigned_to_me": "true"})
    mine = [str(case.pk) for case in cases if case.assigned_to_id == user.pk]
    assert [item["id"] for item in response.json()["results"]] == [
        pk for pk in expected if pk in mine
    ][:3]


def test_the_case_list_page_shows_the_plain_order(client_as, spread):
    user, _cases = spread
    response = client_as(user).get("/cases/")
    assert response.status_code == 200
    assert [str(case.pk) for case in response.context["page"].rows] == plain_order(user)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_each_part_is_read_on_its_own_on_postgresql(as_user, spread):
    """One limited read per part, in one statement: no sort of every visible case."""
    user, _cases = spread
    api = as_user(user)
    with CaptureQueriesContext(connection) as captured:
        assert api.get("/api/v1/cases/", {"page_size": 3}).status_code == 200
    [page_sql] = [q["sql"] for q in captured.captured_queries if "LIMIT 4" in q["sql"]]
    assert "UNION ALL" in page_sql
    assert page_sql.count("LIMIT 4") == 4  # each part, and the page


def test_a_long_select_writes_what_django_writes():
    """``LongSelect`` (the staff lists) gives the markup of Django's select:
    escaped values and labels, the chosen option selected, the field's id."""
    from django import forms

    from config.http.forms import LongSelect

    choices = [("", "Anyone"), ("a<1", "O'Brien & <b>"), ("b", "يوسف")]

    class Long(forms.Form):
        who = forms.ChoiceField(choices=choices, widget=LongSelect, required=False)

    class Plain(forms.Form):
        who = forms.ChoiceField(choices=choices, required=False)

    def options(html: str) -> list[str]:
        return [line.strip() for line in html.splitlines() if line.strip()]

    assert options(str(Long({"who": "b"})["who"])) == options(str(Plain({"who": "b"})["who"]))
    assert '<option value="b" selected>يوسف</option>' in str(Long({"who": "b"})["who"])


def test_client_grants_come_with_the_scope_in_one_statement(
    as_user, supervisor, caseworker, outsider, agency
):
    """A client granted to a user, or to one of their role groups, is read in
    the scope's one statement (``scope_of``): a name search of the clients
    list sends no statement of its own for the grants."""
    from accounts.models import RoleGroup
    from casework.selectors import clients_visible_to

    mine = make_client(caseworker, name="Zbigniew Nowak", name_latin="Zbigniew Nowak")
    foreign = make_client(outsider, name="Zbigniew Kowalski", name_latin="Zbigniew Kowalski")
    group = RoleGroup.objects.get(agency=agency, role=Role.SUPERVISOR).group
    assign_perm(Perm.VIEW_CLIENT.value, group, foreign)
    fresh = User.objects.get(pk=supervisor.pk)
    assert set(clients_visible_to(fresh)) >= {mine, foreign}

    api = as_user(supervisor)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/clients/", {"q": "Zbigniew"})
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {str(mine.pk), str(foreign.pk)}
    grant_reads = [q for q in queries.captured_queries if "clientuserobjectpermission" in q["sql"]]
    assert len(grant_reads) == 1  # inside the scope's statement, with the roles
    assert "rolegroup" in grant_reads[0]["sql"]


def test_the_list_and_its_parts_share_one_moment(spread):
    """``now`` reaches every time-dependent filter, so a list and its parts
    read at two moments (across midnight) still agree."""
    user, _cases = spread  # every case last changed 30 days ago or less
    now, earlier = timezone.now(), timezone.now() - timedelta(days=400)
    stale = set(filter_cases(user, inactive=True, now=now))
    assert stale  # untouched for weeks: without activity today
    assert not filter_cases(user, inactive=True, now=earlier).exists()  # not back then
    for moment, expected in ((now, stale), (earlier, set())):
        parts = case_list_parts(user, inactive=True, now=moment)
        assert set().union(*(set(part) for part in parts)) == expected
