"""The directory of partner agencies (``GET /api/v1/agencies/``): open to every
logged-in user, organisations only, whether each takes referrals now (the
same rule the send check applies), filters, keyset pages; one's own agency
(``/agencies/{slug}/``) stays for its members only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccessLog
from accounts.permissions import Role
from referrals.selectors import partner_agencies, referral_check
from tests.factories import AgencyFactory, make_case, make_member, make_service
from tests.helpers import assert_problem, error_fields

pytestmark = pytest.mark.django_db

AGENCIES = "/api/v1/agencies/"


def today():
    return timezone.now().date()


@pytest.fixture
def partners(agency, partner_agency, other_agency):
    """Amal (no service), Casa (legal counselling, takes referrals), City
    (its only service inactive) and four more, each missing one condition or
    meeting them at the edge."""
    make_service(partner_agency)
    make_service(other_agency, name="Job desk", category="employment", status="inactive")
    closed = AgencyFactory(slug="dar", name="Dar Al Amal Housing")
    make_service(closed, name="Shelter", category="housing", accepts_referrals=False)
    lapsed = AgencyFactory(
        slug="ekta",
        name="Ekta Legal Aid",
        kind="international",
        data_sharing_agreement_valid_until=today() - timedelta(days=1),
    )
    make_service(lapsed, name="Legal aid")
    unsigned = AgencyFactory(
        slug="faro", name="Faro Health Point", data_sharing_agreement_valid_until=None
    )
    make_service(unsigned, name="Clinic", category="health")
    last_day = AgencyFactory(
        slug="gaia",
        name="Gaia Language School",
        kind="other",
        data_sharing_agreement_valid_until=today(),
    )
    make_service(last_day, name="Italian classes", category="language")
    return {
        "amal": agency,
        "casa": partner_agency,
        "city": other_agency,
        "dar": closed,
        "ekta": lapsed,
        "faro": unsigned,
        "gaia": last_day,
    }


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def slugs(response) -> list[str]:
    return [row["slug"] for row in rows(response)]


def test_every_logged_in_user_reads_every_agency_by_name(
    partners, as_user, outsider, referral_officer, dpo, caseworker
):
    before = AccessLog.objects.exclude(action__in=["login", "logout"]).count()
    for user in (outsider, referral_officer, dpo, caseworker):
        answer = rows(as_user(user).get(AGENCIES))
        assert [row["slug"] for row in answer] == [
            "amal",
            "casa",
            "city",
            "dar",
            "ekta",
            "faro",
            "gaia",
        ]
    # Organisations: nothing for the access log.
    assert AccessLog.objects.exclude(action__in=["login", "logout"]).count() == before
    city = answer[2]
    # Organisations only: no contact details, agreements, settings or people.
    assert city == {
        "id": str(partners["city"].pk),
        "slug": "city",
        "name": "City Social Services Office",
        "kind": "public_office",
        "takes_referrals": True,
    }


def test_a_stranger_to_sanad_reads_nothing(partners, api_client):
    assert_problem(api_client.get(AGENCIES), 401)


def test_takes_referrals_needs_an_agreement_in_force(partners, as_user, outsider):
    answer = {row["slug"]: row["takes_referrals"] for row in rows(as_user(outsider).get(AGENCIES))}
    assert answer == {
        "amal": True,  # no service: a referral addressed to the agency still goes
        "casa": True,
        "city": True,  # its only service is inactive: the agency itself takes referrals
        "dar": True,  # its service does not accept referrals: the same
        "ekta": False,  # its agreement ended yesterday
        "faro": False,  # no agreement
        "gaia": True,  # its agreement ends today
    }


def test_takes_referrals_says_what_the_send_check_says(partners, caseworker):
    """An agency listed as taking referrals is let through by the recipient's
    checks for a referral addressed to it; one that is not is blocked (consent
    aside)."""
    case = make_case(caseworker)
    listed = {row.slug: row.takes_referrals for row in partner_agencies()}
    assert set(listed.values()) == {True, False}
    for slug, agency in partners.items():
        if slug == "amal":
            continue  # the case's own agency: never a recipient
        blocks = {gap.code for gap in referral_check(case, agency, None).blocks}
        assert listed[slug] == (not blocks), (slug, blocks)


def test_filters_by_takes_referrals_and_by_name(partners, as_user, outsider):
    api = as_user(outsider)
    assert slugs(api.get(AGENCIES, {"takes_referrals": "true"})) == [
        "amal",
        "casa",
        "city",
        "dar",
        "gaia",
    ]
    assert slugs(api.get(AGENCIES, {"takes_referrals": "false"})) == ["ekta", "faro"]
    assert slugs(api.get(AGENCIES, {"q": "amal"})) == ["amal", "dar"]
    assert slugs(api.get(AGENCIES, {"q": "AMAL housing"})) == ["dar"]
    assert slugs(api.get(AGENCIES, {"q": "amal", "takes_referrals": "true"})) == ["amal", "dar"]
    assert slugs(api.get(AGENCIES, {"q": "amal", "takes_referrals": "false"})) == []
    assert slugs(api.get(AGENCIES, {"q": "nothing like this"})) == []
    assert len(slugs(api.get(AGENCIES, {"q": ""}))) == 7


@pytest.mark.parametrize("value", ["maybe", "", "2", "null"])
def test_a_takes_referrals_that_is_not_a_boolean_is_a_400_naming_it(
    partners, as_user, outsider, value
):
    response = as_user(outsider).get(AGENCIES, {"takes_referrals": value})
    assert error_fields(response) == {"takes_referrals"}


def test_pages_follow_the_order_without_skipping_or_repeating(partners, as_user, outsider):
    # Two agencies of one name: the id decides between them.
    twins = sorted(
        [AgencyFactory(slug="hope1", name="Hope"), AgencyFactory(slug="hope2", name="Hope")],
        key=lambda agency: str(agency.pk),
    )
    api = as_user(outsider)
    seen, address = [], f"{AGENCIES}?page_size=2"
    while address:
        response = api.get(address)
        body = response.json()
        assert len(rows(response)) <= 2
        seen += [row["slug"] for row in body["results"]]
        address = body["next"]
    everything = slugs(api.get(AGENCIES))
    assert seen == everything
    assert everything[-2:] == [twin.slug for twin in twins]
    assert error_fields(api.get(AGENCIES, {"cursor": "not-a-cursor"})) == {"cursor"}


def test_a_page_costs_the_same_queries_whatever_its_size(partners, as_user, outsider):
    api = as_user(outsider)
    api.get(AGENCIES)  # the session's first request loads what it caches
    counts = []
    for size in (1, 7):
        with CaptureQueriesContext(connection) as queries:
            assert len(rows(api.get(AGENCIES, {"page_size": size}))) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_ones_own_agency_stays_for_its_members(partners, as_user, caseworker, outsider):
    mine = as_user(caseworker).get(f"{AGENCIES}amal/")
    assert mine.status_code == 200
    assert mine.json()["slug"] == "amal"
    assert_problem(as_user(outsider).get(f"{AGENCIES}amal/"), 404)


def test_a_member_of_several_agencies_reads_them_all_once(partners, as_user, partner_agency):
    user = make_member(partner_agency, Role.REFERRAL_OFFICER)
    make_member(partners["gaia"], Role.CASEWORKER, user=user)
    assert len(slugs(as_user(user).get(AGENCIES))) == 7
