"""The case summary PDF: who gets it, what it holds for whom, how it is logged.

Each test renders at most two PDFs (a render costs 0.1–0.5 s)."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AccessLog
from accounts.services import issue_api_token
from casework import services as casework_services
from reports.documents.case_summary import case_summary_pdf
from tests.factories import make_follow_up, make_referral, make_service

pytestmark = pytest.mark.django_db

HEALTH = "Chronic asthma, inhaler twice daily"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def summary_url(case) -> str:
    return reverse("reports:case_summary", args=[case.pk])


def api_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/summary.pdf"


@pytest.fixture
def full_case(caseworker, supervisor, client_record, case, consent, partner_agency):
    """The case with what a summary shows and what it must leave out."""
    casework_services.update_client_sensitive(
        actor=caseworker, client_id=client_record.pk, changes={"health": HEALTH}, reason="intake"
    )
    today = timezone.now().date()
    make_follow_up(
        caseworker, case, due_on=today + timedelta(days=3), title="Renew residence permit"
    )
    done = make_follow_up(
        caseworker, case, due_on=today + timedelta(days=1), title="Finished errand"
    )
    casework_services.complete_follow_up(actor=caseworker, case_id=case.pk, follow_up_id=done.pk)
    casework_services.add_note(actor=caseworker, case_id=case.pk, body="Oldest note of all")
    for number in range(1, 10):
        casework_services.add_note(actor=caseworker, case_id=case.pk, body=f"Routine note {number}")
    casework_services.add_note(
        actor=supervisor, case_id=case.pk, body="Supervisor secret remark", is_confidential=True
    )
    casework_services.add_note(actor=caseworker, case_id=case.pk, body="Landlord called back")
    make_service(partner_agency)
    case.referral_reference = make_referral(caseworker, case, partner_agency).reference
    return case


def _rows_since(before: int) -> list[AccessLog]:
    return list(AccessLog.objects.exclude(action__in=["login", "logout"]).order_by("id")[before:])


def test_the_assigned_caseworker_downloads_the_summary(client_as, caseworker, full_case):
    before = AccessLog.objects.exclude(action__in=["login", "logout"]).count()
    http = client_as(caseworker)

    response = http.get(summary_url(full_case))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="case-{full_case.number}-summary.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert "محمد الحسن" in text  # the Arabic name, in logical order
    assert "Mohammed al-Hassan" in text
    assert full_case.number in text
    assert "Renew residence permit" in text
    assert "Finished errand" not in text  # done: not an open follow-up
    assert "Landlord called back" in text
    assert "Routine note 1" in text
    assert "Oldest note of all" not in text  # the eleventh note: only the last 10
    assert "Supervisor secret remark" not in text  # confidential, not hers
    assert HEALTH in text  # assigned: holds VIEW_SENSITIVE on the case
    assert full_case.referral_reference in text
    assert "Casa Comune" in text  # the referral's recipient (and the consent's)
    assert "Referral and sharing with other agencies" in text  # the consent's purpose
    rows = _rows_since(before)
    assert [(row.action, row.case_id, row.actor_id) for row in rows] == [
        (AccessLog.Action.DOWNLOAD, full_case.pk, caseworker.pk)
    ]


def test_a_caseworker_not_assigned_gets_no_special_category_data(
    client_as, second_caseworker, full_case
):
    http = client_as(second_caseworker)

    response = http.get(summary_url(full_case), HTTP_ACCEPT_LANGUAGE="ar")

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "محمد الحسن" in text
    assert "Mohammed al-Hassan" in text
    assert "Landlord called back" in text
    assert HEALTH not in text
    assert "Supervisor secret remark" not in text


def test_a_restricted_case_unseen_by_a_colleague_answers_404(
    client_as, second_caseworker, restricted_case
):
    assert client_as(second_caseworker).get(summary_url(restricted_case)).status_code == 404


@pytest.mark.parametrize("persona", ["referral_officer", "outsider", "partner_caseworker"])
def test_other_agencies_get_404(request, client_as, as_user, persona, case):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(summary_url(case)).status_code == 404
    response = as_user(user).get(api_url(case), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_anonymous_is_sent_to_log_in(client, case):
    response = client.get(summary_url(case))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_api_with_a_token_answers_the_pdf(api_client, supervisor, full_case):
    _token, plain = issue_api_token(actor=supervisor)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")

    response = api_client.get(api_url(full_case), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith("attachment;")
    text = pdf_text(response.content)
    assert "Supervisor secret remark" in text  # VIEW_CONFIDENTIAL_NOTES
    assert HEALTH in text  # supervisors hold VIEW_SENSITIVE
    row = AccessLog.objects.exclude(action__in=["login", "logout"]).order_by("-id").first()
    assert (row.action, row.case_id, row.actor_id) == ("download", full_case.pk, supervisor.pk)


def test_the_api_in_a_session_answers_the_pdf_without_an_accept_header(as_user, caseworker, case):
    response = as_user(caseworker).get(api_url(case))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_the_api_refuses_json_only_clients_406(as_user, caseworker, case):
    response = as_user(caseworker).get(api_url(case), HTTP_ACCEPT="text/csv")
    assert response.status_code == 406


def test_granted_viewer_gets_neither_notes_nor_consents(viewer, case, consent):
    """Seeing a case through a grant shows its facts, not its notes (no VIEW_NOTES)."""
    casework_services.add_note(actor=case.assigned_to, case_id=case.pk, body="Visible to staff")

    content, filename = case_summary_pdf(actor=viewer, case_id=case.pk, language="en")

    text = pdf_text(content)
    assert filename == f"case-{case.number}-summary.pdf"
    assert case.number in text
    assert "Visible to staff" not in text
    assert "Recent notes" not in text
    assert "Consents" not in text


def test_the_case_page_offers_the_summary(client_as, caseworker, case):
    page = client_as(caseworker).get(reverse("casework:case_detail", args=[case.pk]))
    assert summary_url(case) in page.content.decode()
