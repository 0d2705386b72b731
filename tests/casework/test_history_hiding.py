"""The case history (page and API) shows a note, follow-up or document only to
whoever may see that record on the case itself: holding VIEW_CASE_HISTORY
never widens what a viewer sees.

Through their role only supervisors hold VIEW_CASE_HISTORY, and they see
everything in a case of their agency. Caseworkers are refused the history
(403). To try the hiding for viewers who lack VIEW_CONFIDENTIAL_NOTES,
VIEW_SENSITIVE, VIEW_NOTES, VIEW_FOLLOW_UPS or VIEW_DOCUMENT, the assigned
caseworker, a second caseworker and a partner's referral officer are given
VIEW_CASE_HISTORY on the case as an object grant (the partner VIEW_CASE too).
That is the path by which a role short of a supervisor's would reach the history.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.permissions import Perm
from casework import services
from casework.models import CaseNote
from tests.factories import make_case, make_document

pytestmark = pytest.mark.django_db

FOLLOW_UP_TITLE = "Bring the housing papers"


@pytest.fixture
def history(caseworker, supervisor, case):
    """One entry of every kind in the history of ``case`` (assigned to
    ``caseworker``): {name: (object kind, object id, what the page shows of it)}."""
    services.update_case(
        actor=caseworker,
        case_id=case.pk,
        expected_version=case.version,
        changes={"risk_level": "high"},
        reason="new threat",
    )

    def note(author, kind, confidential):
        return services.add_note(
            actor=author, case_id=case.pk, body="…", kind=kind, is_confidential=confidential
        )

    open_note = note(caseworker, CaseNote.Kind.CALL, False)
    own_confidential = note(caseworker, CaseNote.Kind.HOME_VISIT, True)
    supervisor_confidential = note(supervisor, CaseNote.Kind.MEETING, True)
    follow_up = services.schedule_follow_up(
        actor=caseworker,
        case_id=case.pk,
        title=FOLLOW_UP_TITLE,
        due_on=timezone.now().date() + timedelta(days=3),
    )
    legal = make_document(caseworker, case, "legal")
    medical = make_document(caseworker, case, "medical")
    return {
        "case change": ("case", case.pk, "High"),
        "open note": ("note", open_note.pk, "Phone call"),
        "caseworker's confidential note": ("note", own_confidential.pk, "Home visit"),
        "supervisor's confidential note": ("note", supervisor_confidential.pk, "Meeting"),
        "follow-up": ("follow_up", follow_up.pk, FOLLOW_UP_TITLE),
        "legal document": ("document", legal.pk, "Legal / immigration"),
        "medical document": ("document", medical.pk, "Medical"),
    }


def grant_history(user, case):
    assign_perm(Perm.VIEW_CASE_HISTORY.value, user, case)


def page_url(case):
    return reverse("casework:case_history", args=[case.pk])


def api_url(case):
    return f"/api/v1/cases/{case.pk}/history/"


def seen_through_the_api(api_client, user, case, history) -> set[str]:
    api_client.logout()
    api_client.force_login(user)
    response = api_client.get(api_url(case))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None  # one page holds the whole history here
    shown = {(entry["object"], entry["object_id"]) for entry in body["results"]}
    return {name for name, (kind, pk, _) in history.items() if (kind, str(pk)) in shown}


def seen_on_the_page(client, user, case, history) -> set[str]:
    client.logout()
    client.force_login(user)
    response = client.get(page_url(case))
    assert response.status_code == 200
    table = re.search(r'<table class="history">.*?</table>', response.content.decode(), re.S)
    assert table, "the history table is missing"
    return {name for name, (_, _, text) in history.items() if text in table.group(0)}


EVERYTHING = {
    "case change",
    "open note",
    "caseworker's confidential note",
    "supervisor's confidential note",
    "follow-up",
    "legal document",
    "medical document",
}
EXPECTED = {
    "supervisor": EVERYTHING,
    # Their own confidential note and, as the assignee, the medical document;
    # not the supervisor's confidential note.
    "caseworker": EVERYTHING - {"supervisor's confidential note"},
    # Not assigned: no confidential note of others, no medical document.
    "second_caseworker": EVERYTHING
    - {"caseworker's confidential note", "supervisor's confidential note", "medical document"},
    # Granted the case, not its notes, follow-ups or documents.
    "referral_officer": {"case change"},
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_each_viewer_sees_in_the_history_what_they_see_on_the_case(
    request, client, api_client, case, history, persona
):
    user = request.getfixturevalue(persona)
    if persona != "supervisor":
        grant_history(user, case)
    if persona == "referral_officer":
        assign_perm(Perm.VIEW_CASE.value, user, case)
    expected = EXPECTED[persona]
    assert seen_through_the_api(api_client, user, case, history) == expected
    assert seen_on_the_page(client, user, case, history) == expected


@pytest.mark.parametrize("hidden", sorted(EVERYTHING - EXPECTED["second_caseworker"]))
def test_what_the_second_caseworker_may_not_see_the_supervisor_does(
    client, api_client, supervisor, second_caseworker, case, history, hidden
):
    grant_history(second_caseworker, case)
    assert hidden in seen_through_the_api(api_client, supervisor, case, history)
    assert hidden in seen_on_the_page(client, supervisor, case, history)
    assert hidden not in seen_through_the_api(api_client, second_caseworker, case, history)
    assert hidden not in seen_on_the_page(client, second_caseworker, case, history)


def test_without_a_grant_caseworkers_get_no_history_at_all(
    client, api_client, caseworker, second_caseworker, case, history
):
    for user in (caseworker, second_caseworker):
        client.force_login(user)
        assert client.get(page_url(case)).status_code == 403
        api_client.force_login(user)
        response = api_client.get(api_url(case))
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


def test_a_history_grant_does_not_open_a_restricted_case(
    client, api_client, supervisor, caseworker, second_caseworker, client_record
):
    restricted = make_case(
        supervisor, client_record, assigned_to=caseworker, is_restricted=True, case_type="gbv"
    )
    grant_history(second_caseworker, restricted)
    client.force_login(second_caseworker)
    assert client.get(page_url(restricted)).status_code == 404
    api_client.force_login(second_caseworker)
    assert api_client.get(api_url(restricted)).status_code == 404
    client.force_login(supervisor)
    assert client.get(page_url(restricted)).status_code == 200


def test_client_special_category_and_do_not_disclose_stay_out_of_the_case_history(
    client, api_client, supervisor, case, client_record, partner_agency
):
    """The case history covers the case, its notes, follow-ups and documents
    only: the client's fields, its special-category section and the
    do-not-disclose list have their own pages and rules. Even the supervisor,
    who may read them there, finds none of them here."""
    services.update_client(
        actor=supervisor,
        client_id=client_record.pk,
        expected_version=client_record.version,
        changes={"phone": "+39 333 1234567"},
        reason="new number",
    )
    services.update_client_sensitive(
        actor=supervisor,
        client_id=client_record.pk,
        changes={"health": "Diabetes type 1", "religion": "Yazidi"},
    )
    services.add_do_not_disclose(
        actor=supervisor, case_id=case.pk, agency=partner_agency, reason="Husband works there"
    )
    services.add_do_not_disclose(
        actor=supervisor, case_id=case.pk, person_name="Rashid K.", reason="Threats"
    )
    values = ["+39 333 1234567", "Diabetes", "Yazidi", partner_agency.name, "Rashid K.", "Threats"]

    api_client.force_login(supervisor)
    entries = api_client.get(api_url(case)).json()["results"]
    assert entries, "the case's own history is shown"
    assert {entry["object"] for entry in entries} <= {"case", "note", "follow_up", "document"}
    assert {entry["object_id"] for entry in entries} == {str(case.pk)}
    text = repr(entries)
    assert not [value for value in values if value in text]

    client.force_login(supervisor)
    content = client.get(page_url(case)).content.decode()
    assert not [value for value in values if value in content]
