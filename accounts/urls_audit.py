from django.urls import path

from accounts import views_audit

app_name = "audit"

urlpatterns = [
    path("audit/access-log/", views_audit.access_log, name="access_log"),
    path("clients/<uuid:client_id>/accesses/", views_audit.client_accesses, name="client_accesses"),
    path("cases/<uuid:case_id>/accesses/", views_audit.case_accesses, name="case_accesses"),
]
