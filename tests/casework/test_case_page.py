"""The case page laid out for work (issue 11): a header with the client's phone
and languages, the forms and actions in a side column that comes before the
record, and a refused form that opens with the error beside its field and the
focus on it, without JavaScript."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.models import AccessLog
from accounts.permissions import Perm
from casework import services
from casework.models import CaseNote, FollowUp
from privacy.services import break_glass
from tests.factories import PDF, make_case, make_client, make_document, make_follow_up
from tests.helpers import field_errors, page

pytestmark = pytest.mark.django_db

PHONE = "+39 333 123 4567"
PAST_MESSAGE = "The due date cannot be in the past."


def url(name, *args):
    return reverse(f"casework:{name}", args=args)


def today():
    return timezone.localdate()


@pytest.fixture
def reachable_case(caseworker):
    """A case whose client has a phone, two languages and needs an interpreter."""
    client = make_client(
        caseworker,
        phone=PHONE,
        languages=["ar", "fa"],
        interpreter_needed=True,
        interpreter_language="ar",
        preferred_name="Abu Ali",
    )
    return make_case(caseworker, client)


def header(content: str) -> str:
    return re.search(r'<header class="card case-head".*?</header>', content, re.S)[0]


def side_column(content: str) -> str:
    """The side column of forms and actions ("" when the page has none)."""
    match = re.search(r'<section class="card case-side[^"]*".*?</section>', content, re.S)
    return match[0] if match else ""


def tag_with_id(content: str, element_id: str) -> str:
    """The opening tag of the element with ``element_id``."""
    return re.search(rf'<[a-z]+\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', content)[0]


def autofocused(content: str) -> list[str]:
    """The opening tags carrying ``autofocus``."""
    return re.findall(r"<[a-z]+\b[^>]*\bautofocus\b[^>]*>", content)


# --- Layout ----------------------------------------------------------------------------------


def test_the_forms_and_actions_come_before_the_record(client_as, caseworker, case):
    make_follow_up(caseworker, case, due_on=today(), title="Call the landlord")
    services.add_note(actor=caseworker, case_id=case.pk, kind="note", body="Met at the office.")
    make_document(caseworker, case)
    content = page(client_as(caseworker).get(url("case_detail", case.pk)))
    side = side_column(content)
    for panel in ("note-panel", "follow-up-panel", "upload-panel", "hold-panel", "close-panel"):
        assert f'id="{panel}"' in side, panel
        # Folded until used: the record is not pushed down on a phone.
        assert " open" not in tag_with_id(content, panel), panel
    for action in ("note_add", "follow_up_add", "document_upload", "case_edit", "case_close"):
        assert url(action, case.pk) in side, action
    assert reverse("referrals:referral_new", args=[case.pk]) in side
    end_of_side = content.index(side) + len(side)
    for record in ('id="notes"', 'id="follow-ups"', 'id="documents"', 'id="referrals"'):
        assert content.index(record) > end_of_side, record
    assert "Met at the office." in content and "Call the landlord" in content
    assert 'class="case-layout case-layout-two"' in content
    assert not autofocused(content)


def test_the_supervisor_finds_reassign_and_restrict_in_the_side_column(client_as, supervisor, case):
    content = page(client_as(supervisor).get(url("case_detail", case.pk)))
    side = side_column(content)
    assert url("case_assign", case.pk) in side
    assert url("case_restrict", case.pk) in side
    # History and "who accessed this" are pages of their own, linked from the header.
    assert url("case_history", case.pk) in header(content)


def test_a_closed_case_offers_reopen_and_no_referral(client_as, caseworker, case):
    services.close_case(actor=caseworker, case_id=case.pk, closure_reason="goals_met")
    side = side_column(page(client_as(caseworker).get(url("case_detail", case.pk))))
    assert url("case_reopen", case.pk) in side
    assert url("case_close", case.pk) not in side
    assert reverse("referrals:referral_new", args=[case.pk]) not in side


def test_who_may_only_read_gets_no_side_column(client_as, outsider, case):
    assign_perm(Perm.VIEW_CASE.value, outsider, case)
    content = page(client_as(outsider).get(url("case_detail", case.pk)))
    assert case.number in content
    assert side_column(content) == ""
    assert 'class="case-layout"' in content
    assert url("note_add", case.pk) not in content


# --- A refused form opens at its first error -----------------------------------------------


def test_a_follow_up_without_a_title_shows_the_error_beside_it_with_the_focus(
    client_as, caseworker, case
):
    due = (today() + timedelta(days=3)).isoformat()
    response = client_as(caseworker).post(
        url("follow_up_add", case.pk), {"title": "", "due_on": due}
    )
    assert response.status_code == 400
    content = page(response)
    assert field_errors(content, "follow_up_title")
    title = tag_with_id(content, "follow_up_title")
    assert 'aria-invalid="true"' in title
    assert 'aria-describedby="follow_up_title_error"' in title
    assert autofocused(content) == [title]
    # Its panel is open, with a summary linking to the field; the others stay folded.
    assert " open" in tag_with_id(content, "follow-up-panel")
    assert " open" not in tag_with_id(content, "note-panel")
    panel = re.search(r'<details [^>]*id="follow-up-panel".*?</details>', content, re.S)[0]
    assert 'href="#follow_up_title"' in panel
    assert panel.index('class="errorlist-box"') < panel.index('id="follow_up_title"')
    # What was typed is kept.
    assert f'value="{due}"' in tag_with_id(content, "follow_up_due_on")
    assert not FollowUp.objects.filter(case=case).exists()


def test_a_follow_up_in_the_past_is_refused_at_the_date_with_the_focus(client_as, caseworker, case):
    yesterday = (today() - timedelta(days=1)).isoformat()
    response = client_as(caseworker).post(
        url("follow_up_add", case.pk), {"title": "Call back", "due_on": yesterday}
    )
    assert response.status_code == 400
    content = page(response)
    assert PAST_MESSAGE in field_errors(content, "follow_up_due_on")
    assert not field_errors(content, "follow_up_title")
    due_on = tag_with_id(content, "follow_up_due_on")
    assert 'aria-invalid="true"' in due_on
    assert "follow_up_due_on_error" in due_on
    assert autofocused(content) == [due_on]
    assert " open" in tag_with_id(content, "follow-up-panel")
    assert not FollowUp.objects.filter(case=case).exists()


def test_an_empty_note_opens_the_note_panel_at_the_note(client_as, caseworker, case):
    response = client_as(caseworker).post(url("note_add", case.pk), {"kind": "note", "body": ""})
    assert response.status_code == 400
    content = page(response)
    assert field_errors(content, "note_body")
    assert autofocused(content) == [tag_with_id(content, "note_body")]
    assert " open" in tag_with_id(content, "note-panel")
    assert not CaseNote.objects.filter(case=case).exists()


def test_an_upload_without_a_category_focuses_the_category(client_as, caseworker, case):
    response = client_as(caseworker).post(
        url("document_upload", case.pk),
        {"category": "", "file": SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")},
    )
    assert response.status_code == 400
    content = page(response)
    assert autofocused(content) == [tag_with_id(content, "document_category")]
    assert " open" in tag_with_id(content, "upload-panel")
    assert 'enctype="multipart/form-data"' in side_column(content)


def test_a_refusal_of_the_whole_form_focuses_its_summary(client_as, caseworker, case):
    services.close_case(actor=caseworker, case_id=case.pk, closure_reason="other")
    response = client_as(caseworker).post(url("case_hold", case.pk), {"reason": "Why not"})
    assert response.status_code == 409
    content = page(response)
    [focused] = autofocused(content)
    assert 'class="errorlist-box"' in focused and 'tabindex="-1"' in focused
    panel = re.search(r'<details [^>]*id="hold-panel".*?</details>', content, re.S)[0]
    assert " open" in panel.split(">", 1)[0]
    assert "this is not possible now" in panel


def test_a_note_with_htmx_answers_the_panel_and_the_notes(client_as, caseworker, case):
    browser = client_as(caseworker)
    added = browser.post(
        url("note_add", case.pk),
        {"kind": "call", "body": "Rang the school."},
        HTTP_HX_REQUEST="true",
    )
    assert added.status_code == 200
    content = page(added)
    assert "<html" not in content
    notes = tag_with_id(content, "notes")
    assert 'hx-swap-oob="true"' in notes
    assert "Rang the school." in content
    panel = tag_with_id(content, "note-panel")
    assert " open" in panel
    assert "The note was added." in content
    assert 'hx-target="#note-panel"' in content
    assert "Rang the school.</textarea>" not in content  # a fresh form

    refused = browser.post(
        url("note_add", case.pk), {"kind": "call", "body": ""}, HTTP_HX_REQUEST="true"
    )
    # htmx swaps only successful answers: the refusal is drawn in the panel.
    assert refused.status_code == 200
    content = page(refused)
    assert field_errors(content, "note_body")
    assert autofocused(content) == [tag_with_id(content, "note_body")]
    assert CaseNote.objects.filter(case=case).count() == 1


# --- The header ----------------------------------------------------------------------------


def test_the_header_gives_the_caseworker_the_phone_and_languages(
    client_as, caseworker, reachable_case
):
    content = page(client_as(caseworker).get(url("case_detail", reachable_case.pk)))
    head = header(content)
    assert reachable_case.number in head
    assert "Abu Ali" in head and reachable_case.client.name in head
    assert url("client_detail", reachable_case.client_id) in head
    assert "Open" in head and "Medium risk" in head
    assert "Layla Caseworker" in head
    assert f'<bdi dir="ltr" class="case-phone">{PHONE}</bdi>' in head
    assert "Arabic, Persian" in head
    assert "Interpreter" in head and "Needed (Arabic)" in head
    # Nothing of the client in the page's addresses.
    assert not [link for link in re.findall(r'href="([^"]*)"', content) if "4567" in link]


def test_the_header_in_arabic(client_as, caseworker, reachable_case):
    caseworker.preferred_language = "ar"
    caseworker.save(update_fields=["preferred_language"])
    content = page(client_as(caseworker).get(url("case_detail", reachable_case.pk)))
    assert 'dir="rtl"' in content
    assert f'<bdi dir="ltr" class="case-phone">{PHONE}</bdi>' in header(content)


def test_who_may_see_the_case_but_not_the_client_gets_no_phone(client_as, outsider, reachable_case):
    assign_perm(Perm.VIEW_CASE.value, outsider, reachable_case)
    response = client_as(outsider).get(url("case_detail", reachable_case.pk))
    assert response.status_code == 200
    content = page(response)
    head = header(content)
    assert reachable_case.number in head
    assert PHONE not in content
    assert "Persian" not in content and "Languages spoken" not in head
    # No link to a client page that would answer 404.
    assert url("client_detail", reachable_case.client_id) not in content
    assert client_as(outsider).get(url("client_detail", reachable_case.client_id)).status_code == (
        404
    )


def test_an_emergency_access_shows_no_phone(
    client_as, foreign_supervisor, reachable_case, agreement
):
    break_glass(actor=foreign_supervisor, case_id=reachable_case.pk, reason="Found unconscious")
    content = page(client_as(foreign_supervisor).get(url("case_detail", reachable_case.pk)))
    assert "Emergency access until" in content
    assert reachable_case.number in header(content)
    assert PHONE not in content and "Persian" not in content
    assert side_column(content) == ""


def test_the_header_reads_the_client_with_the_case(client_as, caseworker, reachable_case):
    browser = client_as(caseworker)
    before = AccessLog.objects.count()
    response = browser.get(url("case_detail", reachable_case.pk))
    assert PHONE in page(response)
    # One row for the page: the case's, naming its client; no second read.
    [row] = AccessLog.objects.order_by("id")[before:]
    assert (row.object_type, row.case_id, row.client_id) == (
        "casework.case",
        reachable_case.pk,
        reachable_case.client_id,
    )


# --- Who may not see the case -----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider", "referral_officer", "partner_caseworker", "dpo"])
def test_others_find_no_such_case(request, client_as, persona, reachable_case):
    browser = client_as(request.getfixturevalue(persona))
    assert browser.get(url("case_detail", reachable_case.pk)).status_code == 404
    due = (today() + timedelta(days=1)).isoformat()
    response = browser.post(url("follow_up_add", reachable_case.pk), {"title": "", "due_on": due})
    assert response.status_code == 404
    assert PHONE not in page(response)


# --- Cost ------------------------------------------------------------------------------------


def test_the_page_costs_the_same_with_more_records(client_as, caseworker, supervisor, case):
    def queries(user):
        browser = client_as(user)
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(url("case_detail", case.pk)).status_code == 200
        return len(captured)

    def add_records():
        services.add_note(actor=caseworker, case_id=case.pk, kind="note", body="x")
        make_follow_up(caseworker, case, due_on=today())
        make_document(caseworker, case)

    add_records()
    few = {user: queries(user) for user in (caseworker, supervisor)}
    for _ in range(4):
        add_records()
    assert {user: queries(user) for user in (caseworker, supervisor)} == few
