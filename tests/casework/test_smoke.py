import pytest

from accounts.permissions import Perm
from casework.selectors import cases_visible_to, clients_visible_to, filter_cases
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_case_number_and_scope(
    caseworker, supervisor, second_caseworker, outsider, case, restricted_case, agency
):
    assert case.number.startswith(f"AMAL-{case.opened_at.year}-0000")
    assert set(cases_visible_to(supervisor)) == {case, restricted_case}
    assert set(cases_visible_to(caseworker)) == {case, restricted_case}
    assert set(cases_visible_to(second_caseworker)) == {case}
    assert list(cases_visible_to(outsider)) == []
    assert list(clients_visible_to(outsider)) == []
    assert second_caseworker.has_perm(Perm.VIEW_CASE, case)
    assert not second_caseworker.has_perm(Perm.VIEW_CASE, restricted_case)
    assert not second_caseworker.has_perm(Perm.VIEW_SENSITIVE, case)
    assert caseworker.has_perm(Perm.VIEW_SENSITIVE, case)
    for q in ["محمد", "Mohammed", "MOHAMMED", "Muhammad", "مُحَمَّد", "hassan"]:
        assert case in filter_cases(caseworker, query=q), q
    other = make_case(second_caseworker)
    assert other.number != case.number


def test_history_of_a_case(supervisor, caseworker, case):
    from casework import services
    from casework.selectors import case_history

    services.update_case(
        actor=caseworker,
        case_id=case.pk,
        expected_version=case.version,
        changes={"risk_level": "high"},
        reason="new threat",
    )
    services.add_note(actor=caseworker, case_id=case.pk, body="secret", is_confidential=True)
    entries = case_history(supervisor, case.pk)
    change = next(e for e in entries if e["action"] == "changed")
    assert change["changes"] == [
        {"field": "risk_level", "label": "risk level", "old": "Medium", "new": "High"}
    ]
    assert change["reason"] == "new threat"
    assert change["actor"] == caseworker.display_name
    assert any(e["object"] == "note" for e in entries)
