"""Services refuse what the actor may not do, and bad input names the field
instead of crashing (a 400 at the API, never a 500)."""

import pytest
from django.core.exceptions import ValidationError
from guardian.shortcuts import assign_perm

from accounts.permissions import Perm
from casework import services
from casework.selectors import filter_cases, search_clients
from config.errors import Forbidden, InvalidInput, NotFound, PreconditionFailed
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def field_of(error) -> set[str]:
    if isinstance(error, InvalidInput):
        return {error.field}
    return set(error.message_dict)


def test_roles_without_the_permission_are_refused(
    dpo, caseworker, second_caseworker, agency, client_record
):
    with pytest.raises(Forbidden):
        services.register_client(actor=dpo, agency=agency, data={"name": "X"})
    with pytest.raises(Forbidden):
        services.register_client(
            actor=caseworker, agency=agency, data={"name": "X"}, sensitive={"health": "x"}
        )
    with pytest.raises(Forbidden):
        services.open_case(
            actor=caseworker, client_id=client_record.pk, case_type="health", is_restricted=True
        )
    with pytest.raises(Forbidden):
        services.open_case(
            actor=caseworker,
            client_id=client_record.pk,
            case_type="health",
            assigned_to=second_caseworker,
        )
    case = make_case(caseworker, client_record)
    with pytest.raises(Forbidden):
        services.assign_case(actor=caseworker, case_id=case.pk, assignee=second_caseworker)
    with pytest.raises(Forbidden):
        services.update_client_sensitive(
            actor=second_caseworker, client_id=client_record.pk, changes={"health": "x"}
        )


def test_strangers_get_not_found(outsider, case):
    with pytest.raises(NotFound):
        services.update_case(
            actor=outsider, case_id=case.pk, expected_version=1, changes={"summary": "x"}
        )
    with pytest.raises(NotFound):
        services.add_note(actor=outsider, case_id=case.pk, body="x")


@pytest.mark.parametrize(
    ("data", "documents", "field"),
    [
        ({"name": ""}, [], "name"),
        ({"name": "A", "nationalities": [["SY"]]}, [], "nationalities"),
        ({"name": "A", "nationalities": ["XX"]}, [], "nationalities"),
        ({"name": "A", "languages": "ar"}, [], "languages"),
        ({"name": "A", "date_of_birth": "not a date"}, [], "date_of_birth"),
        ({"name": "A", "date_of_birth": "2999-01-01"}, [], "date_of_birth"),
        ({"name": "A", "sex": "robot"}, [], "sex"),
        ({"name": "A", "shoe_size": 42}, [], "shoe_size"),
        ({"name": "A"}, ["AB123"], "documents.0"),
        ({"name": "A"}, [{"type": "passport", "number": "  "}], "documents.0.number"),
        ({"name": "A"}, [{"type": "visa", "number": "1234"}], "documents.0.type"),
        (
            {"name": "A"},
            [{"type": "passport", "number": "1234", "issuing_country": "ZZ"}],
            "documents.0.issuing_country",
        ),
        (
            {"name": "A"},
            [{"type": "passport", "number": "1234", "expires_on": "soon"}],
            "documents.0.expires_on",
        ),
    ],
)
def test_bad_client_input_names_the_field(caseworker, agency, data, documents, field):
    from casework.models import Client

    with pytest.raises((ValidationError, InvalidInput)) as raised:
        services.register_client(
            actor=caseworker,
            agency=agency,
            data=data,
            documents=documents,
            confirmed_not_duplicate=True,
        )
    assert field in field_of(raised.value)
    assert not Client.objects.exists()


def test_bad_case_input_names_the_field(caseworker, case):
    for kwargs, field in [
        ({"expected_version": "abc", "changes": {"summary": "x"}}, "version"),
        ({"expected_version": None, "changes": {"summary": "x"}}, "version"),
        ({"expected_version": 1, "changes": {"risk_level": "apocalyptic"}}, "risk_level"),
        ({"expected_version": 1, "changes": {"number": "X-1"}}, "number"),
    ]:
        with pytest.raises((ValidationError, InvalidInput)) as raised:
            services.update_case(actor=caseworker, case_id=case.pk, **kwargs)
        assert field in field_of(raised.value), kwargs
    with pytest.raises(InvalidInput) as raised:
        services.add_note(actor=caseworker, case_id=case.pk, body=5)
    assert raised.value.field == "body"
    with pytest.raises(InvalidInput):
        services.put_case_on_hold(actor=caseworker, case_id=case.pk, reason="  ")
    with pytest.raises(NotFound):
        services.complete_follow_up(actor=caseworker, case_id=case.pk, follow_up_id="nope")
    case.refresh_from_db()
    assert case.version == 1


def test_a_non_boolean_restriction_is_refused(supervisor, case):
    with pytest.raises(InvalidInput) as raised:
        services.set_case_restricted(actor=supervisor, case_id=case.pk, restricted="false")
    assert raised.value.field == "restricted"


def test_etag_style_versions_are_understood(caseworker, case):
    updated = services.update_case(
        actor=caseworker, case_id=case.pk, expected_version='W/"1"', changes={"summary": "Updated"}
    )
    assert updated.version == 2
    with pytest.raises(PreconditionFailed):
        services.update_case(
            actor=caseworker, case_id=case.pk, expected_version='"1"', changes={"summary": "Stale"}
        )


def test_reopen_checks_the_permission_on_the_locked_state(
    caseworker, referral_officer, outsider, case
):
    # Granted the case one by one, with CHANGE_CASE but not CLOSE_CASE: may
    # resume a case on hold, not reopen a closed one.
    assign_perm(Perm.VIEW_CASE.value, referral_officer, case)
    assign_perm(Perm.CHANGE_CASE.value, referral_officer, case)
    services.close_case(actor=caseworker, case_id=case.pk, closure_reason="goals_met")
    with pytest.raises(Forbidden):
        services.reopen_case(actor=referral_officer, case_id=case.pk, reason="New need")
    with pytest.raises(NotFound):
        services.reopen_case(actor=outsider, case_id=case.pk, reason="New need")
    case.refresh_from_db()
    assert (case.status, case.closure_reason, case.version) == ("closed", "goals_met", 2)
    assert case.closed_at is not None

    reopened = services.reopen_case(actor=caseworker, case_id=case.pk, reason="New need")
    assert reopened.status == "open"
    assert reopened.closure_reason == ""
    assert reopened.closed_at is None

    services.put_case_on_hold(actor=caseworker, case_id=case.pk, reason="Travelling")
    with pytest.raises(NotFound):
        services.reopen_case(actor=outsider, case_id=case.pk, reason="Back")
    resumed = services.reopen_case(actor=referral_officer, case_id=case.pk, reason="Back")
    assert (resumed.status, resumed.version) == ("open", 5)


def test_very_long_searches_are_cut_short_and_still_match(caseworker, client_record, case):
    query = "a " * 2000
    assert list(search_clients(caseworker, query)) == [client_record]
    assert list(filter_cases(caseworker, query=query)) == [case]
    nothing = "qqqq " * 2000
    assert list(search_clients(caseworker, nothing)) == []
    assert list(filter_cases(caseworker, query=nothing)) == []
