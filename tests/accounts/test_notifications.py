"""Notices are stored as message ids with parameters and rendered in the
reader's language when read; opening one marks it read; the API lists them
and marks them read; none ever names a client (issue 11)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Notification
from accounts.notices import notice_date, notice_label, render_notice, render_notice_html
from accounts.permissions import Role
from accounts.services import issue_api_token, notify_users
from casework import services as casework_services
from referrals import services as referral_services
from referrals.models import Referral
from tests.factories import make_case, make_client, make_consent, make_member, make_referral
from tests.helpers import assert_problem, page

pytestmark = pytest.mark.django_db

NOTIFICATIONS = reverse("accounts:notifications")
API = "/api/v1/notifications/"
ASSIGNED = "Case %(number)s of %(agency)s was assigned to you."


def open_url(notice) -> str:
    return reverse("accounts:notice_open", args=[notice.pk])


def set_language(user, language: str):
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    return user


def assigned_notice(supervisor, case, assignee) -> Notification:
    casework_services.assign_case(actor=supervisor, case_id=case.pk, assignee=assignee)
    return Notification.objects.get(recipient=assignee, kind="case.assigned")


# --- Stored as ids, rendered in the reader's language ------------------------------------


def test_a_notice_is_stored_as_its_msgid_and_values_not_as_text(
    supervisor, second_caseworker, case, agency
):
    set_language(second_caseworker, "ar")
    notice = assigned_notice(supervisor, case, second_caseworker)
    assert notice.text == ASSIGNED
    assert notice.values == {"number": case.number, "agency": agency.name}
    assert notice.message == ""


def test_written_for_an_arabic_reader_it_reads_in_the_language_active_when_read(
    supervisor, second_caseworker, case, agency, client_as
):
    set_language(second_caseworker, "ar")
    notice = assigned_notice(supervisor, case, second_caseworker)
    with translation.override("en"):
        english = render_notice(notice)
    with translation.override("ar"):
        arabic = render_notice(notice)
    with translation.override("fr"):
        french = render_notice(notice)
    assert english == f"Case {case.number} of {agency.name} was assigned to you."
    assert arabic == f"أُسند إليك الملف {case.number} لدى {agency.name}."
    assert french == f"Le dossier {case.number} de {agency.name} vous a été attribué."

    # The page speaks the reader's current language: switched to English, English.
    set_language(second_caseworker, "en")
    content = page(client_as(second_caseworker).get(NOTIFICATIONS))
    assert f"Case <bdi>{case.number}</bdi> of <bdi>{agency.name}</bdi> was assigned" in content
    assert "أُسند إليك" not in content


def test_labels_and_dates_among_the_values_are_rendered_in_the_reader_language(caseworker):
    [notice] = notify_users(
        [caseworker],
        kind="test.values",
        text="%(urgency)s until %(day)s",
        values={
            "urgency": notice_label(Referral.Urgency.URGENT.label),
            "day": notice_date(timezone.datetime(2027, 3, 9).date()),
        },
        email=False,
    )
    assert notice.values == {"urgency": {"msgid": "Urgent"}, "day": {"date": "2027-03-09"}}
    with translation.override("en"):
        assert render_notice(notice) == "Urgent until March 9, 2027"
    with translation.override("ar"):
        assert render_notice(notice).startswith("عاجلة until ")
        assert "2027" in render_notice(notice)


def test_values_that_are_not_json_or_do_not_fit_the_text_are_refused_at_the_write(caseworker):
    with pytest.raises(TypeError):
        notify_users([caseworker], kind="x", text="%(when)s", values={"when": timezone.now()})
    with pytest.raises(KeyError):
        notify_users([caseworker], kind="x", text="%(number)s", values={"agency": "A"})
    assert not Notification.objects.exists()


def test_a_notice_written_before_there_were_ids_shows_its_stored_message(caseworker, client_as):
    old = Notification.objects.create(
        recipient=caseworker, kind="referral.accepted", message="Referral R-1 was accepted <b>."
    )
    with translation.override("ar"):
        assert render_notice(old) == "Referral R-1 was accepted <b>."
    assert render_notice_html(old) == "Referral R-1 was accepted &lt;b&gt;."
    assert "Referral R-1 was accepted &lt;b&gt;." in page(client_as(caseworker).get(NOTIFICATIONS))


def test_a_value_is_escaped_on_the_page(caseworker):
    [notice] = notify_users(
        [caseworker],
        kind="case.assigned",
        text=ASSIGNED,
        values={"number": "A-1", "agency": "<script>x</script>"},
        email=False,
    )
    html = render_notice_html(notice)
    assert "<script>" not in html
    assert "<bdi>&lt;script&gt;x&lt;/script&gt;</bdi>" in html


# --- Opening a notice marks it read ------------------------------------------------------


def test_opening_a_notice_marks_it_read_and_goes_where_it_leads(
    supervisor, second_caseworker, case, client_as
):
    notice = assigned_notice(supervisor, case, second_caseworker)
    browser = client_as(second_caseworker)
    assert f'href="{open_url(notice)}"' in page(browser.get(NOTIFICATIONS))
    response = browser.get(open_url(notice))
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:case_detail", args=[case.pk])
    notice.refresh_from_db()
    first_read = notice.read_at
    assert first_read is not None
    # Opened again: still read, at the first time.
    browser.get(open_url(notice))
    notice.refresh_from_db()
    assert notice.read_at == first_read


def test_another_users_notice_cannot_be_opened(supervisor, second_caseworker, case, client_as):
    notice = assigned_notice(supervisor, case, second_caseworker)
    response = client_as(supervisor).get(open_url(notice))
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_opening_needs_a_login(supervisor, second_caseworker, case, client):
    notice = assigned_notice(supervisor, case, second_caseworker)
    response = client.get(open_url(notice))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    notice.refresh_from_db()
    assert notice.read_at is None


def test_a_notice_about_something_gone_opens_the_list_with_the_note(
    supervisor, caseworker, second_caseworker, restricted_case, client_as
):
    casework_services.assign_case(
        actor=supervisor, case_id=restricted_case.pk, assignee=second_caseworker
    )
    taken = Notification.objects.get(recipient=caseworker, kind="case.unassigned")
    browser = client_as(caseworker)
    response = browser.get(open_url(taken), follow=True)
    assert response.redirect_chain == [(NOTIFICATIONS, 302)]
    assert "This case is no longer available to you." in page(response)
    taken.refresh_from_db()
    assert taken.read_at is not None


def test_a_notice_never_leads_outside_sanad(caseworker, client_as):
    [notice] = notify_users(
        [caseworker],
        kind="test.outside",
        text=ASSIGNED,
        values={"number": "A-1", "agency": "A"},
        url="//evil.example/",
        email=False,
    )
    browser = client_as(caseworker)
    content = page(browser.get(NOTIFICATIONS))
    assert "evil.example" not in content
    assert browser.get(open_url(notice))["Location"] == NOTIFICATIONS


def test_mark_all_read_marks_only_ones_own(
    supervisor, caseworker, second_caseworker, case, client_as
):
    casework_services.assign_case(actor=supervisor, case_id=case.pk, assignee=second_caseworker)
    response = client_as(second_caseworker).post(reverse("accounts:notifications_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=second_caseworker, read_at=None).exists()
    assert Notification.objects.filter(recipient=caseworker, read_at=None).exists()


# --- The API -----------------------------------------------------------------------------


@pytest.fixture
def three_notices(caseworker):
    notices = []
    for index in range(3):
        [notice] = notify_users(
            [caseworker],
            kind="case.assigned",
            text=ASSIGNED,
            values={"number": f"AMAL-2026-{index:05d}", "agency": "Amal Refugee Support"},
            url="/cases/",
            email=False,
        )
        notice.created_at = timezone.now() - timedelta(minutes=10 - index)
        notice.save(update_fields=["created_at"])
        notices.append(notice)
    return notices


def test_api_lists_ones_own_notices_newest_first_a_page_at_a_time(
    as_user, caseworker, supervisor, three_notices
):
    notify_users(
        [supervisor], kind="case.assigned", text=ASSIGNED, values={"number": "X", "agency": "Y"}
    )
    api = as_user(caseworker)
    response = api.get(API, {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [
        str(three_notices[2].pk),
        str(three_notices[1].pk),
    ]
    row = body["results"][0]
    assert row["kind"] == "case.assigned"
    assert row["text"] == "Case AMAL-2026-00002 of Amal Refugee Support was assigned to you."
    assert row["url"] == "http://testserver/cases/"
    assert row["unavailable_note"] == ""
    assert row["read_at"] is None
    rest = api.get(body["next"]).json()
    assert [row["id"] for row in rest["results"]] == [str(three_notices[0].pk)]


def test_api_filters_unread_and_refuses_other_values(as_user, caseworker, three_notices):
    api = as_user(caseworker)
    api.post(f"{API}{three_notices[0].pk}/read/")
    unread = api.get(API, {"unread": "true"}).json()["results"]
    read = api.get(API, {"unread": "false"}).json()["results"]
    assert {row["id"] for row in unread} == {str(three_notices[1].pk), str(three_notices[2].pk)}
    assert [row["id"] for row in read] == [str(three_notices[0].pk)]
    # A boolean, read as every boolean of a query string (true/false, 1/0, yes/no).
    body = assert_problem(api.get(API, {"unread": "maybe"}), 400)
    assert [error["field"] for error in body["errors"]] == ["unread"]
    assert_problem(api.get(API, {"cursor": "nonsense"}), 400)


def test_api_text_is_in_the_request_language(caseworker, api_client, three_notices):
    set_language(caseworker, "ar")
    _token, plain = issue_api_token(actor=caseworker)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    # A bearer token without Accept-Language: the caller's own language.
    [first, *_] = api_client.get(API).json()["results"]
    assert first["text"].startswith("أُسند إليك الملف")
    # With one: that language.
    [first, *_] = api_client.get(API, HTTP_ACCEPT_LANGUAGE="fr").json()["results"]
    assert first["text"].startswith("Le dossier AMAL-2026-00002 de Amal Refugee Support")


def test_api_marks_one_read_once_and_only_ones_own(as_user, caseworker, supervisor, three_notices):
    notice = three_notices[0]
    response = as_user(caseworker).post(f"{API}{notice.pk}/read/")
    assert response.status_code == 200
    first_read = response.json()["read_at"]
    assert first_read is not None
    again = as_user(caseworker).post(f"{API}{notice.pk}/read/")
    assert again.status_code == 200 and again.json()["read_at"] == first_read
    other = three_notices[1]
    assert_problem(as_user(supervisor).post(f"{API}{other.pk}/read/"), 404, "not_found")
    other.refresh_from_db()
    assert other.read_at is None
    assert as_user(caseworker).get(f"{API}{notice.pk}/read/").status_code == 405


def test_api_marks_all_read_idempotently(as_user, caseworker, supervisor, three_notices):
    [others] = notify_users(
        [supervisor], kind="case.assigned", text=ASSIGNED, values={"number": "X", "agency": "Y"}
    )
    api = as_user(caseworker)
    assert api.post(f"{API}read-all/").json() == {"marked_read": 3}
    assert api.post(f"{API}read-all/").json() == {"marked_read": 0}
    others.refresh_from_db()
    assert others.read_at is None


def test_api_needs_authentication(api_client):
    assert_problem(api_client.get(API), 401)
    assert_problem(api_client.post(f"{API}read-all/"), 401)


def test_api_says_when_a_notice_leads_nowhere_any_more(
    as_user, supervisor, caseworker, second_caseworker, restricted_case
):
    casework_services.assign_case(
        actor=supervisor, case_id=restricted_case.pk, assignee=second_caseworker
    )
    [row] = as_user(caseworker).get(API).json()["results"]
    assert row["kind"] == "case.unassigned"
    assert row["url"] == ""
    assert row["unavailable_note"] == "This case is no longer available to you."


def test_the_schema_documents_the_notification_operations(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "get" in paths["/api/v1/notifications/"]
    assert "post" in paths["/api/v1/notifications/{notice_id}/read/"]
    assert "post" in paths["/api/v1/notifications/read-all/"]
    assert "404" in paths["/api/v1/notifications/{notice_id}/read/"]["post"]["responses"]


# --- E-mail: the recipient's language ----------------------------------------------------


def test_the_mail_is_in_the_recipients_language_and_links_to_the_notice(
    supervisor, second_caseworker, case, agency, django_capture_on_commit_callbacks, mailoutbox
):
    set_language(second_caseworker, "ar")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        casework_services.assign_case(actor=supervisor, case_id=case.pk, assignee=second_caseworker)
    notice = Notification.objects.get(recipient=second_caseworker)
    [mail] = [mail for mail in mailoutbox if mail.to == [second_caseworker.email]]
    # The Latin case number and agency name between Unicode isolates: in the
    # Arabic line they keep their own order (FSI … PDI).
    assert f"أُسند إليك الملف \u2068{case.number}\u2069 لدى \u2068{agency.name}\u2069." in mail.body
    assert mail.subject.startswith("Sanad: أُسند إليك")
    assert mail.body.rstrip().endswith(open_url(notice))
    assert case.client.name not in mail.body


def test_the_mail_in_farsi_and_ukrainian_and_in_the_recipients_calendar(
    supervisor, second_caseworker, case, agency, django_capture_on_commit_callbacks, mailoutbox
):
    from accounts.services import set_date_display

    set_language(second_caseworker, "fa")
    set_date_display(actor=second_caseworker, calendar="solar_hijri", digits="persian")
    set_language(supervisor, "uk")
    overdue_text = (
        "A follow-up on case %(number)s of %(agency)s is overdue: it was due on %(due_on)s."
    )
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notify_users(
            [second_caseworker, supervisor],
            kind="test.due",
            text=overdue_text,
            values={
                "number": case.number,
                "agency": agency.name,
                "due_on": notice_date(timezone.datetime(2027, 3, 9).date()),
            },
        )
    mails = {mail.to[0]: mail for mail in mailoutbox}
    farsi, ukrainian = mails[second_caseworker.email], mails[supervisor.email]
    with translation.override("fa"):
        expected = translation.gettext(overdue_text)
    assert expected != overdue_text
    # 2027-03-09 is 18 Esfand 1405; the Latin values isolated inside the Farsi line.
    assert "۱۴۰۵" in farsi.body and "2027" not in farsi.body
    assert f"\u2068{case.number}\u2069" in farsi.body
    assert farsi.body.startswith(expected.split("%", 1)[0]) and "%" in expected[5:]
    with translation.override("uk"):
        expected = translation.gettext(overdue_text)
    assert ukrainian.body.startswith(expected.split("%", 1)[0]) and "%" in expected[5:]
    assert "2027" in ukrainian.body and "\u2068" not in ukrainian.body


# --- Never the client --------------------------------------------------------------------

CLIENT_NAME = "Zenobia Qutaybah-Marwani"
CLIENT_NAME_NATIVE = "زنوبيا قتيبة"


@pytest.fixture
def world(
    agency, partner_agency, other_agency, caseworker, supervisor, second_caseworker, dpo,
    referral_officer, partner_caseworker, foreign_supervisor, django_capture_on_commit_callbacks,
):  # fmt: skip
    """Every kind of notice Sanad writes, written by the real services about
    a client whose names are in the text of everything that could leak them
    (and e-mailed, as after each commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        return _every_kind_of_notice(
            agency, partner_agency, other_agency, caseworker, supervisor, second_caseworker,
            dpo, referral_officer, partner_caseworker, foreign_supervisor,
        )  # fmt: skip


def _every_kind_of_notice(
    agency, partner_agency, other_agency, caseworker, supervisor, second_caseworker, dpo,
    referral_officer, partner_caseworker, foreign_supervisor,
):  # fmt: skip
    from privacy import services as privacy_services
    from tests.factories import agree_emergency_access, make_service

    client = make_client(
        caseworker, name=CLIENT_NAME_NATIVE, name_latin=CLIENT_NAME, preferred_name="Zenobia"
    )
    case = make_case(caseworker, client, summary=f"{CLIENT_NAME} needs housing.")
    consent = make_consent(
        caseworker,
        client,
        recipient_agencies=[partner_agency],
        data_categories=["identity", "contact", "legal_status"],
    )
    make_service(partner_agency)
    about = {"purpose": f"Housing for {CLIENT_NAME}", "message": f"{CLIENT_NAME} is waiting."}

    def referral(**data):
        return make_referral(caseworker, case, partner_agency, **{**about, **data})

    # sent, accepted, progress, message both ways, case opened, completed
    done = referral(urgency="urgent")
    referral_services.accept_referral(actor=referral_officer, referral_id=done.pk)
    referral_services.report_referral_progress(
        actor=referral_officer, referral_id=done.pk, note=f"Met {CLIENT_NAME}"
    )
    referral_services.post_referral_message(
        actor=referral_officer, referral_id=done.pk, body=f"{CLIENT_NAME} called"
    )
    referral_services.post_referral_message(
        actor=caseworker, referral_id=done.pk, body=f"Thanks about {CLIENT_NAME}"
    )
    referral_services.open_case_from_referral(
        actor=referral_officer, referral_id=done.pk, assigned_to=partner_caseworker
    )
    referral_services.complete_referral(
        actor=referral_officer, referral_id=done.pk, outcome=f"{CLIENT_NAME} housed"
    )
    # declined with a reason naming the client
    declined = referral()
    referral_services.decline_referral(
        actor=referral_officer, referral_id=declined.pk, reason=f"{CLIENT_NAME} is not eligible"
    )
    # withdrawn after the partner opened its case
    withdrawn = referral()
    referral_services.accept_referral(actor=referral_officer, referral_id=withdrawn.pk)
    referral_services.open_case_from_referral(
        actor=referral_officer, referral_id=withdrawn.pk, assigned_to=partner_caseworker
    )
    referral_services.withdraw_referral(
        actor=caseworker, referral_id=withdrawn.pk, reason=f"{CLIENT_NAME} moved"
    )
    # expired
    expired = referral()
    referral_services.expire_overdue_referrals(on=expired.respond_by + timedelta(days=30))
    # sent without consent (a supervisor's override)
    make_referral(
        supervisor,
        case,
        partner_agency,
        data_categories=["health"],
        override_reason=f"{CLIENT_NAME} is in danger",
        **about,
    )
    assert Referral.objects.filter(override_by__isnull=False).exists()
    # cancelled (open) and access revoked (completed) by the consent's withdrawal
    referral()
    casework_services.withdraw_consent(
        actor=caseworker, consent_id=consent.pk, reason=f"{CLIENT_NAME} changed her mind"
    )
    # assigned and unassigned
    casework_services.assign_case(actor=supervisor, case_id=case.pk, assignee=second_caseworker)
    # follow-ups due tomorrow and overdue
    tomorrow = timezone.now().date() + timedelta(days=1)
    casework_services.schedule_follow_up(
        actor=second_caseworker, case_id=case.pk, title=f"Call {CLIENT_NAME}", due_on=tomorrow
    )
    casework_services.notify_follow_ups_due(now=timezone.now())
    casework_services.notify_follow_ups_due(now=timezone.now() + timedelta(days=3))
    # an emergency access by another agency's supervisor
    agree_emergency_access(agency, other_agency)
    privacy_services.break_glass(
        actor=foreign_supervisor, case_id=case.pk, reason=f"{CLIENT_NAME} at risk"
    )
    # the client's erasure, told to the agencies that received her data
    privacy_services.erase_client(actor=dpo, client_id=client.pk, reason="She asked")
    return case


EVERY_KIND = {
    "referral.sent",
    "referral.consent_override",
    "referral.accepted",
    "referral.declined",
    "referral.progress",
    "referral.completed",
    "referral.case_opened",
    "referral.withdrawn",
    "referral.expired",
    "referral.cancelled",
    "referral.access_revoked",
    "referral.message",
    "referral.erased",
    "case.assigned",
    "case.unassigned",
    "followup.due_tomorrow",
    "followup.overdue",
    "break_glass",
}


def test_no_notice_of_any_kind_names_the_client(world, mailoutbox):
    notices = list(Notification.objects.all())
    assert {notice.kind for notice in notices} >= EVERY_KIND
    names = [CLIENT_NAME, CLIENT_NAME_NATIVE, "Zenobia", "Qutaybah", "زنوبيا"]
    assert len(mailoutbox) > 10
    for notice in notices:
        assert notice.text, notice.kind  # stored as an id, not as text
        stored = f"{notice.text} {notice.values} {notice.url} {notice.key}"
        for language in ("en", "fr", "ar"):
            with translation.override(language):
                shown = f"{render_notice(notice)} {render_notice_html(notice)} {stored}"
            for name in names:
                assert name not in shown, (notice.kind, language, shown)
    for mail in mailoutbox:
        for name in names:
            assert name not in mail.subject + mail.body


def test_every_referral_notice_says_what_happened_and_names_reference_and_agencies(world):
    with translation.override("en"):
        for notice in Notification.objects.filter(kind__startswith="referral."):
            text = render_notice(notice)
            if notice.kind == "referral.erased":
                continue  # names the sending agency to its recipients
            assert re.search(r"R-[0-9A-F]{8}", text), text
            assert "Amal Refugee Support" in text and "Casa Comune" in text, text
    sender_side = Notification.objects.filter(
        kind="referral.accepted", recipient__memberships__agency__slug="amal"
    ).first()
    with translation.override("en"):
        assert f"(case {world.number} of Amal Refugee Support)" in render_notice(sender_side)
    # The partner never learns the sender's case number.
    for notice in Notification.objects.filter(recipient__memberships__agency__slug="casa"):
        with translation.override("en"):
            assert world.number not in render_notice(notice), notice.kind


def test_the_partner_is_told_of_a_new_referral_with_its_urgency_and_date(
    caseworker, case, consent, partner_agency, referral_officer
):
    referral = make_referral(caseworker, case, partner_agency, urgency="urgent")
    notice = Notification.objects.get(recipient=referral_officer, kind="referral.sent")
    with translation.override("en"):
        text = render_notice(notice)
    assert text.startswith(
        f"New referral {referral.reference} from Amal Refugee Support to Casa Comune (Urgent); "
        "answer by "
    )
    assert str(referral.respond_by.year) in text
    with translation.override("ar"):
        assert "عاجلة" in render_notice(notice)


def test_a_supervisor_of_the_partner_is_told_when_it_has_no_referral_officer(
    caseworker, case, consent, other_agency
):
    boss = make_member(other_agency, Role.SUPERVISOR)
    make_consent(caseworker, case.client, recipient_agencies=[other_agency])
    make_referral(caseworker, case, other_agency)
    assert Notification.objects.filter(recipient=boss, kind="referral.sent").exists()
