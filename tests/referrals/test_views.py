"""The referral web pages, tried as the allowed persona, a persona who sees the
record but may not act (403), and one who may not see it at all (404)."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.permissions import Role
from accounts.second_factor import is_pending
from accounts.selectors import agency_permissions
from casework import services as casework_services
from casework.models import Case
from referrals import services
from referrals.context_processors import navigation_counts
from referrals.models import Referral, ReferralEvent, ReferralMessage, Service
from tests.factories import make_member, make_referral, make_service
from tests.helpers import field_errors, page

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"referrals:{name}", args=args)


def checked_categories(content: str) -> set[str]:
    """The data categories ticked on the send form."""
    boxes = re.findall(r'<input type="checkbox" name="data_categories"[^>]*>', content)
    return {re.search(r'value="([^"]+)"', box).group(1) for box in boxes if " checked" in box}


def refused_categories(content: str) -> set[str]:
    return set(re.findall(r'data-refused="([^"]+)"', content))


def reasons(content: str) -> set[str]:
    return set(re.findall(r'data-reason="([^"]+)"', content))


def in_two_weeks() -> str:
    return (timezone.now().date() + timedelta(days=14)).isoformat()


@pytest.fixture
def service(partner_agency):
    return make_service(
        partner_agency,
        name="Asylum legal clinic",
        data_categories_needed=["identity", "contact", "legal_status", "health"],
        eligibility_description="Asylum seekers in the appeal stage.",
        city="Torino",
    )


@pytest.fixture
def partner_admin(partner_agency):
    return make_member(partner_agency, Role.AGENCY_ADMIN, display_name="Giulia Admin")


@pytest.fixture
def referral(caseworker, case, consent, partner_agency, service):
    """A referral of ``case`` sent to the partner's service, under the consent."""
    return make_referral(caseworker, case, partner_agency, service_id=service.pk)


def send_form(service=None, **overrides):
    data = {
        "service": str(service.pk) if service else "",
        "to_agency": "",
        "purpose": "Legal advice on the asylum appeal",
        "urgency": "urgent",
        "respond_by": in_two_weeks(),
        "message": "The hearing is next month.",
        "data_categories": ["identity", "contact"],
        "override_reason": "",
        "action": "send",
    }
    data.update(overrides)
    return data


# --- The directory --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["caseworker", "referral_officer", "outsider", "agency_admin"])
def test_every_logged_in_user_browses_the_directory(request, client_as, persona, service):
    make_service(
        request.getfixturevalue("other_agency"),
        name="Night shelter",
        category="housing",
        status=Service.Status.TEMPORARILY_CLOSED,
        languages=["fr"],
    )
    response = client_as(request.getfixturevalue(persona)).get(url("directory"))
    assert response.status_code == 200
    content = page(response)
    assert "Asylum legal clinic" in content
    assert "Casa Comune" in content
    assert "Asylum seekers in the appeal stage." in content
    assert "Arabic" in content  # languages, readable
    assert "Health and other special-category data" in content  # what it needs
    assert "Night shelter" in content
    assert "Temporarily closed" in content
    assert "Accepts referrals" in content


def test_directory_needs_login(client, service):
    for target in [url("directory"), url("service_detail", service.pk), url("directory_export")]:
        response = client.get(target)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_directory_search_by_words_kind_agency_and_status(
    client_as, caseworker, service, other_agency
):
    make_service(other_agency, name="Night shelter", category="housing", city="Milano")
    make_service(other_agency, name="Old clinic", status=Service.Status.DEFUNCT)
    browser = client_as(caseworker)
    content = page(browser.get(url("directory"), {"q": "shelter"}))
    assert "Night shelter" in content and "Asylum legal clinic" not in content
    content = page(browser.get(url("directory"), {"category": "legal"}))
    assert "Asylum legal clinic" in content and "Night shelter" not in content
    content = page(browser.get(url("directory"), {"agency": "casa"}))
    assert "Asylum legal clinic" in content and "Old clinic" not in content
    content = page(browser.get(url("directory"), {"status": "defunct"}))
    assert "Old clinic" in content and "Asylum legal clinic" not in content
    assert "Clear the filters" in content


def test_service_page_shows_the_service_and_edit_only_to_its_admin(
    client_as, caseworker, partner_admin, service
):
    content = page(client_as(caseworker).get(url("service_detail", service.pk)))
    assert "Asylum legal clinic" in content
    assert "Asylum seekers in the appeal stage." in content
    assert url("service_edit", service.pk) not in content
    content = page(client_as(partner_admin).get(url("service_detail", service.pk)))
    assert url("service_edit", service.pk) in content


def test_unknown_service_is_not_found(client_as, caseworker):
    response = client_as(caseworker).get(
        url("service_detail", "00000000-0000-0000-0000-000000000000")
    )
    assert response.status_code == 404


def service_form(**overrides):
    data = {
        "name": "Housing desk",
        "alternate_name": "",
        "category": "housing",
        "status": "active",
        "accepts_referrals": "on",
        "data_categories_needed": ["identity", "contact"],
        "description": "Finds rooms.",
        "eligibility_description": "Families",
        "application_process": "",
        "fees_description": "",
        "languages": "ar, it",
        "location_name": "",
        "address": "Via Roma 1",
        "city": "Torino",
        "postal_code": "10100",
        "country": "IT",
        "url": "",
        "email": "desk@example.org",
        "phone": "",
    }
    data.update(overrides)
    return data


def test_agency_admin_adds_a_service(client_as, agency_admin, agency):
    response = client_as(agency_admin).post(url("service_add"), service_form())
    assert response.status_code == 302
    service = Service.objects.get(name="Housing desk")
    assert response.url == url("service_detail", service.pk)
    assert service.agency == agency
    assert service.data_categories_needed == ["identity", "contact"]
    assert service.languages == ["ar", "it"]
    assert service.accepts_referrals is True


def test_service_errors_are_shown_next_to_the_field(client_as, agency_admin):
    response = client_as(agency_admin).post(url("service_add"), service_form(name="", category=""))
    assert response.status_code == 400
    content = page(response)
    assert field_errors(content, "id_name")
    assert field_errors(content, "id_category")
    assert not Service.objects.exists()


@pytest.mark.parametrize("persona", ["caseworker", "supervisor", "referral_officer"])
def test_roles_without_manage_services_may_not_add(request, client_as, persona):
    browser = client_as(request.getfixturevalue(persona))
    assert browser.get(url("service_add")).status_code == 403
    assert browser.post(url("service_add"), service_form()).status_code == 403
    assert browser.get(url("service_import")).status_code == 403
    assert not Service.objects.filter(name="Housing desk").exists()
    assert url("service_add") not in page(browser.get(url("directory")))


def test_agency_admin_edits_a_service_of_the_agency(client_as, partner_admin, service):
    response = client_as(partner_admin).post(
        url("service_edit", service.pk),
        service_form(
            name="Asylum legal clinic",
            category="legal",
            status="temporarily closed",
            version=service.version,
        ),
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.status == Service.Status.TEMPORARILY_CLOSED
    assert service.data_categories_needed == ["identity", "contact"]


def test_stale_service_edit_changes_nothing(client_as, partner_admin, service):
    services.update_service(
        actor=partner_admin, service_id=service.pk, changes={"description": "Changed first"}
    )
    response = client_as(partner_admin).post(
        url("service_edit", service.pk),
        service_form(name="Asylum legal clinic", category="legal", version=service.version),
    )
    assert response.status_code == 412
    service.refresh_from_db()
    assert service.description == "Changed first"


def test_service_edit_refused_to_other_members_and_strangers(
    client_as, partner_agency, service, outsider_admin
):
    partner_caseworker = make_member(partner_agency, Role.CASEWORKER)
    form = service_form(name="Renamed", category="legal", version=service.version)
    assert (
        client_as(partner_caseworker).post(url("service_edit", service.pk), form).status_code == 403
    )
    # The directory is public: another agency's service is 403, not 404.
    assert client_as(outsider_admin).post(url("service_edit", service.pk), form).status_code == 403
    service.refresh_from_db()
    assert service.name == "Asylum legal clinic"


def hsds_page(*records):
    return json.dumps({"contents": list(records)})


def _term(taxonomy: str, code: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "code": code,
        "name": code,
        "description": f"{taxonomy}: {code}",
        "taxonomy": taxonomy,
    }


HSDS_SERVICE = {
    "id": "0b6a1c5e-2f0e-4d6a-9a51-6a4f1f0c2b11",
    "name": "Language café",
    "description": "Italian conversation",
    "status": "active",
    "languages": [
        {"id": "7d0f6a43-1c1e-4b8f-8d0a-6a3c1b0e4f21", "code": "it"},
        {"id": "7d0f6a43-1c1e-4b8f-8d0a-6a3c1b0e4f22", "code": "ar"},
    ],
    "attributes": [
        {
            "id": "3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c01",
            "taxonomy_term": _term("sanad-service-category", "language"),
            "value": "language",
        },
        {
            "id": "3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c02",
            "taxonomy_term": _term("sanad-referrals", "data_category_needed"),
            "value": "contact",
        },
    ],
}


def test_agency_admin_imports_pasted_hsds(client_as, agency_admin, agency):
    response = client_as(agency_admin).post(
        url("service_import"), {"text": hsds_page(HSDS_SERVICE)}
    )
    assert response.status_code == 302
    service = Service.objects.get(name="Language café")
    assert (service.agency, service.category) == (agency, "language")
    assert service.data_categories_needed == ["contact"]


def test_agency_admin_imports_an_hsds_file(client_as, agency_admin):
    upload = SimpleUploadedFile(
        "services.json", hsds_page(HSDS_SERVICE).encode(), content_type="application/json"
    )
    response = client_as(agency_admin).post(url("service_import"), {"file": upload})
    assert response.status_code == 302
    assert Service.objects.filter(name="Language café").exists()


def test_import_is_all_or_nothing_and_names_record_and_field(client_as, agency_admin):
    broken = {**HSDS_SERVICE, "name": "Broken desk", "status": "open all day"}
    response = client_as(agency_admin).post(
        url("service_import"), {"text": hsds_page(HSDS_SERVICE, broken)}
    )
    assert response.status_code == 400
    content = page(response)
    assert "Record 2 (“Broken desk”), field status" in content
    assert not Service.objects.exists()


def test_import_refuses_what_is_not_json(client_as, agency_admin):
    response = client_as(agency_admin).post(url("service_import"), {"text": "{not json"})
    assert response.status_code == 400
    assert "not valid JSON" in field_errors(page(response), "id_text")


def test_export_is_an_hsds_download(client_as, outsider, service):
    response = client_as(outsider).get(url("directory_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="sanad-directory-')
    document = json.loads(response.content)
    assert [item["name"] for item in document["contents"]] == ["Asylum legal clinic"]
    assert document["contents"][0]["organization"]["name"] == "Casa Comune"


# --- Sending a referral ---------------------------------------------------------------


def test_send_form_preselects_exactly_what_is_proposed_and_explains_refusals(
    client_as, caseworker, case, consent, service
):
    response = client_as(caseworker).get(url("referral_new", case.pk), {"service": service.pk})
    assert response.status_code == 200
    content = page(response)
    # Needed: identity, contact, legal status, health. Covered: the first three.
    assert checked_categories(content) == {"identity", "contact", "legal_status"}
    assert refused_categories(content) >= {"health"}
    assert "identity" not in refused_categories(content)
    assert "The consent does not cover health and other special-category data." in content
    assert 'data-check="ok"' in content
    assert "Save draft" in content and "Send" in content
    # The caseworker may not override: no override field.
    assert 'name="override_reason"' not in content


def test_send_form_without_recipient_asks_for_one(client_as, caseworker, case):
    content = page(client_as(caseworker).get(url("referral_new", case.pk)))
    assert checked_categories(content) == set()
    assert "Choose a service or an agency" in content
    assert 'hx-get="' + url("referral_check", case.pk) in content


def test_send_form_explains_blocks(client_as, caseworker, case, consent, partner_agency):
    closed = make_service(
        partner_agency, name="Closed desk", status=Service.Status.TEMPORARILY_CLOSED
    )
    partner_agency.data_sharing_agreement_valid_until = timezone.now().date() - timedelta(days=1)
    partner_agency.save(update_fields=["data_sharing_agreement_valid_until"])
    content = page(client_as(caseworker).get(url("referral_new", case.pk), {"service": closed.pk}))
    assert {"service_not_taking_referrals", "no_data_sharing_agreement"} <= reasons(content)
    assert "cannot be sent, whatever the consent says" in content


def test_send_form_explains_do_not_disclose(
    client_as, caseworker, case, consent, partner_agency, service
):
    casework_services.add_do_not_disclose(
        actor=caseworker, case_id=case.pk, agency=partner_agency, reason="Family works there"
    )
    content = page(client_as(caseworker).get(url("referral_new", case.pk), {"service": service.pk}))
    assert "do_not_disclose" in reasons(content)


def test_send_form_explains_consent_gaps_and_who_may_override(
    client_as, caseworker, supervisor, case, service
):
    content = page(client_as(caseworker).get(url("referral_new", case.pk), {"service": service.pk}))
    assert "no_consent" in reasons(content)
    assert 'data-check="supervisor-needed"' in content
    assert checked_categories(content) == set()
    content = page(client_as(supervisor).get(url("referral_new", case.pk), {"service": service.pk}))
    assert 'data-check="may-override"' in content
    assert 'name="override_reason"' in content


def test_htmx_new_recipient_answers_the_sharing_fieldset(
    client_as, caseworker, case, consent, service
):
    response = client_as(caseworker).get(
        url("referral_check", case.pk),
        {"service": service.pk, "part": "sharing"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    content = page(response)
    assert content.startswith('<fieldset class="group sharing" id="sharing"')
    assert "<html" not in content
    assert checked_categories(content) == {"identity", "contact", "legal_status"}
    assert 'id="referral-check"' in content


def test_htmx_ticked_categories_refresh_the_panel(client_as, caseworker, case, consent, service):
    response = client_as(caseworker).get(
        url("referral_check", case.pk),
        {"service": service.pk, "data_categories": ["identity", "health"], "chosen": "1"},
        HTTP_HX_REQUEST="true",
    )
    content = page(response)
    assert content.startswith('<div id="referral-check"')
    assert "categories_not_covered" in reasons(content)
    response = client_as(caseworker).get(
        url("referral_check", case.pk),
        {"service": service.pk, "data_categories": ["identity"], "chosen": "1"},
    )
    assert 'data-check="ok"' in page(response)


def test_check_partial_is_not_found_for_others(
    request, client_as, case, service, outsider, referral_officer
):
    for user in (outsider, referral_officer):
        response = client_as(user).get(url("referral_check", case.pk), {"service": service.pk})
        assert response.status_code == 404


def test_check_button_works_without_javascript(client_as, caseworker, case, consent, service):
    browser = client_as(caseworker)
    # A recipient chosen without JavaScript: Check proposes for it.
    response = browser.post(
        url("referral_new", case.pk),
        send_form(service, data_categories=[], action="check", purpose=""),
    )
    assert response.status_code == 200
    content = page(response)
    assert checked_categories(content) == {"identity", "contact", "legal_status"}
    assert not field_errors(content, "id_purpose")  # Check validates nothing else
    assert 'value="service:' in content
    # Same recipient: Check explains the ticks as they are.
    response = browser.post(
        url("referral_new", case.pk),
        send_form(
            service,
            data_categories=["identity", "health"],
            action="check",
            proposed_for=f"service:{service.pk}",
        ),
    )
    content = page(response)
    assert checked_categories(content) == {"identity", "health"}
    assert "categories_not_covered" in reasons(content)
    assert not Referral.objects.exists()


def test_send_with_consent(client_as, caseworker, case, consent, service, referral_officer):
    response = client_as(caseworker).post(url("referral_new", case.pk), send_form(service))
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response.url == url("referral_detail", referral.pk)
    assert referral.state == Referral.State.SENT
    assert referral.consent == consent
    assert referral.data_categories == ["identity", "contact"]
    assert referral.urgency == "urgent"
    assert set(referral.packet.data) == {"identity", "contact"}
    assert Notification.objects.filter(recipient=referral_officer).exists()


def test_send_without_consent_is_refused_and_leaves_no_draft(client_as, caseworker, case, service):
    response = client_as(caseworker).post(url("referral_new", case.pk), send_form(service))
    assert response.status_code == 409
    content = page(response)
    assert "There is no consent for this purpose." in content
    assert 'data-check="supervisor-needed"' in content
    assert not Referral.objects.exists()
    assert not ReferralEvent.objects.exists()
    # What the user typed is still there.
    assert "Legal advice on the asylum appeal" in content


def test_send_with_no_category_is_refused_next_to_the_field(
    client_as, caseworker, case, consent, service
):
    response = client_as(caseworker).post(
        url("referral_new", case.pk), send_form(service, data_categories=[])
    )
    assert response.status_code == 400
    assert "Choose at least one kind of information" in field_errors(
        page(response), "id_data_categories"
    )
    assert not Referral.objects.exists()


def test_send_form_errors_are_next_to_their_fields(client_as, caseworker, case, consent, service):
    response = client_as(caseworker).post(
        url("referral_new", case.pk),
        send_form(service, purpose="", respond_by="2001-01-01"),
    )
    assert response.status_code == 400
    content = page(response)
    assert field_errors(content, "id_purpose")
    assert not Referral.objects.exists()
    response = client_as(caseworker).post(
        url("referral_new", case.pk), send_form(service, respond_by="2001-01-01")
    )
    assert response.status_code == 400
    assert "cannot be in the past" in field_errors(page(response), "id_respond_by")


def test_supervisor_overrides_with_a_reason_recorded_and_visible(
    client_as, supervisor, case, service, referral_officer
):
    response = client_as(supervisor).post(
        url("referral_new", case.pk),
        send_form(service, override_reason="Vital interests: eviction tomorrow"),
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert referral.state == Referral.State.SENT
    assert referral.consent is None
    assert referral.override_by == supervisor
    assert referral.override_reason == "Vital interests: eviction tomorrow"
    assert referral.events.filter(kind=ReferralEvent.Kind.CONSENT_OVERRIDE).exists()
    for user in (supervisor, referral_officer):
        content = page(client_as(user).get(url("referral_detail", referral.pk)))
        assert "data-override" in content
        assert "Sent without a covering consent" in content
        assert "Vital interests: eviction tomorrow" in content
        assert "Omar Supervisor" in content


def test_supervisor_override_needs_a_reason(client_as, supervisor, case, service):
    response = client_as(supervisor).post(url("referral_new", case.pk), send_form(service))
    assert response.status_code == 400
    assert field_errors(page(response), "id_override_reason")
    assert not Referral.objects.exists()


def test_caseworker_override_attempt_is_refused(client_as, caseworker, case, service):
    response = client_as(caseworker).post(
        url("referral_new", case.pk), send_form(service, override_reason="I decide")
    )
    assert response.status_code == 403
    assert not Referral.objects.exists()


def test_save_draft_then_send_from_the_referral_page(
    client_as, caseworker, case, consent, service, referral_officer
):
    browser = client_as(caseworker)
    response = browser.post(url("referral_new", case.pk), send_form(service, action="draft"))
    draft = Referral.objects.get()
    assert response.status_code == 302
    assert draft.state == Referral.State.DRAFT
    assert not hasattr(draft, "packet")
    content = page(browser.get(url("referral_detail", draft.pk)))
    assert url("referral_send", draft.pk) in content
    assert url("packet", draft.pk) not in content
    assert client_as(referral_officer).get(url("referral_detail", draft.pk)).status_code == 404
    browser = client_as(caseworker)
    response = browser.post(url("referral_send", draft.pk), {"send-override_reason": ""})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == Referral.State.SENT


def draft_form(draft, **overrides):
    data = {
        "purpose": "Housing after the hearing",
        "urgency": "routine",
        "respond_by": in_two_weeks(),
        "message": "",
        "data_categories": ["identity", "contact", "legal_status"],
        "version": draft.version,
        "action": "save",
    }
    data.update(overrides)
    return data


def test_sender_edits_a_draft(client_as, caseworker, case, consent, partner_agency, service):
    draft = make_referral(caseworker, case, partner_agency, service_id=service.pk, send=False)
    browser = client_as(caseworker)
    content = page(browser.get(url("referral_edit", draft.pk)))
    assert checked_categories(content) == {"identity", "contact"}
    assert "health" in refused_categories(content)
    response = browser.post(url("referral_edit", draft.pk), draft_form(draft))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.purpose == "Housing after the hearing"
    assert draft.data_categories == ["identity", "contact", "legal_status"]
    assert draft.state == Referral.State.DRAFT


def test_draft_edit_check_explains_without_saving(
    client_as, caseworker, case, consent, partner_agency, service
):
    draft = make_referral(caseworker, case, partner_agency, service_id=service.pk, send=False)
    response = client_as(caseworker).post(
        url("referral_edit", draft.pk),
        draft_form(draft, data_categories=["identity", "health"], action="check"),
    )
    assert response.status_code == 200
    content = page(response)
    assert checked_categories(content) == {"identity", "health"}
    assert "categories_not_covered" in reasons(content)
    draft.refresh_from_db()
    assert draft.data_categories == ["identity", "contact"]


def test_stale_draft_edit_changes_nothing(client_as, caseworker, case, consent, partner_agency):
    draft = make_referral(caseworker, case, partner_agency, send=False)
    stale = draft.version
    services.update_referral_draft(
        actor=caseworker, referral_id=draft.pk, changes={"purpose": "Changed first"}
    )
    response = client_as(caseworker).post(
        url("referral_edit", draft.pk), draft_form(draft, version=stale)
    )
    assert response.status_code == 412
    draft.refresh_from_db()
    assert draft.purpose == "Changed first"


def test_a_sent_referral_cannot_be_edited(client_as, caseworker, referral_officer, referral):
    response = client_as(caseworker).get(url("referral_edit", referral.pk))
    assert response.status_code == 409
    assert "only a draft can be changed" in page(response)
    assert client_as(referral_officer).get(url("referral_edit", referral.pk)).status_code == 403


def test_a_draft_is_not_found_for_the_partner(
    client_as, caseworker, referral_officer, case, partner_agency
):
    draft = make_referral(caseworker, case, partner_agency, send=False)
    response = client_as(referral_officer).post(url("referral_edit", draft.pk), draft_form(draft))
    assert response.status_code == 404


def test_supervisor_sends_a_draft_with_an_override(
    client_as, caseworker, supervisor, case, partner_agency
):
    draft = make_referral(caseworker, case, partner_agency, send=False)
    content = page(client_as(caseworker).get(url("referral_detail", draft.pk)))
    assert 'data-check="supervisor-needed"' in content
    assert 'name="override_reason"' not in content
    browser = client_as(supervisor)
    content = page(browser.get(url("referral_detail", draft.pk)))
    assert 'name="override_reason"' in content
    response = browser.post(url("referral_send", draft.pk), {"override_reason": ""})
    assert response.status_code == 400
    assert field_errors(page(response), "send_override_reason")
    response = browser.post(url("referral_send", draft.pk), {"override_reason": "Vital interests"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.state, draft.override_by) == (Referral.State.SENT, supervisor)


def test_closed_case_cannot_be_referred(client_as, caseworker, case, consent, service):
    casework_services.close_case(
        actor=caseworker, case_id=case.pk, closure_reason="goals_met", note=""
    )
    browser = client_as(caseworker)
    content = page(browser.get(url("referral_new", case.pk)))
    assert "The case is closed" in content
    response = browser.post(url("referral_new", case.pk), send_form(service))
    assert response.status_code == 409
    assert not Referral.objects.exists()
    assert url("referral_new", case.pk) not in page(
        browser.get(reverse("casework:case_detail", args=[case.pk]))
    )


@pytest.mark.parametrize("persona", ["outsider", "referral_officer", "dpo", "agency_admin"])
def test_send_form_is_not_found_for_who_may_not_see_the_case(
    request, client_as, persona, case, service
):
    browser = client_as(request.getfixturevalue(persona))
    assert browser.get(url("referral_new", case.pk)).status_code == 404
    assert browser.post(url("referral_new", case.pk), send_form(service)).status_code == 404
    assert not Referral.objects.exists()


# --- The referral page ----------------------------------------------------------------


def test_referral_page_for_the_sender(client_as, caseworker, referral, case, consent):
    response = client_as(caseworker).get(url("referral_detail", referral.pk))
    assert response.status_code == 200
    content = page(response)
    assert referral.reference in content
    assert 'data-state="sent"' in content
    assert "Amal Refugee Support" in content and "Casa Comune" in content
    assert "Asylum legal clinic" in content
    assert "Legal advice on the asylum appeal" in content
    assert case.number in content
    assert reverse("casework:case_detail", args=[case.pk]) in content
    assert "data-consent" in content
    assert reverse("casework:consent_detail", args=[consent.pk]) in content
    assert url("packet", referral.pk) in content
    assert url("referral_withdraw", referral.pk) in content
    assert url("referral_accept", referral.pk) not in content
    assert 'data-event="sent"' in content and 'data-event="created"' in content


def test_referral_page_for_the_partner_hides_the_senders_case(
    client_as, referral_officer, referral, case, consent
):
    response = client_as(referral_officer).get(url("referral_detail", referral.pk))
    assert response.status_code == 200
    content = page(response)
    assert referral.reference in content
    assert case.number not in content
    assert reverse("casework:case_detail", args=[case.pk]) not in content
    assert reverse("casework:consent_detail", args=[consent.pk]) not in content
    assert case.client.name not in content
    assert url("referral_accept", referral.pk) in content
    assert url("referral_decline", referral.pk) in content
    assert url("referral_withdraw", referral.pk) not in content
    assert url("packet", referral.pk) in content


@pytest.mark.parametrize("persona", ["outsider", "partner_caseworker", "partner_admin", "dpo"])
def test_referral_page_is_not_found_for_others(request, client_as, persona, referral):
    browser = client_as(request.getfixturevalue(persona))
    assert browser.get(url("referral_detail", referral.pk)).status_code == 404
    assert browser.get(url("packet", referral.pk)).status_code == 404
    assert browser.post(url("referral_accept", referral.pk), {}).status_code == 404
    assert browser.post(url("referral_withdraw", referral.pk), {}).status_code == 404


def test_referral_officer_may_not_withdraw(client_as, referral_officer, referral):
    response = client_as(referral_officer).post(
        url("referral_withdraw", referral.pk), {"withdraw-reason": "Not ours"}
    )
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT


def test_sender_may_not_accept_their_own_referral(client_as, caseworker, referral):
    response = client_as(caseworker).post(url("referral_accept", referral.pk), {})
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT


def test_decline_without_reason_is_refused_next_to_the_field(client_as, referral_officer, referral):
    response = client_as(referral_officer).post(
        url("referral_decline", referral.pk), {"reason": "  "}
    )
    assert response.status_code == 400
    assert field_errors(page(response), "decline_reason")
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT
    assert not referral.events.filter(kind=ReferralEvent.Kind.DECLINED).exists()


def test_decline_with_a_reason_ends_the_partners_access(
    client_as, caseworker, referral_officer, referral
):
    browser = client_as(referral_officer)
    response = browser.post(url("referral_decline", referral.pk), {"reason": "We are full"})
    assert response.status_code == 302
    assert response.url == url("inbox")
    referral.refresh_from_db()
    assert (referral.state, referral.decline_reason) == ("declined", "We are full")
    assert browser.get(url("referral_detail", referral.pk)).status_code == 404
    content = page(client_as(caseworker).get(url("referral_detail", referral.pk)))
    assert "We are full" in content and 'data-state="declined"' in content


def test_second_accept_is_a_clear_conflict(
    client_as, supervisor, referral_officer, referral, partner_agency
):
    partner_supervisor = make_member(partner_agency, Role.SUPERVISOR)
    services.accept_referral(actor=partner_supervisor, referral_id=referral.pk)
    response = client_as(referral_officer).post(url("referral_accept", referral.pk), {})
    assert response.status_code == 409
    content = page(response)
    assert 'data-error="conflict"' in content
    assert "This referral is accepted" in content
    assert 'data-state="accepted"' in content


def test_the_full_loop_through_the_pages(
    client_as, caseworker, referral_officer, partner_caseworker, referral, case
):
    officer = client_as(referral_officer)
    assert (
        officer.post(url("referral_accept", referral.pk), {"note": "We take it"}).status_code == 302
    )
    content = page(officer.get(url("referral_detail", referral.pk)))
    assert url("referral_open_case", referral.pk) in content
    assert "Marco Partner" in content  # a caseworker of the receiving agency to choose

    response = officer.post(
        url("referral_open_case", referral.pk),
        {"assigned_to": str(partner_caseworker.pk), "case_type": ""},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    new_case = referral.receiving_case
    assert new_case.agency_id == referral.to_agency_id
    assert new_case.assigned_to == partner_caseworker
    assert new_case.case_type == Case.Type.ASYLUM_LEGAL  # from the kind of service
    content = page(officer.get(url("referral_detail", referral.pk)))
    assert url("referral_open_case", referral.pk) not in content

    response = officer.post(
        url("referral_message", referral.pk), {"body": "First appointment Monday"}
    )
    assert response.status_code == 302
    response = officer.post(url("referral_progress", referral.pk), {"note": "Lawyer assigned"})
    assert response.status_code == 302
    response = officer.post(url("referral_complete", referral.pk), {"outcome": ""})
    assert response.status_code == 400
    assert field_errors(page(response), "complete_outcome")
    response = officer.post(url("referral_complete", referral.pk), {"outcome": "Appeal lodged"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == Referral.State.COMPLETED

    content = page(client_as(caseworker).get(url("referral_detail", referral.pk)))
    assert 'data-state="completed"' in content
    assert "Appeal lodged" in content
    assert "Lawyer assigned" in content
    assert "First appointment Monday" in content
    assert 'data-event="case_opened"' in content
    assert new_case.number not in content  # the partner's case is theirs
    assert "opened its own case" in content

    # The assigned caseworker of the new case follows the link to it.
    content = page(client_as(partner_caseworker).get(url("referral_detail", referral.pk)))
    assert reverse("casework:case_detail", args=[new_case.pk]) in content


def test_message_with_htmx_answers_the_messages_section(client_as, caseworker, referral):
    response = client_as(caseworker).post(
        url("referral_message", referral.pk), {"body": "Any news?"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    content = page(response)
    assert content.startswith('<section class="card" id="messages"')
    assert "Any news?" in content and "<html" not in content
    assert ReferralMessage.objects.filter(referral=referral, body="Any news?").exists()


def test_empty_message_is_refused_next_to_the_field(client_as, caseworker, referral):
    response = client_as(caseworker).post(url("referral_message", referral.pk), {"body": ""})
    assert response.status_code == 400
    assert field_errors(page(response), "message_body")
    assert not ReferralMessage.objects.exists()


def test_sender_withdraws_and_the_partner_loses_access(
    client_as, caseworker, referral_officer, referral
):
    response = client_as(caseworker).post(
        url("referral_withdraw", referral.pk), {"reason": "Client moved away"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == Referral.State.WITHDRAWN
    browser = client_as(referral_officer)
    assert browser.get(url("referral_detail", referral.pk)).status_code == 404
    assert browser.get(url("packet", referral.pk)).status_code == 404


def test_consent_withdrawal_ends_the_partners_access_at_once(
    client_as, caseworker, referral_officer, referral, consent
):
    browser = client_as(referral_officer)
    assert browser.get(url("referral_detail", referral.pk)).status_code == 200
    assert browser.get(url("packet", referral.pk)).status_code == 200
    casework_services.withdraw_consent(actor=caseworker, consent_id=consent.pk, reason="Asked")
    assert browser.get(url("referral_detail", referral.pk)).status_code == 404
    assert browser.get(url("packet", referral.pk)).status_code == 404
    content = page(client_as(caseworker).get(url("referral_detail", referral.pk)))
    assert 'data-state="cancelled"' in content
    assert "The consent it relied on was withdrawn." in content


def test_receiving_caseworker_reads_the_packet_only_once_a_case_is_theirs(
    client_as, referral_officer, partner_caseworker, referral
):
    browser = client_as(partner_caseworker)
    assert browser.get(url("packet", referral.pk)).status_code == 404
    services.accept_referral(actor=referral_officer, referral_id=referral.pk)
    assert browser.get(url("packet", referral.pk)).status_code == 404
    services.open_case_from_referral(
        actor=referral_officer, referral_id=referral.pk, assigned_to=partner_caseworker
    )
    browser = client_as(partner_caseworker)
    assert browser.get(url("packet", referral.pk)).status_code == 200
    content = page(browser.get(url("referral_detail", referral.pk)))
    assert url("referral_accept", referral.pk) not in content
    assert url("referral_message", referral.pk) not in content


def test_referral_page_in_arabic_is_right_to_left(client_as, referral_officer, referral):
    referral_officer.preferred_language = "ar"
    referral_officer.save(update_fields=["preferred_language"])
    response = client_as(referral_officer).get(url("referral_detail", referral.pk))
    assert response.status_code == 200
    assert 'lang="ar" dir="rtl"' in page(response)


# --- The inbox ------------------------------------------------------------------------


def test_inbox_incoming_with_counts_and_filters(
    client_as, caseworker, referral_officer, case, consent, partner_agency, referral
):
    late = make_referral(caseworker, case, partner_agency, purpose="Housing")
    # Time passes: the respond-by date is now behind us.
    late.respond_by = timezone.now().date() - timedelta(days=2)
    late.save(update_fields=["respond_by"])
    accepted = make_referral(caseworker, case, partner_agency, purpose="Work")
    services.accept_referral(actor=referral_officer, referral_id=accepted.pk)
    browser = client_as(referral_officer)
    response = browser.get(url("inbox"))
    assert response.status_code == 200
    content = page(response)
    assert 'href="?direction=incoming" aria-current="page"' in content
    assert re.search(r'data-count="new"><strong>2</strong>', content)
    assert re.search(r'data-count="accepted"><strong>1</strong>', content)
    assert re.search(r'data-count="overdue"[^>]*><strong>1</strong>', content)
    for item in (referral, late, accepted):
        assert item.reference in content
    assert "Amal Refugee Support" in content
    assert case.number not in content
    content = page(browser.get(url("inbox"), {"direction": "incoming", "overdue": "on"}))
    assert late.reference in content and referral.reference not in content
    content = page(browser.get(url("inbox"), {"direction": "incoming", "state": "accepted"}))
    assert accepted.reference in content and late.reference not in content


def test_inbox_outgoing_for_the_sender(client_as, caseworker, referral, case):
    content = page(client_as(caseworker).get(url("inbox")))
    assert 'href="?direction=outgoing" aria-current="page"' in content
    assert referral.reference in content
    assert case.number in content
    assert "Casa Comune" in content
    # No personal data in the links of the page.
    for href in re.findall(r'href="([^"]+)"', content):
        assert "Mohammed" not in href and "محمد" not in href


def test_inbox_of_the_outsider_is_empty(client_as, outsider, referral):
    for direction in ("incoming", "outgoing"):
        content = page(client_as(outsider).get(url("inbox"), {"direction": direction}))
        assert referral.reference not in content


def test_inbox_query_count_does_not_grow_with_rows(
    client_as, caseworker, referral_officer, case, consent, partner_agency
):
    make_referral(caseworker, case, partner_agency)
    browser = client_as(referral_officer)
    browser.get(url("inbox"))
    with CaptureQueriesContext(connection) as one:
        response = browser.get(url("inbox"))
    assert page(response).count('scope="row"') == 1
    for _ in range(9):
        make_referral(caseworker, case, partner_agency)
    with CaptureQueriesContext(connection) as ten:
        response = browser.get(url("inbox"))
    assert page(response).count('scope="row"') == 10
    assert len(ten) == len(one)


def test_inbox_pages(
    client_as, caseworker, referral_officer, case, consent, partner_agency, monkeypatch
):
    monkeypatch.setattr("config.http.pages.PAGE_SIZE", 2)
    made = [make_referral(caseworker, case, partner_agency) for _ in range(3)]
    browser = client_as(referral_officer)
    content = page(browser.get(url("inbox")))
    # Same urgency and respond-by date: the one sent first comes first.
    assert made[0].reference in content and made[2].reference not in content
    cursor = re.search(r'after=([^"&]+)" rel="next"', content).group(1)
    content = page(browser.get(url("inbox"), {"direction": "incoming", "after": cursor}))
    assert made[2].reference in content and made[0].reference not in content


# --- The case page, navigation and notifications --------------------------------------


def test_case_page_lists_referrals_and_offers_to_refer(client_as, caseworker, referral, case):
    content = page(client_as(caseworker).get(reverse("casework:case_detail", args=[case.pk])))
    assert 'id="referrals"' in content
    assert referral.reference in content
    assert 'data-state="sent"' in content
    assert url("referral_new", case.pk) in content
    assert "Refer this client" in content


def test_navigation_counts_new_referrals_and_unread_notifications(
    client_as, referral_officer, referral
):
    content = page(client_as(referral_officer).get(url("directory")))
    assert re.search(r'data-count="new-referrals">1<', content)
    assert re.search(r'data-count="unread-notifications">1<', content)
    assert url("inbox") in content and NOTIFICATIONS in content


def test_navigation_counts_take_two_queries_and_none_for_visitors(referral_officer, referral):
    request = RequestFactory().get("/")
    request.user = referral_officer
    agency_permissions(referral_officer)  # loaded by every page already
    # Decided once per request by the second-factor middleware, before any view runs.
    assert is_pending(request) is False
    with CaptureQueriesContext(connection) as queries:
        counts = navigation_counts(request)["nav_counts"]
        assert counts["new_referrals"] == 1
        assert counts["unread_notifications"] == 1
    assert len(queries) == 2
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    with CaptureQueriesContext(connection) as queries:
        assert navigation_counts(request) == {}
    assert len(queries) == 0


def test_notifications_page_lists_own_notices_and_marks_them_read(
    client_as, caseworker, referral_officer, referral
):
    services.accept_referral(actor=referral_officer, referral_id=referral.pk)
    browser = client_as(caseworker)
    content = page(browser.get(NOTIFICATIONS))
    assert f"accepted referral <bdi>{referral.reference}</bdi>" in content
    [notice] = Notification.objects.filter(recipient=caseworker)
    assert f'href="{open_url(notice)}"' in content
    assert browser.get(open_url(notice))["Location"] == url("referral_detail", referral.pk)
    assert f"New referral <bdi>{referral.reference}" not in content  # the officer's, not hers
    assert "Mark all as read" in content
    response = browser.post(reverse("accounts:notifications_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=caseworker, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=referral_officer, read_at__isnull=True).exists()
    assert "Mark all as read" not in page(browser.get(NOTIFICATIONS))


def test_notifications_mark_read_needs_post(client_as, caseworker):
    assert client_as(caseworker).get(reverse("accounts:notifications_read")).status_code == 405


# --- Notices about a referral the reader no longer sees (issue 9, defect 8) -------------

UNAVAILABLE = "This referral is no longer available to your agency."
NOTIFICATIONS = reverse("accounts:notifications")


def open_url(notice) -> str:
    return reverse("accounts:notice_open", args=[notice.pk])


def notice_items(content: str) -> list[str]:
    return re.findall(r'<li class="notification[^"]*"[^>]*>(.*?)</li>', content, re.S)


def test_a_notice_links_to_the_referral_while_the_partner_sees_it(
    client_as, referral_officer, referral
):
    browser = client_as(referral_officer)
    [item] = notice_items(page(browser.get(NOTIFICATIONS)))
    assert (
        f"New referral <bdi>{referral.reference}</bdi> from <bdi>Amal Refugee Support</bdi> "
        "to <bdi>Casa Comune</bdi>" in item
    )
    [notice] = Notification.objects.filter(recipient=referral_officer)
    assert f'href="{open_url(notice)}"' in item
    assert UNAVAILABLE not in item
    assert browser.get(open_url(notice))["Location"] == url("referral_detail", referral.pk)
    assert browser.get(url("referral_detail", referral.pk)).status_code == 200


def test_after_a_decline_the_partners_notice_stays_readable_without_a_dead_link(
    client_as, caseworker, referral_officer, referral
):
    services.decline_referral(
        actor=referral_officer, referral_id=referral.pk, reason="No capacity this month"
    )
    browser = client_as(referral_officer)
    assert browser.get(url("referral_detail", referral.pk)).status_code == 404
    [item] = notice_items(page(browser.get(NOTIFICATIONS)))
    assert f"New referral <bdi>{referral.reference}</bdi>" in item
    [notice] = Notification.objects.filter(recipient=referral_officer)
    assert f'href="{open_url(notice)}"' not in item.split("data-unavailable")[0]
    assert UNAVAILABLE in item
    # The sender still sees the referral: her notice of the decline links to it.
    [item] = notice_items(page(client_as(caseworker).get(NOTIFICATIONS)))
    assert f"<bdi>Casa Comune</bdi> declined referral <bdi>{referral.reference}</bdi>" in item
    [notice] = Notification.objects.filter(recipient=caseworker)
    assert f'href="{open_url(notice)}"' in item
    assert UNAVAILABLE not in item


def test_after_expiry_every_notice_of_the_partner_says_the_referral_is_gone(
    client_as, referral_officer, referral, settings
):
    after_grace = referral.respond_by + timedelta(days=settings.REFERRAL_EXPIRY_GRACE_DAYS + 1)
    assert services.expire_overdue_referrals(on=after_grace) == 1
    items = notice_items(page(client_as(referral_officer).get(NOTIFICATIONS)))
    assert len(items) == 2  # "new referral" and "expired"
    assert f"Referral <bdi>{referral.reference}</bdi> from" in items[0]
    assert "expired: it was not answered by" in items[0]
    for item in items:
        # Readable, with no link to a 404: its only link marks it read.
        [link] = re.findall(r"<a [^>]*>", item)
        assert "data-mark-read" in link
        assert UNAVAILABLE in item


def test_notice_availability_is_one_query_for_the_page(
    client_as, caseworker, case, consent, referral_officer, partner_agency, service
):
    browser = client_as(referral_officer)
    make_referral(caseworker, case, partner_agency, service_id=service.pk)
    browser.get(NOTIFICATIONS)  # warm up what every page loads once

    def queries_of_the_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(NOTIFICATIONS).status_code == 200
        return len(queries)

    one = queries_of_the_page()
    for _ in range(4):
        declined = make_referral(caseworker, case, partner_agency, service_id=service.pk)
        services.decline_referral(actor=referral_officer, referral_id=declined.pk, reason="Full")
    content = page(browser.get(NOTIFICATIONS))
    assert content.count(UNAVAILABLE) == 4
    assert queries_of_the_page() == one


def test_the_withdrawal_mail_to_the_partner_has_no_dead_link(
    caseworker, referral_officer, referral, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_referral(actor=caseworker, referral_id=referral.pk, reason="Moved")
    [mail] = [mail for mail in mailoutbox if mail.to == [referral_officer.email]]
    assert f"Amal Refugee Support withdrew referral {referral.reference}" in mail.body
    assert UNAVAILABLE in mail.body
    assert str(referral.pk) not in mail.body


def test_the_notice_mails_ask_which_referrals_are_visible_once_per_recipient(
    caseworker, case, consent, referral_officer, partner_agency, service, mailoutbox
):
    from accounts.tasks import email_notifications

    for _ in range(3):
        declined = make_referral(caseworker, case, partner_agency, service_id=service.pk)
        services.decline_referral(actor=referral_officer, referral_id=declined.pk, reason="Full")
    notices = Notification.objects.filter(emailed_at__isnull=True)
    recipients = {notice.recipient_id for notice in notices}
    assert len(recipients) == 2 and notices.count() > len(recipients)
    referral_table = f'FROM "{Referral._meta.db_table}"'
    with CaptureQueriesContext(connection) as queries:
        assert email_notifications([str(pk) for pk in notices.values_list("pk", flat=True)]) == (
            notices.count()
        )
    scope_queries = [q["sql"] for q in queries.captured_queries if referral_table in q["sql"]]
    assert len(scope_queries) == len(recipients)
    partner_mails = [mail for mail in mailoutbox if mail.to == [referral_officer.email]]
    assert len(partner_mails) == 3
    assert all(UNAVAILABLE in mail.body for mail in partner_mails)
