from django.urls import path

from referrals.api import actions, agencies, assignees, directory, packet, referrals

urlpatterns = [
    path("services/", directory.ServiceListView.as_view(), name="api-services"),
    path(
        "services/export.hsds.json",
        directory.ServiceExportView.as_view(),
        name="api-services-export",
    ),
    path("services/import/", directory.ServiceImportView.as_view(), name="api-services-import"),
    path(
        "services/<uuid:service_id>/",
        directory.ServiceDetailView.as_view(),
        name="api-service-detail",
    ),
    path("referrals/", referrals.ReferralListView.as_view(), name="api-referrals"),
    path("referrals/check/", referrals.ReferralCheckView.as_view(), name="api-referral-check"),
    path(
        "referrals/<uuid:referral_id>/",
        referrals.ReferralDetailView.as_view(),
        name="api-referral-detail",
    ),
    path(
        "referrals/<uuid:referral_id>/packet/",
        packet.ReferralPacketView.as_view(),
        name="api-referral-packet",
    ),
    path(
        "referrals/<uuid:referral_id>/messages/",
        packet.ReferralMessagesView.as_view(),
        name="api-referral-messages",
    ),
    path(
        "referrals/<uuid:referral_id>/send/",
        actions.ReferralSendView.as_view(),
        name="api-referral-send",
    ),
    path(
        "referrals/<uuid:referral_id>/withdraw/",
        actions.ReferralWithdrawView.as_view(),
        name="api-referral-withdraw",
    ),
    path(
        "referrals/<uuid:referral_id>/accept/",
        actions.ReferralAcceptView.as_view(),
        name="api-referral-accept",
    ),
    path(
        "referrals/<uuid:referral_id>/decline/",
        actions.ReferralDeclineView.as_view(),
        name="api-referral-decline",
    ),
    path(
        "referrals/<uuid:referral_id>/progress/",
        actions.ReferralProgressView.as_view(),
        name="api-referral-progress",
    ),
    path(
        "referrals/<uuid:referral_id>/complete/",
        actions.ReferralCompleteView.as_view(),
        name="api-referral-complete",
    ),
    path(
        "referrals/<uuid:referral_id>/open-case/",
        actions.ReferralOpenCaseView.as_view(),
        name="api-referral-open-case",
    ),
    path(
        "referrals/<uuid:referral_id>/assignees/",
        assignees.ReferralAssigneesView.as_view(),
        name="api-referral-assignees",
    ),
    # The directory of partner agencies and who may take an agency's cases
    # (accounts.api_urls holds one's own agency: agencies/<slug>/).
    path("agencies/", agencies.AgencyListView.as_view(), name="api-agencies"),
    path(
        "agencies/<slug:slug>/staff/",
        assignees.AgencyStaffView.as_view(),
        name="api-agency-staff",
    ),
]
