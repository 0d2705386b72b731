"""Personas. "agency" owns the records under test; "partner_agency" receives
referrals; "other_agency" is a stranger whose members must see nothing."""

import pytest
from django.core.cache import cache
from django.utils import translation
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from accounts.permissions import Perm, Role
from tests.factories import AgencyFactory, agree_emergency_access, make_consent, make_member


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Fresh throttle counters and a private media folder for every test."""
    cache.clear()
    # The second factor is tested on its own (tests/accounts/test_second_factor.py and
    # the permission matrix); elsewhere it is off: a persona signs in with a password.
    settings.SECOND_FACTOR_REQUIRED = False
    # Password hashing at production strength costs ~0.3 s per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    # The access log's checkpoints: none until a test writes one.
    settings.ACCESS_LOG_CHECKPOINT_PATH = tmp_path / "access_log_checkpoints.jsonl"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {
                **settings.STORAGES["default"]["OPTIONS"],
                "location": tmp_path / "private",
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    yield
    cache.clear()
    # A page a persona with a preferred language opened leaves that language
    # active in the thread (accounts.middleware activates it per request).
    translation.deactivate()


@pytest.fixture
def agency(db):
    return AgencyFactory(slug="amal", name="Amal Refugee Support", languages=["ar", "en"])


@pytest.fixture
def partner_agency(db):
    return AgencyFactory(slug="casa", name="Casa Comune", languages=["it", "en"])


@pytest.fixture
def other_agency(db):
    return AgencyFactory(
        slug="city",
        name="City Social Services Office",
        kind="public_office",
        is_public_authority=True,
    )


@pytest.fixture
def agency_admin(agency):
    return make_member(agency, Role.AGENCY_ADMIN, display_name="Karim Admin")


@pytest.fixture
def caseworker(agency, agency_admin):
    return make_member(agency, Role.CASEWORKER, display_name="Layla Caseworker")


@pytest.fixture
def supervisor(agency, agency_admin):
    return make_member(agency, Role.SUPERVISOR, display_name="Omar Supervisor")


@pytest.fixture
def dpo(agency, agency_admin):
    return make_member(agency, Role.DPO, display_name="Hana DPO")


@pytest.fixture
def referral_officer(partner_agency):
    return make_member(partner_agency, Role.REFERRAL_OFFICER, display_name="Chiara Referrals")


@pytest.fixture
def outsider(other_agency):
    """A caseworker of an agency that has nothing to do with the records."""
    return make_member(other_agency, Role.CASEWORKER, display_name="Paolo Outsider")


@pytest.fixture
def outsider_admin(other_agency):
    return make_member(other_agency, Role.AGENCY_ADMIN, display_name="Francesca Other Admin")


@pytest.fixture
def foreign_supervisor(other_agency):
    """A supervisor of the stranger agency: breaks the glass only where agreed."""
    return make_member(other_agency, Role.SUPERVISOR, display_name="Sara Foreign Supervisor")


@pytest.fixture
def partner_caseworker(partner_agency):
    """A caseworker of the partner agency: sees a referral only once a case is opened for them."""
    return make_member(partner_agency, Role.CASEWORKER, display_name="Marco Partner")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def as_user(api_client):
    """as_user(user) → the API client as ``user``, in a fresh session (every
    request loads the user and their permissions anew, as in production)."""

    def login(user):
        api_client.logout()
        api_client.force_login(user)
        return api_client

    return login


@pytest.fixture
def client_as(client):
    """client_as(user) → the Django test client logged in as ``user``."""

    def login(user):
        client.force_login(user)
        return client

    return login


# --- casework --------------------------------------------------------------------


@pytest.fixture
def second_caseworker(agency, agency_admin):
    return make_member(agency, Role.CASEWORKER, display_name="Nour Second")


@pytest.fixture
def client_record(caseworker):
    from tests.factories import make_client

    return make_client(caseworker)


@pytest.fixture
def case(caseworker, client_record):
    """An open case of the agency, assigned to ``caseworker``."""
    from tests.factories import make_case

    return make_case(caseworker, client_record)


@pytest.fixture
def restricted_case(supervisor, caseworker, client_record):
    """A restricted case assigned to ``caseworker``."""
    from tests.factories import make_case

    return make_case(
        supervisor, client_record, assigned_to=caseworker, is_restricted=True, case_type="gbv"
    )


@pytest.fixture
def viewer(other_agency, client_record, case):
    """Someone of another agency granted to see the client and the case, and
    nothing more: sees the records, may act on neither."""
    user = make_member(other_agency, Role.CASEWORKER, display_name="Greta Granted")
    assign_perm(Perm.VIEW_CLIENT.value, user, client_record)
    assign_perm(Perm.VIEW_CASE.value, user, case)
    return user


@pytest.fixture
def consent(caseworker, client_record, partner_agency):
    """The client's consent to share identity, contact and legal status with the
    partner agency: what a referral to its legal counselling (``make_service``) needs."""
    return make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        data_categories=["identity", "contact", "legal_status"],
    )


# --- privacy ---------------------------------------------------------------------


@pytest.fixture
def agreement(agency, other_agency):
    """The case's agency let other_agency's supervisors break the glass, in writing."""
    return agree_emergency_access(agency, other_agency)
