"""The case page offers exactly what the services accept: ``case_actions_for``
reads the services' own state rules and permissions, for every state and
persona."""

import pytest
from django.db import transaction
from guardian.shortcuts import assign_perm

from accounts.permissions import Perm
from casework import services
from casework.models import Case
from casework.selectors import case_actions_for
from config.errors import DomainError

pytestmark = pytest.mark.django_db


class _RolledBack(Exception):
    pass


def _accepted(run) -> bool:
    """Whether the service accepts the call; nothing it wrote is kept."""
    try:
        with transaction.atomic():
            run()
            raise _RolledBack
    except _RolledBack:
        return True
    except DomainError:
        return False


def _calls(actor, case: Case, assignee):
    return {
        "edit": lambda: services.update_case(
            actor=actor, case_id=case.pk, expected_version=case.version, changes={"summary": "x"}
        ),
        "hold": lambda: services.put_case_on_hold(actor=actor, case_id=case.pk, reason="x"),
        "close": lambda: services.close_case(
            actor=actor, case_id=case.pk, closure_reason="goals_met"
        ),
        "reopen": lambda: services.reopen_case(actor=actor, case_id=case.pk, reason="x"),
        "assign": lambda: services.assign_case(actor=actor, case_id=case.pk, assignee=assignee),
        "restrict": lambda: services.set_case_restricted(
            actor=actor, case_id=case.pk, restricted=not case.is_restricted
        ),
    }


@pytest.mark.parametrize("status", ["open", "on_hold", "closed"])
def test_the_offered_actions_are_the_ones_the_services_accept(
    status, caseworker, second_caseworker, supervisor, referral_officer, case
):
    # A grant of the case with CHANGE_CASE but not CLOSE_CASE: may resume a case
    # on hold, never reopen a closed one.
    assign_perm(Perm.VIEW_CASE.value, referral_officer, case)
    assign_perm(Perm.CHANGE_CASE.value, referral_officer, case)
    if status == "on_hold":
        services.put_case_on_hold(actor=supervisor, case_id=case.pk, reason="Away")
    elif status == "closed":
        services.close_case(actor=supervisor, case_id=case.pk, closure_reason="goals_met")
    offered_somewhere = set()
    for actor in (caseworker, second_caseworker, supervisor, referral_officer):
        fresh = type(actor).objects.get(pk=actor.pk)
        current = Case.objects.get(pk=case.pk)
        actions = case_actions_for(fresh, current)
        for name, run in _calls(fresh, current, caseworker).items():
            offered = getattr(actions, name)
            assert offered == _accepted(run), (status, actor.display_name, name)
            if offered:
                offered_somewhere.add(name)
    expected = {
        "open": {"edit", "hold", "close", "assign", "restrict"},
        "on_hold": {"edit", "close", "reopen", "assign", "restrict"},
        "closed": {"reopen", "restrict"},
    }[status]
    assert offered_somewhere == expected
