"""Two people save the same version of a case at the same moment: exactly one
wins, the other gets 412 and changes nothing. Real connections, real threads,
on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (SELECT … FOR UPDATE)."""

import pytest

from casework import services
from casework.models import Case
from config.errors import PreconditionFailed
from tests.factories import make_case
from tests.helpers import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_updates_with_the_same_version(caseworker, supervisor):
    case = make_case(caseworker)
    version = case.version

    def update(actor, risk):
        return lambda: services.update_case(
            actor=actor,
            case_id=case.pk,
            expected_version=version,
            changes={"risk_level": risk},
            reason=f"set to {risk}",
        )

    results = run_together(update(caseworker, "high"), update(supervisor, "critical"))
    winners = [r for r in results if isinstance(r, Case)]
    losers = [r for r in results if isinstance(r, PreconditionFailed)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    case.refresh_from_db()
    assert case.version == version + 1
    assert case.risk_level == winners[0].risk_level
    assert case.history.count() == 2  # opened + the one winning change


def test_concurrent_case_openings_get_distinct_numbers(caseworker, client_record):
    def opening():
        return services.open_case(actor=caseworker, client_id=client_record.pk, case_type="housing")

    results = run_together(opening, opening, opening)
    assert all(isinstance(r, Case) for r in results), results
    assert len({r.number for r in results}) == 3


def test_concurrent_reassignments_lose_no_follow_up(
    agency, caseworker, second_caseworker, supervisor
):
    """Two reassignments of the same cases at the same moment, the cases named
    in opposite orders: both finish (the cases are locked in id order, so no
    deadlock), and every open follow-up ends with the case's final assignee."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.permissions import Role
    from casework.models import FollowUp
    from tests.factories import make_follow_up, make_member

    third = make_member(agency, Role.CASEWORKER, display_name="Third Caseworker")
    cases = [make_case(supervisor, assigned_to=caseworker) for _ in range(2)]
    due = timezone.now().date() + timedelta(days=3)
    for case in cases:
        make_follow_up(caseworker, case, due_on=due, assigned_to=caseworker)
    ids = [case.pk for case in cases]

    def reassign(order, assignee):
        return lambda: services.assign_cases(
            actor=supervisor, case_ids=order, assigned_to=assignee, reason="cover"
        )

    results = run_together(reassign(ids, second_caseworker), reassign(list(reversed(ids)), third))
    assert all(isinstance(result, list) for result in results), results
    for case in Case.objects.filter(pk__in=ids):
        open_follow_ups = FollowUp.objects.filter(case=case, done_at__isnull=True)
        assert {f.assigned_to_id for f in open_follow_ups} == {case.assigned_to_id}
        assert case.assigned_to_id in {second_caseworker.pk, third.pk}


def test_an_edit_racing_an_import_undo(supervisor, caseworker, agency):
    """A caseworker edits an imported client while the supervisor undoes the
    import: either the edit lands first and blocks the undo (409, nothing
    removed), or the undo wins and the edit finds no client (404). Never an
    undo that removes an edited client, never a 500."""
    from casework.models import Client
    from casework.services.imports import ImportBlocked, start_import, undo_import, upload_import
    from config.errors import NotFound
    from tests.casework.test_imports import GOOD, clients_file

    client_import = upload_import(
        actor=supervisor, agency=agency, data=clients_file(GOOD), file_name="clients.xlsx"
    )
    # Real transactions here: the run starts when start_import commits.
    start_import(actor=supervisor, import_id=client_import.pk)
    client = Client.objects.get(name=GOOD[1])

    def undo():
        return undo_import(actor=supervisor, import_id=client_import.pk)

    def edit():
        return services.update_client(
            actor=supervisor, client_id=client.pk, expected_version=1, changes={"city": "Torino"}
        )

    undone, edited = run_together(undo, edit)
    if isinstance(undone, ImportBlocked):
        assert isinstance(edited, Client), edited
        assert Client.objects.get(pk=client.pk).city == "Torino"
    else:
        assert undone.state == "undone", undone
        assert isinstance(edited, NotFound), edited
        assert not Client.objects.filter(pk=client.pk).exists()


def test_a_remap_racing_the_run_of_the_same_report(supervisor, agency_admin, agency):
    """The supervisor runs the import from a page showing version v while the
    agency admin saves a new mapping over version v: exactly one of them goes
    ahead. Either the run wins (the remap is refused: the import is no
    longer checked) or the remap wins (the run, of a report that no longer
    exists, gets 412). Never a run of rows the page did not show, never a 500."""
    from casework.models import ClientImport
    from casework.services.imports import change_mapping, start_import, upload_import
    from config.errors import Conflict
    from tests.casework.test_imports import GOOD, clients_file

    client_import = upload_import(
        actor=supervisor, agency=agency, data=clients_file(GOOD), file_name="clients.xlsx"
    )
    shown = client_import.version

    def run():
        return start_import(actor=supervisor, import_id=client_import.pk, expected_version=shown)

    def remap():
        return change_mapping(
            actor=agency_admin,
            import_id=client_import.pk,
            expected_version=shown,
            mapping={"day_first": False},
        )

    ran, remapped = run_together(run, remap)
    client_import.refresh_from_db()
    if isinstance(ran, ClientImport):
        assert isinstance(remapped, Conflict), remapped
        assert client_import.state == ClientImport.State.IMPORTED
        assert client_import.mapping["day_first"] is True
    else:
        assert isinstance(ran, PreconditionFailed), ran
        assert isinstance(remapped, ClientImport), remapped
        assert client_import.state == ClientImport.State.CHECKED
        assert client_import.mapping["day_first"] is False
