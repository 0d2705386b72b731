"""The casework web pages, tried as the allowed persona, a persona who may see
the record but not act (403) or may not see it at all (404), and the outsider."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework import services
from casework.models import (
    Case,
    CaseNote,
    Client,
    ClientSensitive,
    Document,
    FollowUp,
    IdentityDocument,
)
from tests.factories import PDF, make_case, make_client, make_document, make_follow_up
from tests.helpers import field_errors, page

pytestmark = pytest.mark.django_db

STALE = "This record was changed by someone else while you were editing."


def url(name, *args):
    return reverse(f"casework:{name}", args=args)


def today():
    return timezone.now().date()


def client_form(**overrides):
    data = {
        "name": "فاطمة أحمدي",
        "name_latin": "Fatemeh Ahmadi",
        "preferred_name": "",
        "date_of_birth": "1985-07-14",
        "date_of_birth_estimated": "on",
        "sex": "female",
        "gender_identity": "",
        "nationalities": ["AF", "IR"],
        "languages": "fa, en",
        "interpreter_needed": "on",
        "interpreter_language": "fa",
        "phone": "+39 333 000 0000",
        "email": "",
        "address": "",
        "city": "Torino",
        "documents-TOTAL_FORMS": "2",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "2",
        "documents-0-type": "passport",
        "documents-0-number": "P 1234 567",
        "documents-0-issuing_country": "AF",
        "documents-0-expires_on": "2031-01-01",
    }
    data.update(overrides)
    return data


# --- Login and navigation ------------------------------------------------------------------


def test_every_page_needs_login(client, case):
    for target in [
        reverse("accounts:home"),
        url("client_list"),
        url("client_detail", case.client_id),
        url("case_list"),
        url("case_detail", case.pk),
    ]:
        response = client.get(target)
        assert response.status_code == 302, target
        assert response.url.startswith(reverse("accounts:login"))


def test_navigation_marks_the_current_page(client_as, caseworker):
    content = page(client_as(caseworker).get(url("case_list")))
    assert f'<a href="{url("case_list")}" aria-current="page">' in content
    assert f'<a href="{url("client_list")}">' in content
    assert f'<a href="{reverse("accounts:home")}">' in content


# --- Dashboard ---------------------------------------------------------------------------


def test_dashboard_shows_my_cases_follow_ups_and_roles(client_as, caseworker, agency, case):
    services.schedule_follow_up(
        actor=caseworker, case_id=case.pk, title="Call the landlord", due_on=today()
    )
    make_follow_up(caseworker, case, title="Send the rent form", due_on=today() - timedelta(days=3))
    response = client_as(caseworker).get(reverse("accounts:home"))
    assert response.status_code == 200
    content = page(response)
    assert case.number in content
    assert "Call the landlord" in content
    assert "Send the rent form" in content
    assert "Overdue" in content
    assert agency.name in content
    assert "Caseworker" in content
    assert "Mark done" in content


def test_mark_done_from_the_dashboard_returns_to_it(client_as, caseworker, case):
    follow_up = services.schedule_follow_up(
        actor=caseworker, case_id=case.pk, title="Call the landlord", due_on=today()
    )
    response = client_as(caseworker).post(
        url("follow_up_done", case.pk, follow_up.pk), {"next": reverse("accounts:home")}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None
    assert follow_up.done_by == caseworker
    content = page(client_as(caseworker).get(reverse("accounts:home")))
    assert "“Call the landlord” is done." in content  # the success message
    assert "Mark done" not in content


def test_mark_done_ignores_a_foreign_next(client_as, caseworker, case):
    follow_up = services.schedule_follow_up(
        actor=caseworker, case_id=case.pk, title="Call", due_on=today()
    )
    response = client_as(caseworker).post(
        url("follow_up_done", case.pk, follow_up.pk), {"next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.url.startswith(url("case_detail", case.pk))


def test_dashboard_of_the_outsider_shows_nothing_of_the_agency(client_as, outsider, case):
    response = client_as(outsider).get(reverse("accounts:home"))
    assert response.status_code == 200
    assert case.number not in page(response)


# --- Client list ---------------------------------------------------------------------------


def test_client_list_shows_visible_clients_with_their_names(client_as, caseworker, client_record):
    response = client_as(caseworker).get(url("client_list"))
    assert response.status_code == 200
    content = page(response)
    assert 'dir="auto"' in content
    assert client_record.name in content
    assert client_record.name_latin in content
    assert "1990-04-02" in content
    assert "Syria" in content
    assert url("client_detail", client_record.pk) in content


@pytest.mark.parametrize("persona", ["outsider", "dpo", "referral_officer", "agency_admin"])
def test_client_list_hides_clients_from_other_roles(request, client_as, persona, client_record):
    response = client_as(request.getfixturevalue(persona)).get(url("client_list"))
    assert response.status_code == 200
    assert client_record.name not in page(response)


def test_client_search_finds_a_name_written_another_way(client_as, caseworker, client_record):
    other = make_client(caseworker, name="Ana Silva", name_latin="", nationalities=["BR"])
    client = client_as(caseworker)
    found = page(client.get(url("client_list"), {"q": "Muhammad"}))
    assert url("client_detail", client_record.pk) in found
    assert url("client_detail", other.pk) not in found
    nothing = page(client.get(url("client_list"), {"q": "Zzyzx"}))
    assert url("client_detail", client_record.pk) not in nothing
    assert "No client matches this search" in nothing


def test_client_list_marks_an_estimated_date_of_birth(client_as, caseworker):
    make_client(
        caseworker, name="Amanuel", date_of_birth="2001-01-01", date_of_birth_estimated=True
    )
    content = page(client_as(caseworker).get(url("client_list")))
    assert "2001-01-01" in content
    assert "estimated" in content


def test_client_list_pages_without_counting(client_as, caseworker, monkeypatch):
    monkeypatch.setattr("config.http.pages.PAGE_SIZE", 2)
    clients = [make_client(caseworker, name=f"Client {n}") for n in range(3)]
    browser = client_as(caseworker)
    first = page(browser.get(url("client_list")))
    assert url("client_detail", clients[2].pk) in first
    assert url("client_detail", clients[1].pk) in first
    assert url("client_detail", clients[0].pk) not in first
    next_link = re.search(r'href="(\?after=[^"]+)" rel="next"', first).group(1)
    second = page(browser.get(url("client_list") + next_link.replace("&amp;", "&")))
    assert url("client_detail", clients[0].pk) in second
    assert url("client_detail", clients[1].pk) not in second
    assert 'rel="next"' not in second


def test_client_pages_put_no_personal_data_in_links(client_as, caseworker, client_record):
    content = page(client_as(caseworker).get(url("client_list")))
    links = re.findall(r'href="([^"]*)"', content)
    assert links
    for link in links:
        assert "Hassan" not in link
        assert "محمد" not in link


# --- Registering a client ----------------------------------------------------------------


def test_caseworker_registers_a_client_with_a_document(client_as, caseworker, agency):
    browser = client_as(caseworker)
    assert browser.get(url("client_register")).status_code == 200
    response = browser.post(url("client_register"), client_form())
    assert response.status_code == 302
    client = Client.objects.get(name_latin="Fatemeh Ahmadi")
    assert response.url == url("client_detail", client.pk)
    assert client.agency == agency
    assert client.nationalities == ["AF", "IR"]
    assert client.languages == ["fa", "en"]
    assert client.date_of_birth_estimated
    assert client.interpreter_needed
    document = IdentityDocument.objects.get(client=client)
    assert (document.type, document.number, document.issuing_country) == (
        "passport",
        "P 1234 567",
        "AF",
    )


def test_registration_form_has_no_special_category_fields(client_as, caseworker):
    content = page(client_as(caseworker).get(url("client_register")))
    assert 'name="name"' in content
    for name in ("health", "religion", "ethnicity", "sexual_orientation", "vulnerabilities"):
        assert f'name="{name}"' not in content


def test_registration_errors_are_shown_next_to_the_field(client_as, caseworker):
    response = client_as(caseworker).post(
        url("client_register"), client_form(languages="arabic", name="")
    )
    assert response.status_code == 400
    content = page(response)
    assert "is not a language code" in field_errors(content, "id_languages")
    assert "This field is required." in field_errors(content, "id_name")
    assert not Client.objects.filter(name_latin="Fatemeh Ahmadi").exists()


def test_a_service_validation_error_is_shown_at_its_field(client_as, caseworker):
    future = (today() + timedelta(days=30)).isoformat()
    response = client_as(caseworker).post(url("client_register"), client_form(date_of_birth=future))
    assert response.status_code == 400
    assert "cannot be in the future" in field_errors(page(response), "id_date_of_birth")
    assert not Client.objects.filter(name_latin="Fatemeh Ahmadi").exists()


def test_a_document_row_needs_a_number(client_as, caseworker):
    response = client_as(caseworker).post(
        url("client_register"), client_form(**{"documents-0-number": ""})
    )
    assert response.status_code == 400
    assert field_errors(page(response), "id_documents-0-number")
    assert not Client.objects.filter(name_latin="Fatemeh Ahmadi").exists()


def test_possible_duplicate_is_shown_then_confirmed(client_as, caseworker, client_record):
    browser = client_as(caseworker)
    data = client_form(
        name="محمد الحسن",
        name_latin="Muhammad Hasan",
        date_of_birth="1990-06-01",
        **{
            "documents-0-number": "",
            "documents-0-type": "",
            "documents-0-issuing_country": "",
            "documents-0-expires_on": "",
        },
    )
    before = Client.objects.count()
    response = browser.post(url("client_register"), data)
    assert response.status_code == 409
    content = page(response)
    assert "This person may already be registered" in content
    assert url("client_detail", client_record.pk) in content
    assert 'name="confirmed_not_duplicate"' in content
    assert Client.objects.count() == before

    response = browser.post(url("client_register"), {**data, "confirmed_not_duplicate": "on"})
    assert response.status_code == 302
    assert Client.objects.count() == before + 1
    assert Client.objects.filter(name_latin="Muhammad Hasan").exists()


def test_same_document_number_is_a_possible_duplicate(client_as, caseworker):
    existing = make_client(
        caseworker,
        name="Someone Else",
        documents=[{"type": "passport", "number": "P1234567"}],
    )
    response = client_as(caseworker).post(url("client_register"), client_form())
    assert response.status_code == 409
    assert url("client_detail", existing.pk) in page(response)


def test_roles_without_add_client_may_not_register(client_as, dpo, agency_admin):
    assert client_as(dpo).get(url("client_register")).status_code == 403
    assert client_as(agency_admin).post(url("client_register"), client_form()).status_code == 403
    assert not Client.objects.filter(name_latin="Fatemeh Ahmadi").exists()


def test_outsider_cannot_register_into_another_agency(client_as, outsider, agency, other_agency):
    response = client_as(outsider).post(url("client_register"), client_form(agency=str(agency.pk)))
    assert response.status_code == 302
    assert not Client.objects.filter(agency=agency).exists()
    assert Client.objects.get(name_latin="Fatemeh Ahmadi").agency == other_agency


def test_a_member_of_two_agencies_chooses_the_agency(client_as, caseworker, partner_agency):
    from accounts.permissions import Role
    from tests.factories import make_member

    make_member(partner_agency, Role.CASEWORKER, user=caseworker)
    browser = client_as(caseworker)
    content = page(browser.get(url("client_register")))
    assert '<select name="agency"' in content
    assert partner_agency.name in content
    response = browser.post(url("client_register"), client_form(agency=str(partner_agency.pk)))
    assert response.status_code == 302
    assert Client.objects.get(name_latin="Fatemeh Ahmadi").agency == partner_agency


# --- Client page -------------------------------------------------------------------------


def test_client_page_shows_identity_documents_and_cases(client_as, caseworker, case):
    services.add_identity_document(
        actor=caseworker,
        client_id=case.client_id,
        data={"type": "passport", "number": "OLD123", "expires_on": today() - timedelta(days=1)},
    )
    services.add_identity_document(
        actor=caseworker,
        client_id=case.client_id,
        data={"type": "residence_permit", "number": "NEW456", "expires_on": "2099-01-01"},
    )
    response = client_as(caseworker).get(url("client_detail", case.client_id))
    assert response.status_code == 200
    content = page(response)
    assert "OLD123" in content
    assert "NEW456" in content
    assert content.count('class="badge badge-expired"') == 1
    assert "<dt>Languages spoken</dt><dd>Arabic</dd>" in content
    assert case.number in content
    assert url("case_open", case.client_id) in content
    assert url("client_edit", case.client_id) in content


@pytest.mark.parametrize("persona", ["outsider", "dpo", "referral_officer", "agency_admin"])
def test_client_page_is_not_found_for_others(request, client_as, persona, client_record):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(url("client_detail", client_record.pk)).status_code == 404


def test_special_category_section_only_for_assigned_caseworker_and_supervisor(
    client_as, caseworker, second_caseworker, supervisor, case
):
    services.update_client_sensitive(
        actor=caseworker,
        client_id=case.client_id,
        changes={"health": "Diabetes type 2", "vulnerabilities": ["serious_illness"]},
    )
    for user in (caseworker, supervisor):
        content = page(client_as(user).get(url("client_detail", case.client_id)))
        assert "Diabetes type 2" in content
        assert "Serious medical condition" in content
        assert url("client_sensitive", case.client_id) in content
    response = client_as(second_caseworker).get(url("client_detail", case.client_id))
    assert response.status_code == 200
    content = page(response)
    assert "Diabetes type 2" not in content
    assert "Special-category data" not in content
    assert url("client_sensitive", case.client_id) not in content


def test_restricted_case_is_not_listed_on_the_client_page_for_others(
    client_as, second_caseworker, case, restricted_case
):
    response = client_as(second_caseworker).get(url("client_detail", restricted_case.client_id))
    assert response.status_code == 200  # the client also has an unrestricted case
    content = page(response)
    assert case.number in content
    assert restricted_case.number not in content


def test_client_with_only_restricted_cases_is_hidden_from_other_caseworkers(
    client_as, caseworker, second_caseworker, restricted_case
):
    target = url("client_detail", restricted_case.client_id)
    assert client_as(caseworker).get(target).status_code == 200
    assert client_as(second_caseworker).get(target).status_code == 404


# --- Editing a client -----------------------------------------------------------------------


def edit_data(client, **overrides):
    data = {
        "name": client.name,
        "name_latin": client.name_latin,
        "preferred_name": client.preferred_name,
        "date_of_birth": client.date_of_birth.isoformat() if client.date_of_birth else "",
        "sex": client.sex,
        "nationalities": client.nationalities,
        "languages": ", ".join(client.languages),
        "phone": client.phone,
        "email": client.email,
        "address": client.address,
        "city": client.city,
        "version": client.version,
        "reason": "",
    }
    data.update(overrides)
    return data


def test_caseworker_edits_a_client(client_as, caseworker, client_record):
    browser = client_as(caseworker)
    form = page(browser.get(url("client_edit", client_record.pk)))
    assert f'name="version" value="{client_record.version}"' in form
    response = browser.post(
        url("client_edit", client_record.pk),
        edit_data(client_record, phone="+39 011 123", reason="new phone"),
    )
    assert response.status_code == 302
    assert response.url == url("client_detail", client_record.pk)
    client_record.refresh_from_db()
    assert client_record.phone == "+39 011 123"
    assert client_record.version == 2


def test_stale_client_edit_changes_nothing_and_shows_the_current_version(
    client_as, caseworker, supervisor, client_record
):
    stale = edit_data(client_record, city="Milano")
    services.update_client(
        actor=supervisor,
        client_id=client_record.pk,
        expected_version=client_record.version,
        changes={"city": "Genova"},
    )
    response = client_as(caseworker).post(url("client_edit", client_record.pk), stale)
    assert response.status_code == 412
    content = page(response)
    assert STALE in content
    assert 'value="Genova"' in content
    assert "Milano" in content  # what the caseworker typed, to re-apply
    assert 'name="version" value="2"' in content
    client_record.refresh_from_db()
    assert client_record.city == "Genova"
    assert client_record.version == 2


@pytest.mark.parametrize("persona", ["outsider", "dpo", "referral_officer"])
def test_client_edit_is_not_found_for_others(request, client_as, persona, client_record):
    user = request.getfixturevalue(persona)
    response = client_as(user).post(
        url("client_edit", client_record.pk), edit_data(client_record, city="X")
    )
    assert response.status_code == 404
    client_record.refresh_from_db()
    assert client_record.city != "X"


# --- Special-category section ------------------------------------------------------------------


def test_assigned_caseworker_edits_the_special_category_section(client_as, caseworker, case):
    browser = client_as(caseworker)
    assert browser.get(url("client_sensitive", case.client_id)).status_code == 200
    response = browser.post(
        url("client_sensitive", case.client_id),
        {
            "health": "Asthma",
            "protection_concerns": "",
            "vulnerabilities": ["pregnant", "disability"],
        },
    )
    assert response.status_code == 302
    sensitive = Client.objects.get(pk=case.client_id).sensitive
    assert sensitive.health == "Asthma"
    assert sensitive.vulnerabilities == ["pregnant", "disability"]


def test_special_category_section_is_forbidden_without_view_sensitive(
    client_as, second_caseworker, case
):
    browser = client_as(second_caseworker)
    assert browser.get(url("client_sensitive", case.client_id)).status_code == 403
    response = browser.post(url("client_sensitive", case.client_id), {"health": "Leaked"})
    assert response.status_code == 403
    assert not ClientSensitive.objects.filter(health="Leaked").exists()


@pytest.mark.parametrize("persona", ["outsider", "dpo"])
def test_special_category_section_is_not_found_for_others(request, client_as, persona, case):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(url("client_sensitive", case.client_id)).status_code == 404


# --- Identity documents --------------------------------------------------------------------


def test_caseworker_adds_an_identity_document(client_as, caseworker, client_record):
    response = client_as(caseworker).post(
        url("identity_document_add", client_record.pk),
        {"type": "asylum_seeker_card", "number": "AS-99", "issuing_country": "IT"},
    )
    assert response.status_code == 302
    document = IdentityDocument.objects.get(client=client_record)
    assert (document.type, document.number, document.issuing_country) == (
        "asylum_seeker_card",
        "AS-99",
        "IT",
    )


def test_identity_document_needs_type_and_number(client_as, caseworker, client_record):
    response = client_as(caseworker).post(url("identity_document_add", client_record.pk), {})
    assert response.status_code == 400
    assert field_errors(page(response), "id_number")
    assert not IdentityDocument.objects.filter(client=client_record).exists()


@pytest.mark.parametrize("persona", ["outsider", "dpo", "referral_officer"])
def test_identity_document_add_is_not_found_for_others(request, client_as, persona, client_record):
    user = request.getfixturevalue(persona)
    response = client_as(user).post(
        url("identity_document_add", client_record.pk), {"type": "passport", "number": "X1"}
    )
    assert response.status_code == 404
    assert not IdentityDocument.objects.filter(client=client_record).exists()


# --- Opening a case ----------------------------------------------------------------------


def test_caseworker_opens_a_case_for_themselves(client_as, caseworker, client_record):
    browser = client_as(caseworker)
    form = page(browser.get(url("case_open", client_record.pk)))
    assert 'name="assigned_to"' not in form
    assert 'name="is_restricted"' not in form
    response = browser.post(
        url("case_open", client_record.pk),
        {
            "case_type": "asylum_legal",
            "risk_level": "high",
            "summary": "Appeal due.",
            "is_restricted": "on",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(client=client_record)
    assert response.url == url("case_detail", case.pk)
    assert (case.case_type, case.risk_level, case.assigned_to) == (
        "asylum_legal",
        "high",
        caseworker,
    )
    assert not case.is_restricted  # not a field a caseworker has


def test_supervisor_opens_a_restricted_case_for_a_caseworker(
    client_as, supervisor, second_caseworker, client_record
):
    browser = client_as(supervisor)
    form = page(browser.get(url("case_open", client_record.pk)))
    assert 'name="assigned_to"' in form
    assert second_caseworker.display_name in form
    response = browser.post(
        url("case_open", client_record.pk),
        {
            "case_type": "gbv",
            "risk_level": "critical",
            "assigned_to": str(second_caseworker.pk),
            "is_restricted": "on",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(client=client_record)
    assert case.assigned_to == second_caseworker
    assert case.is_restricted


def test_open_case_needs_a_type(client_as, caseworker, client_record):
    response = client_as(caseworker).post(url("case_open", client_record.pk), {"risk_level": "low"})
    assert response.status_code == 400
    assert field_errors(page(response), "id_case_type")
    assert not Case.objects.filter(client=client_record).exists()


@pytest.mark.parametrize("persona", ["outsider", "dpo", "agency_admin", "referral_officer"])
def test_open_case_is_not_found_for_others(request, client_as, persona, client_record):
    user = request.getfixturevalue(persona)
    response = client_as(user).post(url("case_open", client_record.pk), {"case_type": "housing"})
    assert response.status_code == 404
    assert not Case.objects.filter(client=client_record).exists()


# --- Case list ---------------------------------------------------------------------------


def test_case_list_follows_the_scope(
    client_as, caseworker, second_caseworker, outsider, dpo, case, restricted_case
):
    mine = page(client_as(caseworker).get(url("case_list")))
    assert case.number in mine and restricted_case.number in mine
    assert case.client.name in mine
    other = page(client_as(second_caseworker).get(url("case_list")))
    assert case.number in other
    assert restricted_case.number not in other
    for user in (outsider, dpo):
        response = client_as(user).get(url("case_list"))
        assert response.status_code == 200
        assert case.number not in page(response)


def test_case_list_filters_and_search(client_as, caseworker, second_caseworker, case):
    other = make_case(second_caseworker, make_client(second_caseworker, name="Olena Shevchenko"))
    services.close_case(actor=caseworker, case_id=case.pk, closure_reason="goals_met")
    browser = client_as(caseworker)
    closed = page(browser.get(url("case_list"), {"status": "closed"}))
    assert case.number in closed and other.number not in closed
    mine = page(browser.get(url("case_list"), {"mine": "on"}))
    assert case.number in mine and other.number not in mine
    by_name = page(browser.get(url("case_list"), {"q": "Шевченко"}))
    assert other.number in by_name and case.number not in by_name
    by_number = page(browser.get(url("case_list"), {"q": other.number}))
    assert other.number in by_number and case.number not in by_number
    refused = browser.get(url("case_list"), {"status": "nonsense"})
    assert refused.status_code == 400


def test_case_list_overdue_filter(client_as, caseworker, case, client_record):
    calm = make_case(caseworker, client_record)
    make_follow_up(caseworker, case, title="Late", due_on=today() - timedelta(days=1))
    content = page(client_as(caseworker).get(url("case_list"), {"overdue": "on"}))
    assert case.number in content
    assert calm.number not in content


def test_case_list_query_count_does_not_grow_with_rows(client_as, caseworker, client_record):
    make_case(caseworker, client_record)
    browser = client_as(caseworker)
    browser.get(url("case_list"))  # warm up: session, content types
    with CaptureQueriesContext(connection) as one:
        response = browser.get(url("case_list"))
    assert page(response).count('scope="row"') == 1
    for _ in range(19):
        make_case(caseworker, client_record)
    with CaptureQueriesContext(connection) as twenty:
        response = browser.get(url("case_list"))
    assert page(response).count('scope="row"') == 20
    assert len(twenty) == len(one)


# --- Case page -------------------------------------------------------------------------


def test_case_page_for_the_assigned_caseworker(client_as, caseworker, case):
    response = client_as(caseworker).get(url("case_detail", case.pk))
    assert response.status_code == 200
    content = page(response)
    assert case.number in content
    assert url("client_detail", case.client_id) in content
    assert "Needs housing." in content
    assert url("case_edit", case.pk) in content
    assert url("case_hold", case.pk) in content
    assert url("case_close", case.pk) in content
    assert url("case_history", case.pk) not in content  # caseworkers have no history right
    assert url("case_assign", case.pk) not in content
    assert url("case_restrict", case.pk) not in content


def test_case_page_for_the_supervisor_has_supervisor_actions(client_as, supervisor, case):
    content = page(client_as(supervisor).get(url("case_detail", case.pk)))
    assert url("case_history", case.pk) in content
    assert url("case_assign", case.pk) in content
    assert url("case_restrict", case.pk) in content


@pytest.mark.parametrize(
    "persona", ["outsider", "dpo", "agency_admin", "referral_officer", "second_caseworker"]
)
def test_restricted_case_page_is_not_found_for_others(request, client_as, persona, restricted_case):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(url("case_detail", restricted_case.pk)).status_code == 404


def test_case_page_in_arabic_is_right_to_left(client_as, caseworker, case):
    caseworker.preferred_language = "ar"
    caseworker.save(update_fields=["preferred_language"])
    response = client_as(caseworker).get(url("case_detail", case.pk))
    assert response.status_code == 200
    content = page(response)
    assert 'lang="ar" dir="rtl"' in content
    assert f'dir="auto">{case.client.name}' in content


# --- Notes ---------------------------------------------------------------------------


def test_caseworker_adds_a_note(client_as, caseworker, case):
    response = client_as(caseworker).post(
        url("note_add", case.pk), {"kind": "call", "body": "Called about the flat."}
    )
    assert response.status_code == 302
    assert response.url == url("case_detail", case.pk) + "#notes"
    note = CaseNote.objects.get(case=case)
    assert (note.kind, note.body, note.author) == ("call", "Called about the flat.", caseworker)
    assert "Called about the flat." in page(client_as(caseworker).get(response.url))


def test_note_add_with_htmx_answers_the_notes_section(client_as, caseworker, case):
    response = client_as(caseworker).post(
        url("note_add", case.pk), {"kind": "note", "body": "Quick note"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    content = page(response)
    assert content.startswith('<section class="card" id="notes"')
    assert "Quick note" in content
    assert "<html" not in content
    assert CaseNote.objects.filter(case=case, body="Quick note").exists()


def test_empty_note_is_refused_next_to_the_field(client_as, caseworker, case):
    response = client_as(caseworker).post(url("note_add", case.pk), {"kind": "note", "body": ""})
    assert response.status_code == 400
    assert field_errors(page(response), "note_body")
    assert not CaseNote.objects.filter(case=case).exists()


def test_confidential_note_is_seen_by_author_and_supervisor_only(
    client_as, caseworker, supervisor, second_caseworker, case
):
    response = client_as(caseworker).post(
        url("note_add", case.pk),
        {"kind": "meeting", "body": "Disclosed abuse at home.", "is_confidential": "on"},
    )
    assert response.status_code == 302
    assert CaseNote.objects.get(case=case).is_confidential
    for user in (caseworker, supervisor):
        assert "Disclosed abuse at home." in page(client_as(user).get(url("case_detail", case.pk)))
    content = page(client_as(second_caseworker).get(url("case_detail", case.pk)))
    assert case.number in content
    assert "Disclosed abuse at home." not in content


@pytest.mark.parametrize("persona", ["outsider", "dpo", "referral_officer"])
def test_note_add_is_not_found_for_others(request, client_as, persona, case):
    user = request.getfixturevalue(persona)
    response = client_as(user).post(url("note_add", case.pk), {"kind": "note", "body": "x"})
    assert response.status_code == 404
    assert not CaseNote.objects.filter(case=case).exists()


def test_post_only_endpoints_refuse_get(client_as, caseworker, case):
    browser = client_as(caseworker)
    for name in ("note_add", "follow_up_add", "document_upload", "case_hold", "case_close"):
        assert browser.get(url(name, case.pk)).status_code == 405, name


# --- Follow-ups ------------------------------------------------------------------------


def test_caseworker_schedules_and_completes_a_follow_up(client_as, caseworker, case):
    browser = client_as(caseworker)
    due = (today() + timedelta(days=7)).isoformat()
    response = browser.post(url("follow_up_add", case.pk), {"title": "Visit", "due_on": due})
    assert response.status_code == 302
    follow_up = FollowUp.objects.get(case=case)
    assert (follow_up.title, follow_up.due_on.isoformat(), follow_up.assigned_to) == (
        "Visit",
        due,
        caseworker,
    )
    response = browser.post(url("follow_up_done", case.pk, follow_up.pk))
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None


def test_follow_up_done_with_htmx_answers_the_follow_ups_section(client_as, caseworker, case):
    follow_up = services.schedule_follow_up(
        actor=caseworker, case_id=case.pk, title="Call back", due_on=today()
    )
    response = client_as(caseworker).post(
        url("follow_up_done", case.pk, follow_up.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    content = page(response)
    assert content.startswith('<section class="card" id="follow-ups"')
    assert "is done" in content
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None


def test_follow_up_needs_a_due_date(client_as, caseworker, case):
    response = client_as(caseworker).post(url("follow_up_add", case.pk), {"title": "Visit"})
    assert response.status_code == 400
    assert field_errors(page(response), "follow_up_due_on")
    assert not FollowUp.objects.filter(case=case).exists()


def test_follow_up_of_another_case_is_not_found(client_as, caseworker, case, client_record):
    other = make_case(caseworker, client_record)
    follow_up = services.schedule_follow_up(
        actor=caseworker, case_id=other.pk, title="Call", due_on=today()
    )
    response = client_as(caseworker).post(url("follow_up_done", case.pk, follow_up.pk))
    assert response.status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.done_at is None


@pytest.mark.parametrize("persona", ["outsider", "dpo"])
def test_follow_ups_are_not_found_for_others(request, client_as, persona, caseworker, case):
    follow_up = services.schedule_follow_up(
        actor=caseworker, case_id=case.pk, title="Call", due_on=today()
    )
    browser = client_as(request.getfixturevalue(persona))
    assert browser.post(url("follow_up_done", case.pk, follow_up.pk)).status_code == 404
    due = today().isoformat()
    response = browser.post(url("follow_up_add", case.pk), {"title": "X", "due_on": due})
    assert response.status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.done_at is None
    assert FollowUp.objects.filter(case=case).count() == 1


# --- Documents ---------------------------------------------------------------------------


def test_caseworker_uploads_a_pdf(client_as, caseworker, case):
    response = client_as(caseworker).post(
        url("document_upload", case.pk),
        {
            "category": "legal",
            "description": "Decision letter",
            "file": SimpleUploadedFile("decision.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    document = Document.objects.get(case=case)
    assert (document.category, document.content_type, document.extension) == (
        "legal",
        "application/pdf",
        "pdf",
    )
    assert url("document_download", case.pk, document.pk) in page(
        client_as(caseworker).get(url("case_detail", case.pk))
    )


def test_an_exe_renamed_pdf_is_refused_at_the_file_field(client_as, caseworker, case):
    response = client_as(caseworker).post(
        url("document_upload", case.pk),
        {
            "category": "legal",
            "file": SimpleUploadedFile(
                "invoice.pdf", b"MZ" + b"\x90\x00" * 200, content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 400
    content = page(response)
    assert "This kind of file is not accepted" in field_errors(content, "document_file")
    assert not Document.objects.filter(case=case).exists()


def test_download_is_an_attachment_never_cached(client_as, caseworker, case):
    document = make_document(caseworker, case)
    response = client_as(caseworker).get(url("document_download", case.pk, document.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert document.download_name in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize("persona", ["outsider", "dpo", "agency_admin", "referral_officer"])
def test_download_is_not_found_for_others(request, client_as, persona, caseworker, case):
    document = make_document(caseworker, case)
    user = request.getfixturevalue(persona)
    assert client_as(user).get(url("document_download", case.pk, document.pk)).status_code == 404


def test_medical_documents_are_hidden_from_the_second_caseworker(
    client_as, caseworker, second_caseworker, case
):
    medical = make_document(caseworker, case, category="medical")
    legal = make_document(caseworker, case, category="legal")
    browser = client_as(second_caseworker)
    content = page(browser.get(url("case_detail", case.pk)))
    assert url("document_download", case.pk, legal.pk) in content
    assert url("document_download", case.pk, medical.pk) not in content
    assert '<option value="medical"' not in content  # cannot upload medical either
    assert browser.get(url("document_download", case.pk, medical.pk)).status_code == 404
    assert browser.get(url("document_download", case.pk, legal.pk)).status_code == 200
    assert url("document_download", case.pk, medical.pk) in page(
        client_as(caseworker).get(url("case_detail", case.pk))
    )


def test_document_of_another_case_is_not_found(client_as, caseworker, case, client_record):
    other = make_case(caseworker, client_record)
    document = make_document(caseworker, other)
    response = client_as(caseworker).get(url("document_download", case.pk, document.pk))
    assert response.status_code == 404


# --- Status and supervisor actions -------------------------------------------------------------


def test_hold_reopen_close_by_the_caseworker(client_as, caseworker, case):
    browser = client_as(caseworker)
    response = browser.post(url("case_hold", case.pk), {"reason": "Client travelling"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.ON_HOLD
    content = page(browser.get(url("case_detail", case.pk)))
    assert url("case_hold", case.pk) not in content
    assert url("case_reopen", case.pk) in content

    assert browser.post(url("case_reopen", case.pk), {"reason": "Back"}).status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN

    response = browser.post(
        url("case_close", case.pk), {"closure_reason": "goals_met", "note": "Housed."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closure_reason) == (Case.Status.CLOSED, "goals_met")
    content = page(browser.get(url("case_detail", case.pk)))
    assert url("case_close", case.pk) not in content
    assert url("case_edit", case.pk) not in content


def test_close_needs_a_reason(client_as, caseworker, case):
    response = client_as(caseworker).post(url("case_close", case.pk), {"closure_reason": ""})
    assert response.status_code == 400
    assert field_errors(page(response), "close_closure_reason")
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_hold_of_a_closed_case_is_a_conflict_on_the_form(client_as, caseworker, case):
    services.close_case(actor=caseworker, case_id=case.pk, closure_reason="other")
    response = client_as(caseworker).post(url("case_hold", case.pk), {"reason": "Why not"})
    assert response.status_code == 409
    assert "this is not possible now" in page(response)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED


@pytest.mark.parametrize("persona", ["outsider", "dpo", "agency_admin"])
def test_status_actions_are_not_found_for_others(request, client_as, persona, case):
    browser = client_as(request.getfixturevalue(persona))
    assert browser.post(url("case_close", case.pk), {"closure_reason": "other"}).status_code == 404
    assert browser.post(url("case_hold", case.pk), {"reason": "x"}).status_code == 404
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_supervisor_reassigns_and_caseworker_may_not(
    client_as, caseworker, supervisor, second_caseworker, case
):
    data = {"assigned_to": str(second_caseworker.pk), "reason": "Workload"}
    assert client_as(caseworker).post(url("case_assign", case.pk), data).status_code == 403
    case.refresh_from_db()
    assert case.assigned_to == caseworker
    response = client_as(supervisor).post(url("case_assign", case.pk), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assigned_to == second_caseworker


def test_reassigning_to_a_non_member_is_refused(client_as, supervisor, outsider, case):
    response = client_as(supervisor).post(
        url("case_assign", case.pk), {"assigned_to": str(outsider.pk)}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in field_errors(page(response), "assign_assigned_to")
    case.refresh_from_db()
    assert case.assigned_to != outsider


def test_supervisor_restricts_and_caseworker_may_not(
    client_as, caseworker, supervisor, second_caseworker, case
):
    assert (
        client_as(caseworker).post(url("case_restrict", case.pk), {"restricted": "1"}).status_code
        == 403
    )
    response = client_as(supervisor).post(
        url("case_restrict", case.pk), {"restricted": "1", "reason": "Safety"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.is_restricted
    assert client_as(second_caseworker).get(url("case_detail", case.pk)).status_code == 404
    response = client_as(supervisor).post(url("case_restrict", case.pk), {"restricted": "0"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert not case.is_restricted


# --- Editing a case --------------------------------------------------------------------


def case_edit_data(case, **overrides):
    data = {
        "case_type": case.case_type,
        "risk_level": case.risk_level,
        "summary": case.summary,
        "version": case.version,
        "reason": "",
    }
    data.update(overrides)
    return data


def test_caseworker_edits_a_case(client_as, caseworker, case):
    browser = client_as(caseworker)
    assert f'name="version" value="{case.version}"' in page(browser.get(url("case_edit", case.pk)))
    response = browser.post(
        url("case_edit", case.pk), case_edit_data(case, risk_level="high", reason="Threats")
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.risk_level, case.version) == ("high", 2)


def test_stale_case_edit_shows_the_conflict_and_changes_nothing(
    client_as, caseworker, supervisor, case
):
    stale = case_edit_data(case, summary="My long summary")
    services.update_case(
        actor=supervisor,
        case_id=case.pk,
        expected_version=case.version,
        changes={"risk_level": "critical"},
    )
    response = client_as(caseworker).post(url("case_edit", case.pk), stale)
    assert response.status_code == 412
    content = page(response)
    assert STALE in content
    assert "My long summary" in content  # what the caseworker typed, to re-apply
    assert '<option value="critical" selected>' in content
    assert 'name="version" value="2"' in content
    case.refresh_from_db()
    assert (case.summary, case.risk_level, case.version) == ("Needs housing.", "critical", 2)


def test_closed_case_cannot_be_edited(client_as, caseworker, case):
    services.close_case(actor=caseworker, case_id=case.pk, closure_reason="other")
    case.refresh_from_db()
    response = client_as(caseworker).post(
        url("case_edit", case.pk), case_edit_data(case, summary="Changed")
    )
    assert response.status_code == 409
    assert "The case is closed. Reopen it first." in page(response)
    case.refresh_from_db()
    assert case.summary == "Needs housing."


@pytest.mark.parametrize("persona", ["outsider", "dpo", "referral_officer", "second_caseworker"])
def test_case_edit_of_a_restricted_case_is_not_found_for_others(
    request, client_as, persona, restricted_case
):
    user = request.getfixturevalue(persona)
    response = client_as(user).post(
        url("case_edit", restricted_case.pk), case_edit_data(restricted_case, summary="X")
    )
    assert response.status_code == 404
    restricted_case.refresh_from_db()
    assert restricted_case.summary != "X"


# --- History -------------------------------------------------------------------------


def test_supervisor_reads_the_history(client_as, caseworker, supervisor, case):
    services.update_case(
        actor=caseworker,
        case_id=case.pk,
        expected_version=case.version,
        changes={"risk_level": "high"},
        reason="new threat",
    )
    response = client_as(supervisor).get(url("case_history", case.pk))
    assert response.status_code == 200
    content = page(response)
    assert "<caption>" in content
    assert "Risk level:" in content
    assert '<del dir="auto">Medium</del>' in content
    assert '<ins dir="auto">High</ins>' in content
    assert "new threat" in content
    assert caseworker.display_name in content


def test_history_is_forbidden_to_caseworkers(client_as, caseworker, second_caseworker, case):
    assert client_as(caseworker).get(url("case_history", case.pk)).status_code == 403
    assert client_as(second_caseworker).get(url("case_history", case.pk)).status_code == 403


@pytest.mark.parametrize("persona", ["outsider", "dpo", "agency_admin", "referral_officer"])
def test_history_is_not_found_for_others(request, client_as, persona, case):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(url("case_history", case.pk)).status_code == 404
