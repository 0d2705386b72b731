from django.urls import path

from accounts import api_audit

urlpatterns = [
    path("audit/access-log/", api_audit.AccessLogView.as_view(), name="api-audit-access-log"),
    path(
        "audit/access-log/verify/",
        api_audit.AccessLogVerifyView.as_view(),
        name="api-audit-access-log-verify",
    ),
    path(
        "clients/<uuid:client_id>/access-log/",
        api_audit.ClientAccessLogView.as_view(),
        name="api-client-access-log",
    ),
    path(
        "cases/<uuid:case_id>/access-log/",
        api_audit.CaseAccessLogView.as_view(),
        name="api-case-access-log",
    ),
]
