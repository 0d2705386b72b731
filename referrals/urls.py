from django.urls import path

from referrals.views import actions, directory, inbox, packet, page, sending

app_name = "referrals"

urlpatterns = [
    # The service directory.
    path("directory/", directory.directory, name="directory"),
    path("directory/new/", directory.service_add, name="service_add"),
    path("directory/import/", directory.service_import, name="service_import"),
    path("directory/export.hsds.json", directory.directory_export, name="directory_export"),
    path("directory/<uuid:service_id>/", directory.service_detail, name="service_detail"),
    path("directory/<uuid:service_id>/edit/", directory.service_edit, name="service_edit"),
    # Sending from a case.
    path("cases/<uuid:case_id>/refer/", sending.referral_new, name="referral_new"),
    path("cases/<uuid:case_id>/refer/check/", sending.referral_check, name="referral_check"),
    # Referrals: the inbox, one referral, its packet and its actions.
    path("referrals/", inbox.inbox, name="inbox"),
    path("referrals/<uuid:referral_id>/", page.referral_detail, name="referral_detail"),
    path("referrals/<uuid:referral_id>/packet/", packet.packet, name="packet"),
    path("referrals/<uuid:referral_id>/edit/", sending.referral_edit, name="referral_edit"),
    path("referrals/<uuid:referral_id>/send/", actions.referral_send, name="referral_send"),
    path(
        "referrals/<uuid:referral_id>/withdraw/",
        actions.referral_withdraw,
        name="referral_withdraw",
    ),
    path("referrals/<uuid:referral_id>/accept/", actions.referral_accept, name="referral_accept"),
    path(
        "referrals/<uuid:referral_id>/decline/", actions.referral_decline, name="referral_decline"
    ),
    path(
        "referrals/<uuid:referral_id>/progress/",
        actions.referral_progress,
        name="referral_progress",
    ),
    path(
        "referrals/<uuid:referral_id>/complete/",
        actions.referral_complete,
        name="referral_complete",
    ),
    path(
        "referrals/<uuid:referral_id>/open-case/",
        actions.referral_open_case,
        name="referral_open_case",
    ),
    path(
        "referrals/<uuid:referral_id>/messages/",
        actions.referral_message,
        name="referral_message",
    ),
]
