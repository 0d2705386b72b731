"""The header's search box: transliterations, ranking, scope, the page and the API."""

import pytest
from django.urls import reverse

from accounts.models import AccessLog
from casework.names import search_terms, search_text
from casework.selectors import (
    Rank,
    filter_cases,
    ranked_clients,
    search_clients,
    search_everything,
)
from tests.factories import make_case, make_client

pytestmark = pytest.mark.django_db

SEARCH_URL = reverse("casework:search")


# --- Transliterations: (query, name, should match) -----------------------------------------

TRANSLITERATIONS = [
    # The Arabic article, joined or apart, al- or el-.
    ("alhassan", "Mohammed al-Hassan", True),
    ("el hassan", "Mohammed al-Hassan", True),
    ("al-Hassan", "Mohammed al-Hassan", True),
    ("Al Hassan", "Mohammed al-Hassan", True),
    ("el-hassan", "Mohammed al-Hassan", True),
    ("al-Hassan", "Alhasan", True),
    ("al hassan", "Alhassan", True),
    ("elhassan", "Al Hassan", True),
    ("alhassan", "محمد الحسن", True),
    ("el masri", "Al-Masri", True),
    ("almasri", "El Masri", True),
    ("hassan", "Alhassan", True),
    ("shami", "Ashshami", True),
    ("ash-Shami", "Al-Shami", True),
    ("ash shami", "Alshami", True),
    # Partial names across vowel spellings.
    ("Moh", "Mohammed", True),
    ("Moh", "Muhammad", True),
    ("Moh", "محمد", True),
    ("Muham", "Mohamed", True),
    ("Rezai", "Rezaei", True),
    ("Ali Rezai", "Ali Rezaei", True),
    ("Yusuf", "Youssef", True),
    ("Youssef", "Yusuf", True),
    ("Yusuf", "Yousefi", True),
    ("Fatma", "Fatimah", True),
    ("Fati", "Fatima", True),
    # Persian letter variants: Farsi yeh and kaf, Arabic yeh and kaf.
    ("علي", "علی", True),
    ("كريمي", "کریمی", True),
    ("Karimi", "کریمی", True),
    # Ukrainian and Russian, in Cyrillic and in Latin letters (anyascii).
    ("Oleksandr", "Олександр", True),
    ("Aleksandr", "Олександр", True),
    ("Олександр", "Александр", True),
    ("Александр", "Oleksandr", True),
    ("Hryhorii", "Григорій", True),
    ("Khmelnytskyi", "Хмельницький", True),
    ("Shcherbak", "Щербак", True),
    # Scripts no table of names.py covers: Ge'ez (Tigrinya, Amharic), Georgian, Devanagari.
    ("Saba Haile", "ሳባ ሃይለ", True),
    ("ሳባ", "Saba Haile", True),
    ("Giorgi", "გიორგი", True),
    ("Ram Sharma", "राम शर्मा", True),
    ("शर्मा", "Sharma", True),
    # No absurd matches.
    ("Ali", "Khalil", False),
    ("Ali", "Salim Haddad", False),
    ("Ali", "Mohammed al-Hassan", False),
    ("Ali", "Alexander", False),
    ("Ali", "Leila", False),
    ("Rezai", "Rezvan", False),
    ("hassan", "Mohammed", False),
    ("Moh", "Ahmad", False),
    ("Alexander", "Xander", False),
    ("Alina", "Lina", False),
    ("Ali Rezai", "Ali Karimi", False),
    ("al hassan", "Omar Haddad", False),
    ("Yusuf", "Joseph", False),
    ("ssan", "Hassan", False),
    ("Oleksandr", "Oksana", False),
    ("Saba", "Haile Tesfay", False),
    ("Giorgi", "გელა", False),
]


@pytest.mark.parametrize(("query", "name", "should_match"), TRANSLITERATIONS)
def test_transliteration_table(caseworker, query, name, should_match):
    client = make_client(caseworker, name=name, name_latin="")
    assert (client in search_clients(caseworker, query)) is should_match
    assert (client in ranked_clients(caseworker, query)) is should_match


def test_a_name_in_an_uncovered_script_ranks_by_its_whole_name(caseworker):
    """ሳባ ሃይለ and Saba Haile share a name key: the whole name ranks above a
    client found by one word's skeleton."""
    saba = make_client(caseworker, name="ሳባ ሃይለ", name_latin="")
    other = make_client(caseworker, name="Saba Hailemariam Tesfay", name_latin="")
    found = list(ranked_clients(caseworker, "Saba Haile"))
    assert found[0] == saba
    assert found[0].rank == Rank.NAME_KEY
    assert other in found
    assert found.index(other) > 0


def test_search_text_keeps_article_variants():
    assert " alhassan " in search_text("Mohammed al-Hassan")
    assert " hasan " in search_text("Alhasan")
    # The article alone has no skeleton: "Ali" (~al) must not find al-Hassan.
    assert " ~al " not in search_text("Mohammed al-Hassan")
    assert search_terms("el hassan") == [("hassan", "elhassan")]
    assert search_terms("alexander") == [("alexander",)]


# --- Ranking ---------------------------------------------------------------------------


def test_ranking_order(caseworker):
    # Same name key as the query ("mhmd hsn"): Muhammad Hasan, Mohammedi Hassani…
    by_skeleton = make_client(caseworker, name="Muhammadu Hasanbek", name_latin="")
    by_prefix = make_client(caseworker, name="Mohammedou Hassanov", name_latin="")
    by_key = make_client(caseworker, name="محمد الحسن", name_latin="Mohammed al-Hassan")
    by_document = make_client(
        caseworker,
        name="Selam Tesfay",
        name_latin="",
        documents=[{"type": "passport", "number": "MO-HA 1234"}],
    )
    found = list(ranked_clients(caseworker, "Mohammed Hassan"))
    assert found == [by_key, by_prefix, by_skeleton]
    assert [client.rank for client in found] == [Rank.NAME_KEY, Rank.PREFIX, Rank.SKELETON]
    [match] = ranked_clients(caseworker, "moha1234")
    assert (match, match.rank) == (by_document, Rank.NUMBER)


def test_case_number_ranks_first(caseworker):
    client = make_client(caseworker, name="Amal Haddad", name_latin="")
    first = make_case(caseworker, client)
    other_client = make_client(caseworker, name="Omar Haddad", name_latin="")
    make_case(caseworker, other_client)
    results = search_everything(caseworker, first.number.lower())
    assert results.cases[0] == first
    assert results.cases[0].rank == Rank.NUMBER
    by_name = search_everything(caseworker, "Amal Haddad")
    assert by_name.cases == [first]
    assert by_name.clients == [client]


def test_results_are_capped_with_more(caseworker):
    for _ in range(4):
        make_client(caseworker, name="Yusuf Haddad", name_latin="")
    results = search_everything(caseworker, "Youssef", limit=3)
    assert len(results.clients) == 3
    assert results.more_clients
    assert not results.more_cases


def test_query_count_does_not_grow_with_results(caseworker, django_assert_num_queries):
    make_client(caseworker, name="Yusuf Haddad", name_latin="")
    search_everything(caseworker, "Yusuf")  # the scope is cached on the user
    with django_assert_num_queries(2):
        one = search_everything(caseworker, "Yusuf")
    for _ in range(5):
        make_case(caseworker, make_client(caseworker, name="Youssef Haddad", name_latin=""))
    with django_assert_num_queries(2):
        many = search_everything(caseworker, "Yusuf")
    assert (len(one.clients), len(many.clients), len(many.cases)) == (1, 6, 5)


# --- Scope -----------------------------------------------------------------------------


def test_outsider_finds_nothing_of_another_agency(caseworker, outsider):
    client = make_client(
        caseworker, name="Yusuf Haddad", documents=[{"type": "passport", "number": "X1234567"}]
    )
    case = make_case(caseworker, client)
    for query in ("Yusuf", "X1234567", case.number, "Youssef Haddad"):
        results = search_everything(outsider, query)
        assert (results.clients, results.cases) == ([], []), query


def test_restricted_case_is_found_only_by_who_may_see_it(
    caseworker, second_caseworker, supervisor, restricted_case
):
    number = restricted_case.number
    assert search_everything(caseworker, number).cases == [restricted_case]
    assert search_everything(supervisor, number).cases == [restricted_case]
    assert search_everything(second_caseworker, number).cases == []
    assert search_everything(second_caseworker, "Mohammed").cases == []


def test_existing_filters_gain_the_transliterations(caseworker):
    client = make_client(caseworker, name="Ali Rezaei", name_latin="")
    case = make_case(caseworker, client)
    assert list(filter_cases(caseworker, query="ali rezai")) == [case]
    assert list(search_clients(caseworker, "rezai")) == [client]


# --- The page and the header --------------------------------------------------------


def test_header_box_is_shown_to_who_may_search(client_as, caseworker, dpo):
    page = client_as(caseworker).get(reverse("accounts:home")).content.decode()
    assert 'class="header-search" role="search"' in page
    assert f'action="{SEARCH_URL}"' in page


def test_results_page_as_caseworker(client_as, caseworker):
    client = make_client(caseworker, name="محمد الحسن", name_latin="Mohammed al-Hassan")
    case = make_case(caseworker, client)
    before = AccessLog.objects.filter(action="search").count()
    response = client_as(caseworker).get(SEARCH_URL, {"q": "el hassan"})
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    content = response.content.decode()
    assert reverse("casework:client_detail", args=[client.pk]) in content
    assert case.number in content
    rows = AccessLog.objects.filter(action="search")
    assert rows.count() == before + 1
    row = rows.latest("id")
    assert row.route == "casework:search"
    values = " ".join(str(getattr(row, f.attname)) for f in AccessLog._meta.fields)
    assert "hassan" not in values.lower()


def test_results_page_more_links(client_as, caseworker, settings):
    for _ in range(21):
        make_client(caseworker, name="Yusuf Haddad", name_latin="")
    content = client_as(caseworker).get(SEARCH_URL, {"q": "Yusuf"}).content.decode()
    assert f"{reverse('casework:client_list')}?q=Yusuf" in content


def test_results_page_as_outsider_shows_nothing(client_as, caseworker, outsider):
    client = make_client(caseworker, name="Yusuf Haddad")
    response = client_as(outsider).get(SEARCH_URL, {"q": "Yusuf"})
    assert response.status_code == 200
    assert reverse("casework:client_detail", args=[client.pk]) not in response.content.decode()


def test_results_page_needs_login(client):
    response = client.get(SEARCH_URL, {"q": "Yusuf"})
    assert response.status_code == 302


# --- API ---------------------------------------------------------------------------


def test_api_search_as_caseworker(as_user, caseworker):
    client = make_client(caseworker, name="Muhammad Hasan", name_latin="")
    case = make_case(caseworker, client)
    response = as_user(caseworker).get("/api/v1/search/", {"q": "Moh"})
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["clients"]] == [str(client.pk)]
    assert [row["number"] for row in body["cases"]] == [case.number]
    assert body["clients"][0]["rank"] == Rank.SKELETON
    assert body["more_clients"] is False


def test_api_search_as_viewer_and_outsider(as_user, caseworker, viewer, outsider, case):
    # ``viewer`` (another agency) holds a grant on the fixture's client and case only.
    other = make_client(caseworker, name="Mohamed Haddad", name_latin="")
    seen = as_user(viewer).get("/api/v1/search/", {"q": case.number}).json()
    assert [row["id"] for row in seen["cases"]] == [str(case.pk)]
    assert str(other.pk) not in str(as_user(viewer).get("/api/v1/search/", {"q": "Moh"}).json())
    nothing = as_user(outsider).get("/api/v1/search/", {"q": case.number}).json()
    assert nothing == {"clients": [], "cases": [], "more_clients": False, "more_cases": False}


def test_api_search_needs_q_and_login(as_user, api_client, caseworker):
    assert api_client.get("/api/v1/search/", {"q": "Moh"}).status_code in (401, 403)
    assert as_user(caseworker).get("/api/v1/search/").status_code == 400
    empty = as_user(caseworker).get("/api/v1/search/", {"q": ""})
    assert empty.json()["clients"] == []


def test_migration_recomputes_the_search_text(caseworker):
    """0009 fills the article variants in for clients saved under the old rules."""
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from casework.models import Client

    client = make_client(caseworker, name="Alhasan", name_latin="")
    state = MigrationLoader(connection).project_state(("casework", "0009_search_text_articles"))
    old_model = state.apps.get_model("casework", "Client")
    old_model.objects.filter(pk=client.pk).update(search_text=" alhasan ~alhsn ")
    assert client not in search_clients(caseworker, "hasan")
    migration = import_module("casework.migrations.0009_search_text_articles")
    migration.recompute_search_text(state.apps, connection.schema_editor())
    assert Client.objects.get(pk=client.pk).search_text == search_text("Alhasan")
    assert client in search_clients(caseworker, "hasan")


def test_migration_recomputes_the_name_keys(caseworker):
    """0010 gives clients saved under the old rules (no key at all for a
    Ge'ez name) the keys of anyascii's transliteration."""
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from casework.models import Client

    client = make_client(caseworker, name="ሳባ ሃይለ", name_latin="")
    state = MigrationLoader(connection).project_state(("casework", "0010_name_keys_anyascii"))
    old_model = state.apps.get_model("casework", "Client")
    old_model.objects.filter(pk=client.pk).update(search_text=" ሳባ ሃይለ ", name_key="")
    assert client not in search_clients(caseworker, "Saba Haile")
    migration = import_module("casework.migrations.0010_name_keys_anyascii")
    migration.recompute_name_keys(state.apps, connection.schema_editor())
    saved = Client.objects.get(pk=client.pk)
    assert (saved.search_text, saved.name_key) == (search_text("ሳባ ሃይለ"), "hl sb")
    assert list(ranked_clients(caseworker, "Saba Haile")) == [client]
