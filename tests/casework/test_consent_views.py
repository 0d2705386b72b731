"""The consent pages and the do-not-disclose section of the case page, tried as
the allowed persona, a persona who may see the client but not act on its
consents (403), and the outsider who may not see it at all (404)."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.permissions import Perm
from casework import services
from casework.models import Consent, DoNotDisclose
from tests.factories import PDF, make_client, make_consent
from tests.helpers import field_errors, page

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"casework:{name}", args=args)


def group(content: str, status: str) -> str:
    """The section of the consent list holding one status group."""
    match = re.search(rf'<section [^>]*id="consents-{status}".*?</section>', content, re.S)
    assert match, status
    return match.group(0)


def consent_form_data(**overrides):
    data = {
        "purpose": "referral",
        "lawful_basis": "consent",
        "data_categories": ["identity", "contact"],
        "special_category_condition": "",
        "recipient_agencies": [],
        "recipient_service_categories": ["housing"],
        "given_by": "client",
        "given_by_name": "",
        "method": "verbal",
        "evidence": "",
        "notice_version": "2026-01",
        "explanation_language": "ar",
        "explanation_language_other": "",
        "interpreter_used": "on",
        "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "expires_on": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def onlooker(outsider, client_record):
    """The outsider, granted sight of the client alone: no consent permission."""
    assign_perm(Perm.VIEW_CLIENT, outsider, client_record)
    return outsider


@pytest.fixture
def plain_consent(caseworker, client_record, partner_agency):
    """Only ``make_consent``'s default categories (identity and contact), which a
    test reads back unchanged."""
    return make_consent(caseworker, client_record, recipient_agencies=[partner_agency])


def expired_consent(actor, client):
    now = timezone.now()
    return make_consent(
        actor,
        client,
        purpose="contact",
        given_at=now - timedelta(days=30),
        expires_at=now - timedelta(days=1),
        recipient_agencies=[],
    )


# --- The list --------------------------------------------------------------------------


def test_list_groups_active_expired_and_withdrawn(
    client_as, caseworker, client_record, partner_agency, consent
):
    expired = expired_consent(caseworker, client_record)
    withdrawn = make_consent(
        caseworker, client_record, purpose="statistics", lawful_basis="consent"
    )
    services.withdraw_consent(actor=caseworker, consent_id=withdrawn.pk, reason="Changed her mind")

    response = client_as(caseworker).get(url("client_consents", client_record.pk))
    assert response.status_code == 200
    content = page(response)
    active, past, taken_back = (group(content, s) for s in ("active", "expired", "withdrawn"))
    assert url("consent_detail", consent.pk) in active
    assert url("consent_detail", expired.pk) in past
    assert url("consent_detail", withdrawn.pk) in taken_back
    assert url("consent_detail", expired.pk) not in active
    assert url("consent_detail", withdrawn.pk) not in active
    assert 'id="consents-not_yet_valid"' not in content
    # What each consent says, in readable words.
    assert "Referral and sharing with other agencies" in active
    assert "Identity, Contact details" in active
    assert partner_agency.name in active
    assert "Housing and shelter" not in active  # not chosen for this one
    assert "Arabic" in active
    assert "version <bdi>2026-01</bdi>" in active
    assert "Changed her mind" in taken_back
    assert caseworker.display_name in taken_back
    # Withdraw only what is active; withdraw-all offered.
    assert url("consent_withdraw", consent.pk) in active
    assert url("consent_withdraw", expired.pk) not in content
    assert url("consent_withdraw", withdrawn.pk) not in content
    assert url("consent_withdraw_all", client_record.pk) in content
    assert url("consent_record", client_record.pk) in content


def test_list_shows_a_consent_not_yet_valid_in_its_own_group(client_as, caseworker, client_record):
    soon = make_consent(
        caseworker,
        client_record,
        purpose="contact",
        recipient_agencies=[],
        given_at=timezone.now() + timedelta(minutes=3),  # a clock a little ahead
    )
    content = page(client_as(caseworker).get(url("client_consents", client_record.pk)))
    assert url("consent_detail", soon.pk) in group(content, "not_yet_valid")
    assert url("consent_detail", soon.pk) not in group(content, "active")
    assert url("consent_withdraw", soon.pk) in content


def test_list_query_count_does_not_grow_with_consents(
    client_as, caseworker, client_record, partner_agency
):
    make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    browser = client_as(caseworker)
    target = url("client_consents", client_record.pk)
    with CaptureQueriesContext(connection) as one:
        assert browser.get(target).status_code == 200
    for purpose in ("case_management", "statistics", "contact", "referral"):
        make_consent(
            caseworker, client_record, purpose=purpose, recipient_agencies=[partner_agency]
        )
    with CaptureQueriesContext(connection) as five:
        content = page(browser.get(target))
    assert content.count('<article class="consent"') == 5
    assert len(five) == len(one)


def test_list_shows_a_written_consent_with_a_link_to_its_signed_form(
    client_as, caseworker, client_record, case
):
    form = services.upload_document(
        actor=caseworker,
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf"),
        category="consent",
    )
    make_consent(
        caseworker,
        client_record,
        purpose="case_management",
        method="written",
        evidence_id=form.pk,
        recipient_agencies=[],
    )
    content = page(client_as(caseworker).get(url("client_consents", client_record.pk)))
    assert url("document_download", case.pk, form.pk) in group(content, "active")


def test_list_is_forbidden_without_view_consent(client_as, onlooker, client_record, consent):
    browser = client_as(onlooker)
    assert browser.get(url("client_detail", client_record.pk)).status_code == 200
    assert browser.get(url("client_consents", client_record.pk)).status_code == 403


@pytest.mark.parametrize("persona", ["outsider", "dpo", "referral_officer"])
def test_list_is_not_found_for_others(request, client_as, persona, client_record, consent):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(url("client_consents", client_record.pk)).status_code == 404


def test_client_page_summarises_consents_for_those_who_may_see_them(
    client_as, caseworker, onlooker, client_record, consent
):
    expired_consent(caseworker, client_record)
    content = page(client_as(caseworker).get(url("client_detail", client_record.pk)))
    assert url("client_consents", client_record.pk) in content
    assert "Covered now: Referral and sharing with other agencies" in content
    assert re.search(r"badge-consent-expired\">Expired</span> 1<", content)
    assert url("consent_record", client_record.pk) in content

    hidden = page(client_as(onlooker).get(url("client_detail", client_record.pk)))
    assert url("client_consents", client_record.pk) not in hidden
    assert "Covered now" not in hidden


# --- Recording ---------------------------------------------------------------------------


def test_caseworker_records_a_consent(client_as, caseworker, client_record, partner_agency):
    browser = client_as(caseworker)
    form = page(browser.get(url("consent_record", client_record.pk)))
    assert 'name="purpose"' in form
    assert "Statistics (optional)" in form
    assert "no support may depend on them" in form
    assert "Health and other special-category data — special category" in form
    assert "<legend>Lawful basis</legend>" in form
    assert "disabled" not in re.search(r'<input[^>]*value="legitimate_interests"[^>]*>', form)[0]
    assert '<option value="ar" selected>' in form  # the client's language

    given_at = timezone.localtime() - timedelta(hours=2)
    response = browser.post(
        url("consent_record", client_record.pk),
        consent_form_data(
            recipient_agencies=[str(partner_agency.pk)],
            data_categories=["identity", "health"],
            special_category_condition="health_or_social_care",
            given_at=given_at.strftime("%Y-%m-%dT%H:%M"),
            expires_on="2099-01-31",
        ),
    )
    assert response.status_code == 302
    consent = Consent.objects.get(client=client_record)
    assert response.url == url("client_consents", client_record.pk) + f"#consent-{consent.pk}"
    assert consent.purpose == "referral"
    assert consent.data_categories == ["health", "identity"]
    assert consent.special_category_condition == "health_or_social_care"
    assert list(consent.recipient_agencies.all()) == [partner_agency]
    assert consent.recipient_service_categories == ["housing"]
    assert consent.interpreter_used
    assert consent.explanation_language == "ar"
    assert consent.recorded_by == caseworker
    assert abs(consent.given_at - given_at.replace(second=0, microsecond=0)) < timedelta(seconds=1)
    assert timezone.localtime(consent.expires_at).date().isoformat() == "2099-01-31"
    assert "The consent was recorded." in page(browser.get(response.url))


def test_another_language_is_typed_as_a_code(client_as, caseworker, client_record):
    response = client_as(caseworker).post(
        url("consent_record", client_record.pk),
        consent_form_data(explanation_language="other", explanation_language_other="AM"),
    )
    assert response.status_code == 302
    assert Consent.objects.get(client=client_record).explanation_language == "am"


def test_health_without_an_art_9_condition_is_refused_at_that_field(
    client_as, caseworker, client_record
):
    response = client_as(caseworker).post(
        url("consent_record", client_record.pk),
        consent_form_data(data_categories=["identity", "health"]),
    )
    assert response.status_code == 400
    content = page(response)
    assert "need an Art. 9(2) condition" in field_errors(content, "id_special_category_condition")
    assert not field_errors(content, "id_evidence")
    assert not Consent.objects.exists()


def test_written_consent_without_its_signed_form_is_refused_at_that_field(
    client_as, caseworker, client_record
):
    response = client_as(caseworker).post(
        url("consent_record", client_record.pk), consent_form_data(method="written")
    )
    assert response.status_code == 400
    content = page(response)
    assert "needs its signed form" in field_errors(content, "id_evidence")
    assert "No signed consent form is uploaded yet" in content
    assert url("client_detail", client_record.pk) + "#cases" in content
    assert not Consent.objects.exists()


def test_written_consent_points_to_a_signed_form_of_the_client(
    client_as, caseworker, client_record, case
):
    signed = services.upload_document(
        actor=caseworker,
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf"),
        category="consent",
        description="Signed 3 March",
    )
    browser = client_as(caseworker)
    form = page(browser.get(url("consent_record", client_record.pk)))
    assert f'<option value="{signed.pk}">{case.number} · Signed 3 March' in form
    response = browser.post(
        url("consent_record", client_record.pk),
        consent_form_data(method="written", evidence=str(signed.pk)),
    )
    assert response.status_code == 302
    assert Consent.objects.get(client=client_record).evidence == signed


def test_legitimate_interests_is_refused_for_a_public_authority(client_as, outsider):
    # The outsider's own agency is a public authority: its own client.
    client = make_client(outsider)
    browser = client_as(outsider)
    form = page(browser.get(url("consent_record", client.pk)))
    option = re.search(r'<input[^>]*value="legitimate_interests"[^>]*>', form)[0]
    assert "disabled" in option
    assert "is a public authority" in form
    response = browser.post(
        url("consent_record", client.pk),
        consent_form_data(
            purpose="case_management",
            lawful_basis="legitimate_interests",
            recipient_service_categories=[],
        ),
    )
    assert response.status_code == 400
    assert "may not rely on legitimate interests" in field_errors(page(response), "id_lawful_basis")
    assert not Consent.objects.filter(client=client).exists()


def test_a_guardian_must_be_named(client_as, caseworker, client_record):
    response = client_as(caseworker).post(
        url("consent_record", client_record.pk), consent_form_data(given_by="guardian")
    )
    assert response.status_code == 400
    assert "Name the person" in field_errors(page(response), "id_given_by_name")
    assert not Consent.objects.exists()


def test_recording_is_forbidden_without_record_consent(client_as, onlooker, client_record):
    browser = client_as(onlooker)
    assert browser.get(url("consent_record", client_record.pk)).status_code == 403
    response = browser.post(url("consent_record", client_record.pk), consent_form_data())
    assert response.status_code == 403
    assert not Consent.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "dpo", "referral_officer"])
def test_recording_is_not_found_for_others(request, client_as, persona, client_record):
    user = request.getfixturevalue(persona)
    response = client_as(user).post(url("consent_record", client_record.pk), consent_form_data())
    assert response.status_code == 404
    assert not Consent.objects.exists()


# --- One consent, never edited ----------------------------------------------------------------


def test_consent_page_is_read_only_with_a_withdraw_form(client_as, caseworker, consent):
    response = client_as(caseworker).get(url("consent_detail", consent.pk))
    assert response.status_code == 200
    content = page(response)
    assert "Referral and sharing with other agencies" in content
    assert url("consent_withdraw", consent.pk) in content
    # The only form on the page is the withdrawal.
    assert re.findall(r'<form method="post" action="([^"]+)"', content)[-1] == url(
        "consent_withdraw", consent.pk
    )
    assert 'name="purpose"' not in content


def test_withdrawn_consent_page_offers_no_withdrawal(client_as, caseworker, consent):
    services.withdraw_consent(actor=caseworker, consent_id=consent.pk)
    content = page(client_as(caseworker).get(url("consent_detail", consent.pk)))
    assert "Withdrawn" in content
    assert url("consent_withdraw", consent.pk) not in content


def test_there_is_no_way_to_edit_or_delete_a_consent(client_as, caseworker, plain_consent):
    for name in ("consent_edit", "consent_update", "consent_delete", "consent_change"):
        with pytest.raises(NoReverseMatch):
            reverse(f"casework:{name}", args=[plain_consent.pk])
    namespace = get_resolver().namespace_dict["casework"][1]
    names = {name for name in namespace.reverse_dict if isinstance(name, str)}
    assert {name for name in names if "consent" in name} == {
        "client_consents",
        "consent_record",
        "consent_detail",
        "consent_withdraw",
        "consent_withdraw_all",
        "consent_form",
    }
    response = client_as(caseworker).post(
        url("consent_detail", plain_consent.pk),
        {"purpose": "statistics", "data_categories": ["health"], "lawful_basis": "contract"},
    )
    assert response.status_code == 405
    plain_consent.refresh_from_db()
    assert (plain_consent.purpose, plain_consent.lawful_basis) == ("referral", "consent")
    assert plain_consent.data_categories == ["contact", "identity"]
    assert plain_consent.history.count() == 1


def test_consent_page_is_forbidden_without_view_consent(client_as, onlooker, consent):
    assert client_as(onlooker).get(url("consent_detail", consent.pk)).status_code == 403


@pytest.mark.parametrize("persona", ["outsider", "dpo", "referral_officer"])
def test_consent_page_is_not_found_for_others(request, client_as, persona, consent):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(url("consent_detail", consent.pk)).status_code == 404


# --- Withdrawing ------------------------------------------------------------------------------


def test_caseworker_withdraws_a_consent(client_as, second_caseworker, client_record, consent):
    browser = client_as(second_caseworker)
    assert browser.get(url("consent_withdraw", consent.pk)).status_code == 405
    response = browser.post(url("consent_withdraw", consent.pk), {"reason": "Moved away"})
    assert response.status_code == 302
    assert response.url == url("client_consents", client_record.pk) + f"#consent-{consent.pk}"
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert consent.withdrawn_by == second_caseworker
    assert consent.withdrawal_reason == "Moved away"
    content = page(browser.get(response.url))
    assert "From now on it covers nothing." in content
    assert url("consent_detail", consent.pk) in group(content, "withdrawn")
    assert url("consent_detail", consent.pk) not in group(content, "active")


def test_withdrawing_twice_is_a_message_not_a_change(client_as, caseworker, consent):
    services.withdraw_consent(actor=caseworker, consent_id=consent.pk, reason="first")
    browser = client_as(caseworker)
    response = browser.post(url("consent_withdraw", consent.pk), {"reason": "second"})
    assert response.status_code == 302
    assert response.url == url("consent_detail", consent.pk)
    assert "already withdrawn" in page(browser.get(response.url))
    consent.refresh_from_db()
    assert consent.withdrawal_reason == "first"


def test_withdrawal_is_forbidden_without_withdraw_consent(client_as, onlooker, consent):
    response = client_as(onlooker).post(url("consent_withdraw", consent.pk), {"reason": "x"})
    assert response.status_code == 403
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


@pytest.mark.parametrize("persona", ["outsider", "dpo"])
def test_withdrawal_is_not_found_for_others(request, client_as, persona, consent):
    user = request.getfixturevalue(persona)
    assert client_as(user).post(url("consent_withdraw", consent.pk)).status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_withdraw_all_needs_the_confirmation(client_as, caseworker, client_record, consent):
    response = client_as(caseworker).post(
        url("consent_withdraw_all", client_record.pk), {"reason": "oops"}
    )
    assert response.status_code == 400
    assert "Tick the box" in field_errors(page(response), "withdraw_all_confirm")
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_withdraw_all_in_one_step(client_as, caseworker, client_record, consent):
    other = make_consent(caseworker, client_record, purpose="contact", recipient_agencies=[])
    browser = client_as(caseworker)
    response = browser.post(
        url("consent_withdraw_all", client_record.pk),
        {"confirm": "on", "reason": "Wants no more contact"},
    )
    assert response.status_code == 302
    assert response.url == url("client_consents", client_record.pk)
    for record in (consent, other):
        record.refresh_from_db()
        assert record.withdrawn_at is not None
        assert record.withdrawal_reason == "Wants no more contact"
    content = page(browser.get(response.url))
    assert "2 consents were withdrawn." in content
    assert "None." in group(content, "active")
    assert url("consent_detail", other.pk) in group(content, "withdrawn")
    assert url("consent_withdraw_all", client_record.pk) not in content


def test_withdraw_all_is_forbidden_without_withdraw_consent(
    client_as, onlooker, client_record, consent
):
    response = client_as(onlooker).post(
        url("consent_withdraw_all", client_record.pk), {"confirm": "on"}
    )
    assert response.status_code == 403
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_withdraw_all_is_not_found_for_the_outsider(client_as, outsider, client_record, consent):
    response = client_as(outsider).post(
        url("consent_withdraw_all", client_record.pk), {"confirm": "on"}
    )
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


# --- The printable consent form -----------------------------------------------------------


def test_consent_form_in_arabic_right_to_left(client_as, caseworker, client_record):
    response = client_as(caseworker).get(url("consent_form", client_record.pk), {"lang": "ar"})
    assert response.status_code == 200
    content = page(response)
    sheet = re.search(r'<article class="consent-sheet"[^>]*>', content)[0]
    assert 'lang="ar"' in sheet
    assert 'dir="rtl"' in sheet
    assert client_record.name in content
    assert "الهوية" in content  # "Identity", from the Arabic catalogue
    assert "Amal Refugee Support" in content
    # The page around the form stays in the caseworker's language.
    assert '<html lang="en" dir="ltr">' in content
    english = page(client_as(caseworker).get(url("consent_form", client_record.pk), {"lang": "en"}))
    assert 'dir="ltr"' in re.search(r'<article class="consent-sheet"[^>]*>', english)[0]
    assert "not translated into" not in english
    assert "We keep a record of your situation" in english


def test_consent_form_follows_the_client_language_then_the_user(client_as, caseworker):
    browser = client_as(caseworker)
    arabic = make_client(caseworker, name="ليلى", languages=["ar", "en"])
    farsi = make_client(caseworker, name="فرید", name_latin="Farid", languages=["fa"])
    tigrinya = make_client(caseworker, name="Selam", name_latin="", languages=["ti"])
    content = page(browser.get(url("consent_form", arabic.pk)))
    assert 'dir="rtl"' in re.search(r'<article class="consent-sheet"[^>]*>', content)[0]
    content = page(browser.get(url("consent_form", farsi.pk)))
    sheet = re.search(r'<article class="consent-sheet"[^>]*>', content)[0]
    assert 'lang="fa"' in sheet
    assert 'dir="rtl"' in sheet
    content = page(browser.get(url("consent_form", tigrinya.pk), {"lang": "xx"}))
    sheet = re.search(r'<article class="consent-sheet"[^>]*>', content)[0]
    assert 'lang="en"' in sheet
    assert 'dir="ltr"' in sheet
    assert "not available in Tigrinya" in content
    content = page(browser.get(url("consent_form", tigrinya.pk), {"lang": "fr"}))
    assert 'lang="fr"' in re.search(r'<article class="consent-sheet"[^>]*>', content)[0]


def test_consent_form_is_forbidden_without_record_consent(client_as, onlooker, client_record):
    assert client_as(onlooker).get(url("consent_form", client_record.pk)).status_code == 403


@pytest.mark.parametrize("persona", ["outsider", "dpo"])
def test_consent_form_is_not_found_for_others(request, client_as, persona, client_record):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(url("consent_form", client_record.pk)).status_code == 404


# --- Do not disclose ----------------------------------------------------------------------


def test_case_page_shows_the_do_not_disclose_list(client_as, caseworker, case, other_agency):
    services.add_do_not_disclose(
        actor=caseworker, case_id=case.pk, agency=other_agency, reason="Husband works there"
    )
    content = page(client_as(caseworker).get(url("case_detail", case.pk)))
    section = re.search(r'<section [^>]*id="do-not-disclose".*?</section>', content, re.S)[0]
    assert other_agency.name in section
    assert "Husband works there" in section
    assert url("do_not_disclose_add", case.pk) in section


def test_caseworker_adds_an_agency_and_a_person(client_as, caseworker, case, other_agency):
    browser = client_as(caseworker)
    form = page(browser.get(url("do_not_disclose_add", case.pk)))
    assert 'name="person_name"' in form
    assert "Nobody is on the list." in form
    response = browser.post(
        url("do_not_disclose_add", case.pk), {"agency": str(other_agency.pk), "reason": "Safety"}
    )
    assert response.status_code == 302
    assert response.url == url("case_detail", case.pk) + "#do-not-disclose"
    response = browser.post(url("do_not_disclose_add", case.pk), {"person_name": "أحمد"})
    assert response.status_code == 302
    entries = DoNotDisclose.objects.filter(case=case)
    assert {(e.agency, e.person_name) for e in entries} == {(other_agency, ""), (None, "أحمد")}
    content = page(browser.get(url("case_detail", case.pk)))
    assert "أحمد" in content
    assert "Added to the do-not-disclose list." in content


def test_do_not_disclose_needs_someone(client_as, caseworker, case, other_agency):
    browser = client_as(caseworker)
    response = browser.post(url("do_not_disclose_add", case.pk), {"reason": "?"})
    assert response.status_code == 400
    assert "Name an agency or a person" in field_errors(page(response), "do_not_disclose_agency")
    services.add_do_not_disclose(actor=caseworker, case_id=case.pk, agency=other_agency)
    response = browser.post(url("do_not_disclose_add", case.pk), {"agency": str(other_agency.pk)})
    assert response.status_code == 400
    assert "already on the list" in field_errors(page(response), "do_not_disclose_agency")
    assert DoNotDisclose.objects.filter(case=case).count() == 1


def test_do_not_disclose_is_forbidden_to_who_sees_the_case_only(
    client_as, outsider, case, other_agency
):
    assign_perm(Perm.VIEW_CASE, outsider, case)
    browser = client_as(outsider)
    content = page(browser.get(url("case_detail", case.pk)))
    assert 'id="do-not-disclose"' not in content
    response = browser.post(url("do_not_disclose_add", case.pk), {"agency": str(other_agency.pk)})
    assert response.status_code == 403
    assert not DoNotDisclose.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "dpo", "referral_officer"])
def test_do_not_disclose_is_not_found_for_others(request, client_as, persona, case, other_agency):
    user = request.getfixturevalue(persona)
    response = client_as(user).post(
        url("do_not_disclose_add", case.pk), {"agency": str(other_agency.pk)}
    )
    assert response.status_code == 404
    assert not DoNotDisclose.objects.exists()


def test_consent_pages_put_no_personal_data_in_links(client_as, caseworker, client_record, consent):
    for target in (
        url("client_consents", client_record.pk),
        url("consent_detail", consent.pk),
        url("consent_record", client_record.pk),
    ):
        links = re.findall(r'(?:href|action)="([^"]*)"', page(client_as(caseworker).get(target)))
        assert links
        for link in links:
            assert "Hassan" not in link
            assert "محمد" not in link


def test_every_consent_page_needs_login(client, client_record, consent, case):
    for target in (
        url("client_consents", client_record.pk),
        url("consent_record", client_record.pk),
        url("consent_detail", consent.pk),
        url("consent_form", client_record.pk),
        url("do_not_disclose_add", case.pk),
    ):
        response = client.get(target)
        assert response.status_code == 302, target
        assert response.url.startswith(reverse("accounts:login"))
