"""Names in any script: search and duplicate detection."""

import pytest
from django.db import connection  # noqa: F401 (the skipif conditions read it)

from casework import services
from casework.names import normalise, skeleton
from casework.selectors import filter_cases, ranked_cases, ranked_clients, search_clients
from tests.factories import make_case, make_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("written", "variant"),
    [
        ("محمد", "Mohammed"),
        ("محمد", "MOHAMMED"),
        ("محمد", "Muhammad"),
        ("محمد", "Mohamed"),
        ("مُحَمَّد", "محمد"),
        ("أحمد", "احمد"),
        ("إبراهيم", "ابراهيم"),
        ("فاطمة", "فاطمه"),
        ("مصطفى", "مصطفي"),
        ("فاطمة", "Fatima"),
        ("Олександр", "Oleksandr"),
        ("José", "JOSE"),
        ("علی", "علي"),
    ],
)
def test_variants_share_a_key(written, variant):
    same_text = normalise(written) == normalise(variant)
    same_skeleton = skeleton(normalise(written)) == skeleton(normalise(variant))
    assert same_text or same_skeleton


@pytest.mark.parametrize(
    "query",
    ["محمد", "Mohammed", "MOHAMMED", "Muhammad", "mohamed", "مُحَمَّد", "hassan", "الحسن", "Moh"],
)
def test_search_finds_a_client_in_any_spelling(caseworker, query):
    client = make_client(caseworker, name="محمد الحسن", name_latin="Mohammed al-Hassan")
    other = make_client(
        caseworker,
        name="Оксана Шевченко",
        name_latin="Oksana Shevchenko",
        date_of_birth="1986-03-08",
    )
    found = set(search_clients(caseworker, query))
    assert client in found
    assert other not in found


def test_arabic_letter_variants_find_each_other(caseworker):
    client = make_client(caseworker, name="أحمد إبراهيم", name_latin="")
    assert client in search_clients(caseworker, "احمد ابراهيم")
    amina = make_client(caseworker, name="آمنة", name_latin="")
    assert amina in search_clients(caseworker, "امنه")


def test_cases_are_found_by_number_name_and_document(caseworker):
    client = make_client(
        caseworker,
        name="سارا محمدی",
        name_latin="Sara Mohammadi",
        documents=[{"type": "passport", "number": "AF-123 456"}],
    )
    case = make_case(caseworker, client)
    assert list(filter_cases(caseworker, query=case.number)) == [case]
    assert list(filter_cases(caseworker, query=case.number.lower())) == [case]
    assert list(filter_cases(caseworker, query="sara")) == [case]
    assert list(filter_cases(caseworker, query="af123456")) == [case]
    assert list(filter_cases(caseworker, query="nobody-like-this")) == []


def test_clients_are_found_by_document_number_or_name_in_one_search(caseworker, outsider):
    """The document number is looked up first and joins the name words in one
    condition (casework.selectors.search.search_clients): either finds the
    client, and a number held in another agency finds nothing there."""
    client = make_client(
        caseworker,
        name="سارا محمدی",
        name_latin="Sara Mohammadi",
        documents=[{"type": "passport", "number": "AF-123 456"}],
    )
    namesake = make_client(caseworker, name="Af Sara", name_latin="Af Sara")
    make_client(
        outsider,
        name="Other Person",
        documents=[{"type": "passport", "number": "AF123456"}],
    )
    assert list(search_clients(caseworker, "af123456")) == [client]
    assert set(search_clients(caseworker, "sara")) == {client, namesake}
    assert list(search_clients(caseworker, "nobody-like-this")) == []
    assert [c.name for c in search_clients(outsider, "AF 123456")] == ["Other Person"]


def test_search_never_reaches_another_agency(caseworker, outsider):
    make_client(caseworker, name="محمد الحسن")
    assert not search_clients(outsider, "Mohammed").exists()
    assert not filter_cases(outsider, query="Mohammed").exists()


def test_registration_detects_a_duplicate_by_name_and_birth_date(caseworker, agency):
    existing = make_client(
        caseworker, name="محمد الحسن", name_latin="Mohammed al-Hassan", date_of_birth="1988-03-14"
    )
    with pytest.raises(services.PossibleDuplicate) as raised:
        services.register_client(
            actor=caseworker,
            agency=agency,
            data={
                "name": "مُحَمَّد الحسن",
                "name_latin": "Muhammad Al Hassan",
                "date_of_birth": "1988-09-01",
            },
        )
    assert raised.value.candidates == [existing]
    confirmed = services.register_client(
        actor=caseworker,
        agency=agency,
        data={"name": "مُحَمَّد الحسن", "date_of_birth": "1988-09-01"},
        confirmed_not_duplicate=True,
    )
    assert confirmed.pk != existing.pk


def test_registration_detects_a_duplicate_by_document_number(caseworker, agency):
    existing = make_client(
        caseworker, name="Selam Tesfay", documents=[{"type": "passport", "number": "ER 0042-77"}]
    )
    with pytest.raises(services.PossibleDuplicate) as raised:
        services.register_client(
            actor=caseworker,
            agency=agency,
            data={"name": "ሰላም ተስፋይ"},
            documents=[{"type": "passport", "number": "er004277"}],
        )
    assert raised.value.candidates == [existing]


def test_different_birth_year_is_not_a_duplicate(caseworker, agency):
    make_client(caseworker, name="Omar Hussein", date_of_birth="1990-01-01")
    client = services.register_client(
        actor=caseworker, agency=agency, data={"name": "عمر حسين", "date_of_birth": "1995-06-01"}
    )
    assert client.pk


def test_a_one_letter_skeleton_matches_whole_words_only(caseworker):
    """The skeleton of "Sow" is s: as a prefix it would find every name with a
    word starting with an s sound; it finds only names whose word is "s"."""
    sow = make_client(caseworker, name="Aminata Sow", name_latin="Aminata Sow")
    samir = make_client(caseworker, name="Samir Haddad", name_latin="Samir Haddad")
    assert set(search_clients(caseworker, "Sow")) == {sow}
    assert samir in set(search_clients(caseworker, "Samir"))


def test_cases_by_number_name_or_document_in_other_scopes(caseworker, supervisor, outsider, agency):
    """The case search reads each branch within the scope (see
    casework.selectors.search._matching_case_ids): the supervisor finds a
    restricted case by its client's name, the unassigned caseworker does not,
    an outsider finds nothing by number, name or document."""
    client = make_client(
        caseworker,
        name="Oleksandr Bondarenko",
        name_latin="Oleksandr Bondarenko",
        documents=[{"type": "passport", "number": "UA-998 877"}],
    )
    open_case = make_case(caseworker, client)
    restricted = make_case(supervisor, client, is_restricted=True)
    assert set(filter_cases(supervisor, query="Bondarenko")) == {open_case, restricted}
    assert set(filter_cases(caseworker, query="Bondarenko")) == {open_case}
    for query in (open_case.number, "Bondarenko", "UA998877"):
        assert not filter_cases(outsider, query=query).exists()
        assert list(ranked_cases(outsider, query)) == []
    assert list(ranked_cases(caseworker, open_case.number)) == [open_case]
    assert [case.rank for case in ranked_cases(supervisor, "UA998877")] == [0, 0]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_case_search_is_a_semi_join_not_a_subquery_per_row(caseworker):
    """The name match is joined, never tested row by row: a subquery inside
    an OR, too large to hash, once rescanned a million clients for every case
    of a large agency's scope (minutes for "Sow")."""
    make_case(caseworker, make_client(caseworker, name="Aminata Sow", name_latin="Aminata Sow"))
    for queryset in (
        filter_cases(caseworker, query="Sow"),
        ranked_cases(caseworker, "Sow"),
        ranked_clients(caseworker, "Sow"),
    ):
        plan = queryset.explain()
        assert "SubPlan" not in plan, plan


def test_a_case_granted_one_by_one_is_found_by_its_clients_name(viewer, case, client_record):
    """The viewer of another agency holds a grant on the case: the search finds
    it by the client's name and number (the grants' own branch of
    _matching_case_ids), and finds nothing else of the agency."""
    word = client_record.name.split()[0]
    other = make_case(case.created_by, make_client(case.created_by, name=client_record.name))
    assert list(filter_cases(viewer, query=word)) == [case]
    assert list(ranked_cases(viewer, case.number)) == [case]
    assert other not in set(ranked_cases(viewer, word))
