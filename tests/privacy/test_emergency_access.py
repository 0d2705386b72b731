"""Break the glass stays inside one's own agency (issue 9): another agency's
case only with that agency's prior written opt-in for the supervisor's agency;
otherwise the answer is exactly that of a case that does not exist. The
agreements: recorded and withdrawn by the owning agency's administrator,
shown on the agency's page and in the API — tried as the admin, members
without the permission (403), the partner and a stranger (404)."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.access import request_trail
from accounts.models import AccessLog, EmergencyAccessAgreement, Notification
from accounts.permissions import Perm, Role
from accounts.selectors import forget_cached_permissions
from accounts.services import (
    record_emergency_access_agreement,
    withdraw_emergency_access_agreement,
)
from casework.models import BreakGlass
from casework.selectors import get_case_for
from config.errors import Conflict, Forbidden, InvalidInput, NotFound
from privacy import services as protection
from tests.factories import AgencyFactory, agree_emergency_access, make_member

pytestmark = pytest.mark.django_db

BREAK_GLASS_PAGE = reverse("privacy:break_glass")


def agreements_url(agency) -> str:
    return f"/api/v1/agencies/{agency.slug}/emergency-access/"


def withdraw_url(agreement_id) -> str:
    return f"/api/v1/emergency-access/{agreement_id}/withdraw/"


def without_csrf(html: str) -> str:
    """The page without its CSRF tokens (masked afresh on every response)."""
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "TOKEN", html)


# --- The rule, in the service --------------------------------------------------------------


def test_without_an_agreement_another_agencys_case_is_not_found(
    foreign_supervisor, restricted_case, agency, other_agency, partner_agency
):
    def attempt(case_id):
        with pytest.raises(NotFound):
            protection.break_glass(actor=foreign_supervisor, case_id=case_id, reason="Emergency")

    attempt(restricted_case.pk)
    # An agreement with another partner, or the other way round, opens nothing.
    agree_emergency_access(agency, partner_agency)
    agree_emergency_access(other_agency, agency)
    attempt(restricted_case.pk)
    attempt(uuid.uuid4())
    assert not BreakGlass.objects.exists()
    assert not AccessLog.objects.filter(action="break_glass").exists()
    assert not Notification.objects.filter(kind="break_glass").exists()


def test_with_the_owners_agreement_the_partner_opens_the_case_read_only(
    foreign_supervisor, restricted_case, agency, other_agency, supervisor
):
    agree_emergency_access(agency, other_agency)
    access = protection.break_glass(
        actor=foreign_supervisor, case_id=restricted_case.pk, reason="Child at risk tonight"
    )
    assert access.expires_at - access.started_at == timedelta(hours=3)
    assert get_case_for(foreign_supervisor, restricted_case.pk) == restricted_case
    assert foreign_supervisor.has_perm(Perm.VIEW_NOTES, restricted_case)
    for perm in (Perm.CHANGE_CASE, Perm.ADD_NOTE, Perm.CLOSE_CASE):
        assert not foreign_supervisor.has_perm(perm, restricted_case), perm
    assert Notification.objects.filter(recipient=supervisor, kind="break_glass").exists()


def test_only_a_supervisor_of_the_partner_benefits(
    restricted_case, agency, other_agency, outsider, outsider_admin
):
    agree_emergency_access(agency, other_agency)
    for person in (outsider, outsider_admin):
        with pytest.raises(Forbidden):
            protection.break_glass(actor=person, case_id=restricted_case.pk, reason="Emergency")


def test_within_the_own_agency_a_supervisor_already_sees_every_case(supervisor, restricted_case):
    with pytest.raises(Conflict) as refused:
        protection.break_glass(actor=supervisor, case_id=restricted_case.pk, reason="Emergency")
    assert refused.value.code == "already_visible"


def test_withdrawing_ends_running_accesses_and_opens_nothing_more(
    foreign_supervisor, restricted_case, agency, other_agency, agency_admin
):
    agreement = agree_emergency_access(agency, other_agency)
    access = protection.break_glass(
        actor=foreign_supervisor, case_id=restricted_case.pk, reason="Emergency"
    )
    withdraw_emergency_access_agreement(
        actor=agency_admin, agreement_id=agreement.pk, reason="Agreement ended"
    )
    access.refresh_from_db()
    assert not access.is_active
    forget_cached_permissions(foreign_supervisor)
    with pytest.raises(NotFound):
        get_case_for(foreign_supervisor, restricted_case.pk)
    with pytest.raises(NotFound):
        protection.break_glass(actor=foreign_supervisor, case_id=restricted_case.pk, reason="Again")


def test_withdrawing_keeps_the_accesses_another_active_agreement_still_covers(
    foreign_supervisor, restricted_case, agency, other_agency, partner_agency, agency_admin
):
    """A supervisor in two partner agencies, both agreed: withdrawing one
    agreement leaves her access, which the other still covers; the partner's
    other supervisor, and a colleague who is only a caseworker in the second
    partner, lose theirs."""
    both = make_member(other_agency, Role.SUPERVISOR, display_name="Rania Two Hats")
    both = make_member(partner_agency, Role.SUPERVISOR, user=both)
    caseworker_there = make_member(other_agency, Role.SUPERVISOR, display_name="Yusuf")
    caseworker_there = make_member(partner_agency, Role.CASEWORKER, user=caseworker_there)
    first = agree_emergency_access(agency, other_agency)
    second = agree_emergency_access(agency, partner_agency)
    accesses = {
        person: protection.break_glass(actor=person, case_id=restricted_case.pk, reason="Emergency")
        for person in (both, foreign_supervisor, caseworker_there)
    }

    def active() -> set:
        return {
            person
            for person, access in accesses.items()
            if BreakGlass.objects.get(pk=access.pk).is_active
        }

    withdraw_emergency_access_agreement(
        actor=agency_admin, agreement_id=first.pk, reason="Agreement ended"
    )
    assert active() == {both}
    forget_cached_permissions(both)
    assert get_case_for(both, restricted_case.pk) == restricted_case
    withdraw_emergency_access_agreement(
        actor=agency_admin, agreement_id=second.pk, reason="Agreement ended"
    )
    assert active() == set()


# --- The agreement's own rules -------------------------------------------------------------


def test_only_the_owning_agencys_admin_records_and_withdraws(
    agency, other_agency, agency_admin, supervisor, dpo, outsider_admin
):
    for person in (supervisor, dpo, outsider_admin):
        with pytest.raises(Forbidden):
            record_emergency_access_agreement(
                actor=person, agency=agency, partner_id=other_agency.pk, reference="DSA-1"
            )
    agreement = record_emergency_access_agreement(
        actor=agency_admin, agency=agency, partner_id=other_agency.pk, reference=" DSA-1 "
    )
    assert (agreement.reference, agreement.recorded_by) == ("DSA-1", agency_admin)
    # The partner's admin may read it but not withdraw it; a stranger does not find it.
    with pytest.raises(Forbidden):
        withdraw_emergency_access_agreement(
            actor=outsider_admin, agreement_id=agreement.pk, reason="No"
        )
    stranger = make_member(AgencyFactory(slug="far", name="Far Away"), Role.AGENCY_ADMIN)
    with pytest.raises(NotFound):
        withdraw_emergency_access_agreement(actor=stranger, agreement_id=agreement.pk, reason="No")
    with pytest.raises(InvalidInput) as blank:
        withdraw_emergency_access_agreement(
            actor=agency_admin, agreement_id=agreement.pk, reason=""
        )
    assert blank.value.field == "reason"
    withdraw_emergency_access_agreement(
        actor=agency_admin, agreement_id=agreement.pk, reason="Ended"
    )
    with pytest.raises(Conflict) as twice:
        withdraw_emergency_access_agreement(
            actor=agency_admin, agreement_id=agreement.pk, reason="Ended"
        )
    assert twice.value.code == "already_withdrawn"
    history = list(
        EmergencyAccessAgreement.history.filter(id=agreement.pk).order_by("history_date")
    )
    assert [(h.history_user_id, h.history_change_reason) for h in history] == [
        (agency_admin.pk, "emergency access agreed"),
        (agency_admin.pk, "emergency access withdrawn"),
    ]
    # Withdrawn, it may be agreed again.
    again = agree_emergency_access(agency, other_agency)
    assert again.is_active


@pytest.mark.parametrize(
    ("partner", "reference", "field", "code"),
    [
        ("own", "DSA-1", "partner", "own_agency"),
        ("unknown", "DSA-1", "partner", "invalid_choice"),
        ("other", "  ", "reference", "required"),
        ("twice", "DSA-2", "partner", "already_active"),
    ],
)
def test_bad_agreements_name_the_field(
    agency, other_agency, agency_admin, partner, reference, field, code
):
    if partner == "twice":
        agree_emergency_access(agency, other_agency)
    partner_id = {"own": agency.pk, "unknown": uuid.uuid4()}.get(partner, other_agency.pk)
    with pytest.raises(InvalidInput) as refused:
        record_emergency_access_agreement(
            actor=agency_admin, agency=agency, partner_id=partner_id, reference=reference
        )
    assert (refused.value.field, refused.value.code) == (field, code)


# --- Break the glass in the API and on the page: foreign = unknown -------------------------


def test_the_api_answers_a_foreign_case_exactly_like_a_missing_one(
    as_user, foreign_supervisor, restricted_case, agency, partner_agency
):
    agree_emergency_access(agency, partner_agency)  # for someone else
    api = as_user(foreign_supervisor)
    missing = uuid.uuid4()
    for body in ({"reason": "Emergency"}, {"reason": ""}):
        foreign = api.post(f"/api/v1/cases/{restricted_case.pk}/break-glass/", body, format="json")
        unknown = api.post(f"/api/v1/cases/{missing}/break-glass/", body, format="json")
        assert foreign.status_code == unknown.status_code
        assert foreign["Content-Type"] == unknown["Content-Type"]
        assert foreign.content.decode().replace(str(restricted_case.pk), "ID") == (
            unknown.content.decode().replace(str(missing), "ID")
        )
    assert foreign.status_code == 400  # the reason is checked first, for both alike
    assert (
        api.post(
            f"/api/v1/cases/{restricted_case.pk}/break-glass/", {"reason": "E"}, format="json"
        ).status_code
        == 404
    )
    assert not BreakGlass.objects.exists()


def test_a_foreign_case_and_a_missing_id_leave_the_same_access_log_trace(
    as_user, foreign_supervisor, restricted_case
):
    api = as_user(foreign_supervisor)
    missing = uuid.uuid4()

    def trace(case_id) -> list[tuple]:
        last = AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = api.post(
            f"/api/v1/cases/{case_id}/break-glass/", {"reason": "Emergency"}, format="json"
        )
        assert response.status_code == 404
        rows = AccessLog.objects.filter(id__gt=last).order_by("id")
        return [
            (
                row.actor_id,
                row.agency_id,
                row.role,
                row.action,
                row.object_type,
                row.object_id.replace(str(case_id), "ID"),
                row.client_id,
                row.case_id,
                row.route.replace(str(case_id), "ID"),
                row.outcome,
            )
            for row in rows
        ]

    assert trace(restricted_case.pk) == trace(missing)


def test_the_refusal_reads_nothing_that_would_tell_a_foreign_case_from_a_missing_one(
    foreign_supervisor, restricted_case
):
    """Where the caller goes on after the refusal (the page shows the form
    again), what the request noted is written: nothing, for both alike."""

    def trace(case_id) -> list[tuple]:
        before = AccessLog.objects.count()
        with (
            request_trail(route="privacy:break_glass", method="POST"),
            pytest.raises(NotFound),
        ):
            protection.break_glass(actor=foreign_supervisor, case_id=case_id, reason="Emergency")
        return list(AccessLog.objects.order_by("id")[before:].values_list("action", "object_type"))

    assert trace(restricted_case.pk) == trace(uuid.uuid4()) == []


def test_who_may_not_break_the_glass_is_403_before_the_reason_is_read(
    as_user, caseworker, outsider, outsider_admin, dpo, restricted_case
):
    for person in (caseworker, outsider, outsider_admin, dpo):
        api = as_user(person)
        for body in ({}, {"reason": ""}, {"reason": 0}):
            response = api.post(
                f"/api/v1/cases/{restricted_case.pk}/break-glass/", body, format="json"
            )
            assert response.status_code == 403, (person, body, response.content)
    assert not BreakGlass.objects.exists()


def test_the_api_opens_a_foreign_case_with_the_agreement(
    as_user, foreign_supervisor, restricted_case, agency, other_agency
):
    agree_emergency_access(agency, other_agency)
    api = as_user(foreign_supervisor)
    response = api.post(
        f"/api/v1/cases/{restricted_case.pk}/break-glass/", {"reason": "E"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert api.get(f"/api/v1/cases/{restricted_case.pk}/").status_code == 200
    note = api.post(
        f"/api/v1/cases/{restricted_case.pk}/notes/", {"body": "x", "kind": "note"}, format="json"
    )
    assert note.status_code == 403  # read-only


def test_the_page_answers_a_foreign_number_exactly_like_a_missing_one(
    client_as, foreign_supervisor, restricted_case
):
    web = client_as(foreign_supervisor)
    missing = "AMAL-2099-99999"
    foreign = web.post(
        BREAK_GLASS_PAGE, {"case_number": restricted_case.number, "reason": "Emergency"}
    )
    unknown = web.post(BREAK_GLASS_PAGE, {"case_number": missing, "reason": "Emergency"})
    assert foreign.status_code == unknown.status_code == 400
    assert "No case has this number." in foreign.content.decode()
    assert without_csrf(foreign.content.decode()).replace(restricted_case.number, "N") == (
        without_csrf(unknown.content.decode()).replace(missing, "N")
    )
    assert not BreakGlass.objects.exists()


def test_the_page_names_the_agencies_within_reach(
    client_as, foreign_supervisor, agency, other_agency
):
    page = client_as(foreign_supervisor).get(BREAK_GLASS_PAGE).content.decode()
    assert "You may open a case of your own agency only" in page
    agree_emergency_access(agency, other_agency)
    page = client_as(foreign_supervisor).get(BREAK_GLASS_PAGE).content.decode()
    assert "agreed to it in writing for yours:" in page and agency.name in page


# --- The agreements in the API -------------------------------------------------------------


def test_the_admin_records_and_withdraws_an_agreement_in_the_api(
    as_user, agency, other_agency, agency_admin, supervisor, dpo, outsider_admin, referral_officer
):
    api = as_user(agency_admin)
    created = api.post(
        agreements_url(agency),
        {"partner": str(other_agency.pk), "reference": "DSA-2026-07", "note": "Both directors"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["agency"]["slug"] == agency.slug
    assert (body["partner"]["id"], body["reference"], body["is_active"]) == (
        str(other_agency.pk),
        "DSA-2026-07",
        True,
    )
    assert body["recorded_by"]["id"] == str(agency_admin.pk)

    for person in (agency_admin, supervisor, dpo):
        shown = as_user(person).get(agreements_url(agency), {"direction": "granted"})
        assert shown.status_code == 200
        assert [a["id"] for a in shown.json()["results"]] == [body["id"]]
        received = as_user(person).get(agreements_url(agency), {"direction": "received"})
        assert received.json()["results"] == []
    partner_view = as_user(outsider_admin).get(
        agreements_url(other_agency), {"direction": "received"}
    )
    assert [a["id"] for a in partner_view.json()["results"]] == [body["id"]]
    assert [a["partner"]["slug"] for a in partner_view.json()["results"]] == [other_agency.slug]

    url = withdraw_url(body["id"])
    assert as_user(outsider_admin).post(url, {"reason": "x"}, format="json").status_code == 403
    assert as_user(referral_officer).post(url, {"reason": "x"}, format="json").status_code == 404
    assert as_user(supervisor).post(url, {"reason": "x"}, format="json").status_code == 403
    blank = as_user(agency_admin).post(url, {"reason": ""}, format="json")
    assert blank.status_code == 400
    assert [error["field"] for error in blank.json()["errors"]] == ["reason"]
    withdrawn = as_user(agency_admin).post(url, {"reason": "Contract ended"}, format="json")
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["is_active"], withdrawn.json()["withdrawal_reason"]) == (
        False,
        "Contract ended",
    )
    again = as_user(agency_admin).post(url, {"reason": "Contract ended"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_withdrawn")
    assert (
        as_user(agency_admin)
        .post(withdraw_url(uuid.uuid4()), {"reason": "x"}, format="json")
        .status_code
        == 404
    )


def test_who_may_read_and_record_agreements_in_the_api(
    as_user, agency, other_agency, caseworker, supervisor, dpo, outsider
):
    assert as_user(caseworker).get(agreements_url(agency)).status_code == 403
    assert as_user(outsider).get(agreements_url(agency)).status_code == 404
    body = {"partner": str(other_agency.pk), "reference": "DSA-1"}
    for person, status in ((supervisor, 403), (dpo, 403), (caseworker, 403), (outsider, 404)):
        response = as_user(person).post(agreements_url(agency), body, format="json")
        assert response.status_code == status, person
    assert not EmergencyAccessAgreement.objects.exists()


def test_bad_agreements_are_400_naming_the_field_in_the_api(
    as_user, agency, other_agency, agency_admin
):
    api = as_user(agency_admin)
    for body, field in (
        ({"partner": str(agency.pk), "reference": "DSA-1"}, "partner"),
        ({"partner": str(uuid.uuid4()), "reference": "DSA-1"}, "partner"),
        ({"partner": "amal", "reference": "DSA-1"}, "partner"),
        ({"partner": str(other_agency.pk), "reference": ""}, "reference"),
        ({"partner": str(other_agency.pk)}, "reference"),
    ):
        response = api.post(agreements_url(agency), body, format="json")
        assert response.status_code == 400, body
        assert response["Content-Type"].startswith("application/problem+json")
        assert field in [error["field"] for error in response.json()["errors"]], body
    assert not EmergencyAccessAgreement.objects.exists()


# --- The agreements on the agency's page ---------------------------------------------------


def test_the_agency_page_shows_records_and_withdraws_agreements(
    client_as, agency, other_agency, agency_admin, supervisor, caseworker, outsider, outsider_admin
):
    url = reverse("privacy:emergency_access", args=[agency.slug])
    web = client_as(agency_admin)
    page = web.get(url).content.decode()
    assert "None: no other agency's supervisor can open this agency's cases." in page
    assert "Record the agreement" in page
    missing = web.post(url, {"partner": str(other_agency.pk), "reference": ""})
    assert missing.status_code == 400
    assert "Give the reference of the signed agreement." in missing.content.decode()
    recorded = web.post(url, {"partner": str(other_agency.pk), "reference": "DSA-2026-07"})
    assert (recorded.status_code, recorded["Location"]) == (302, url)
    agreement = EmergencyAccessAgreement.objects.get()
    assert agreement.recorded_by == agency_admin

    page = client_as(supervisor).get(url)
    assert page.status_code == 200
    assert other_agency.name in page.content.decode() and "DSA-2026-07" in page.content.decode()
    assert "Record the agreement" not in page.content.decode()
    assert client_as(supervisor).post(url, {"partner": str(other_agency.pk)}).status_code == 403
    assert client_as(caseworker).get(url).status_code == 403
    assert client_as(outsider).get(url).status_code == 404
    partner_page = client_as(outsider_admin).get(
        reverse("privacy:emergency_access", args=[other_agency.slug])
    )
    received = partner_page.content.decode().split('id="received"', 1)[1]
    assert agency.name in received and "DSA-2026-07" in received

    withdraw = reverse("privacy:emergency_access_withdraw", args=[agency.slug, agreement.pk])
    assert client_as(supervisor).post(withdraw, {"reason": "x"}).status_code == 403
    web = client_as(agency_admin)
    blank = web.post(withdraw, {"reason": ""})
    assert blank.status_code == 400
    assert "Say why the agreement is withdrawn." in blank.content.decode()
    done = web.post(withdraw, {"reason": "Contract ended"})
    assert done.status_code == 302
    agreement.refresh_from_db()
    assert agreement.withdrawn_by == agency_admin
    assert "Withdrawn" in web.get(url).content.decode()


def test_the_team_page_and_data_protection_link_to_the_agreements(
    client_as, agency, agency_admin, dpo
):
    url = reverse("privacy:emergency_access", args=[agency.slug])
    team = client_as(agency_admin).get(reverse("accounts:team", args=[agency.slug]))
    assert f'href="{url}"' in team.content.decode()
    index = client_as(dpo).get(reverse("privacy:data_protection"))
    assert f'href="{url}"' in index.content.decode()
