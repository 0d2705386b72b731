"""A notice about a case links to it only while its reader still sees it: the
caseworker a restricted case was taken from is told, without a link that
would answer 404 (issue 11)."""

import pytest
from django.urls import reverse

from accounts.models import Notification
from accounts.notices import notice_links
from casework import services

pytestmark = pytest.mark.django_db


def test_a_notice_about_a_case_taken_away_links_nowhere(
    supervisor, caseworker, second_caseworker, restricted_case, client_as
):
    services.assign_case(actor=supervisor, case_id=restricted_case.pk, assignee=second_caseworker)
    taken = Notification.objects.get(recipient=caseworker, kind="case.unassigned")
    given = Notification.objects.get(recipient=second_caseworker, kind="case.assigned")
    case_page = reverse("casework:case_detail", args=[restricted_case.pk])
    assert taken.url == given.url == case_page

    (link,) = notice_links(caseworker, [taken]).values()
    assert (link.url, link.unavailable) == ("", True)
    (link,) = notice_links(second_caseworker, [given]).values()
    assert (link.url, link.unavailable) == (case_page, False)

    page = client_as(caseworker).get(reverse("accounts:notifications")).content.decode()
    assert "This case is no longer available to you." in page
    assert case_page not in page


def test_a_notice_about_a_case_still_seen_keeps_its_link(
    supervisor, caseworker, second_caseworker, case, client_as
):
    services.assign_case(actor=supervisor, case_id=case.pk, assignee=second_caseworker)
    taken = Notification.objects.get(recipient=caseworker, kind="case.unassigned")
    # An unrestricted case of the agency stays in its caseworkers' scope.
    (link,) = notice_links(caseworker, [taken]).values()
    assert (link.url, link.unavailable) == (taken.url, False)
