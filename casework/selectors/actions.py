"""What an actor may do next on a case: the permission the service checks and
the case's state rule (a ``Case`` property the service enforces), read
together so a page offers exactly what the services would accept."""

from dataclasses import dataclass

from accounts.models import User
from accounts.permissions import Perm
from casework.models import Case


@dataclass(frozen=True)
class CaseActions:
    """The actions on one case the actor may take now (templates read
    ``can.close`` and so on)."""

    edit: bool = False
    note: bool = False
    view_follow_ups: bool = False
    follow_up: bool = False
    complete_follow_up: bool = False
    view_documents: bool = False
    upload: bool = False
    upload_medical: bool = False
    hold: bool = False
    close: bool = False
    reopen: bool = False
    assign: bool = False
    restrict: bool = False
    history: bool = False
    # May open the client's file, and so read its contact section (the phone in
    # the case's header): what ``get_client_for`` would show them.
    view_client: bool = False


def case_actions_for(actor: User, case: Case) -> CaseActions:
    """What ``actor`` may do next on ``case`` (a case already visible to them):
    for each action the permission its service checks, and for a change of
    state also the state rule it enforces (``Case.can_be_closed``…). No write;
    each permission is asked once, and only where the state allows the action."""
    held: dict[Perm, bool] = {}

    def holds(perm: Perm) -> bool:
        if perm not in held:
            held[perm] = actor.has_perm(perm, case)
        return held[perm]

    return CaseActions(
        edit=case.can_be_edited and holds(Perm.CHANGE_CASE),
        note=holds(Perm.ADD_NOTE),
        view_follow_ups=holds(Perm.VIEW_FOLLOW_UPS),
        follow_up=case.accepts_follow_ups and holds(Perm.ADD_FOLLOW_UP),
        complete_follow_up=holds(Perm.COMPLETE_FOLLOW_UP),
        view_documents=holds(Perm.VIEW_DOCUMENT),
        upload=holds(Perm.ADD_DOCUMENT),
        # What upload_document asks of a medical document.
        upload_medical=holds(Perm.VIEW_SENSITIVE),
        hold=case.can_be_put_on_hold and holds(Perm.CHANGE_CASE),
        close=case.can_be_closed and holds(Perm.CLOSE_CASE),
        reopen=case.can_be_reopened and holds(case.reopen_permission),
        assign=case.can_be_assigned and holds(Perm.ASSIGN_CASE),
        restrict=holds(Perm.RESTRICT_CASE),
        history=holds(Perm.VIEW_CASE_HISTORY),
        view_client=actor.has_perm(Perm.VIEW_CLIENT, case.client),
    )
