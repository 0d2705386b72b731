from django.urls import path

from privacy.api import access_log, break_glass, data_protection

urlpatterns = [
    path("audit/access-log/", access_log.AccessLogView.as_view(), name="api-audit-access-log"),
    path(
        "audit/access-log/verify/",
        access_log.AccessLogVerifyView.as_view(),
        name="api-audit-access-log-verify",
    ),
    path(
        "clients/<uuid:client_id>/access-log/",
        access_log.ClientAccessLogView.as_view(),
        name="api-client-access-log",
    ),
    path(
        "cases/<uuid:case_id>/access-log/",
        access_log.CaseAccessLogView.as_view(),
        name="api-case-access-log",
    ),
    path(
        "clients/<uuid:client_id>/subject-access-export/",
        data_protection.SubjectAccessExportView.as_view(),
        name="api-client-subject-access-export",
    ),
    path(
        "clients/<uuid:client_id>/erase/",
        data_protection.ClientEraseView.as_view(),
        name="api-client-erase",
    ),
    path(
        "clients/<uuid:client_id>/legal-holds/",
        data_protection.ClientLegalHoldsView.as_view(),
        name="api-client-legal-holds",
    ),
    path(
        "legal-holds/<uuid:hold_id>/release/",
        data_protection.LegalHoldReleaseView.as_view(),
        name="api-legal-hold-release",
    ),
    path(
        "cases/<uuid:case_id>/break-glass/",
        break_glass.CaseBreakGlassView.as_view(),
        name="api-case-break-glass",
    ),
    path("break-glass/", break_glass.BreakGlassListView.as_view(), name="api-break-glass"),
    path(
        "agencies/<slug:slug>/emergency-access/",
        break_glass.AgencyEmergencyAccessView.as_view(),
        name="api-agency-emergency-access",
    ),
    path(
        "emergency-access/<uuid:agreement_id>/withdraw/",
        break_glass.EmergencyAccessWithdrawView.as_view(),
        name="api-emergency-access-withdraw",
    ),
    path(
        "agencies/<slug:slug>/retention/",
        data_protection.AgencyRetentionView.as_view(),
        name="api-agency-retention",
    ),
]
