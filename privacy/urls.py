from django.urls import path

from privacy.views import access_log, break_glass, data_protection

app_name = "privacy"

urlpatterns = [
    # The access log and "who accessed this" (the DPO, supervisors).
    path("audit/access-log/", access_log.access_log, name="access_log"),
    path("audit/access-log/verify/", access_log.access_log_verify, name="access_log_verify"),
    path("clients/<uuid:client_id>/accesses/", access_log.client_accesses, name="client_accesses"),
    path("cases/<uuid:case_id>/accesses/", access_log.case_accesses, name="case_accesses"),
    # Data protection (DPO and supervisors): no page here shows a client's personal data.
    path("data-protection/", data_protection.data_protection, name="data_protection"),
    path(
        "clients/<uuid:client_id>/data-protection/",
        data_protection.client_data_protection,
        name="client_data_protection",
    ),
    path(
        "clients/<uuid:client_id>/data-protection/export/",
        data_protection.subject_access_download,
        name="subject_access_download",
    ),
    path(
        "clients/<uuid:client_id>/data-protection/legal-holds/",
        data_protection.legal_hold_place,
        name="legal_hold_place",
    ),
    path(
        "legal-holds/<uuid:hold_id>/release/",
        data_protection.legal_hold_release,
        name="legal_hold_release",
    ),
    path(
        "clients/<uuid:client_id>/data-protection/erase/",
        data_protection.client_erase,
        name="client_erase",
    ),
    path("agencies/<slug:slug>/retention/", data_protection.retention, name="retention"),
    path("break-glass/", break_glass.break_glass, name="break_glass"),
    path(
        "agencies/<slug:slug>/emergency-access/",
        break_glass.emergency_access,
        name="emergency_access",
    ),
    path(
        "agencies/<slug:slug>/emergency-access/<uuid:agreement_id>/withdraw/",
        break_glass.emergency_access_withdraw,
        name="emergency_access_withdraw",
    ),
]
