from django.urls import path

from casework import api

urlpatterns = [
    path("clients/", api.ClientListView.as_view(), name="api-clients"),
    path("clients/<uuid:client_id>/", api.ClientDetailView.as_view(), name="api-client-detail"),
    path(
        "clients/<uuid:client_id>/duplicates/",
        api.ClientDuplicatesView.as_view(),
        name="api-client-duplicates",
    ),
    path("cases/", api.CaseListView.as_view(), name="api-cases"),
    path("cases/<uuid:case_id>/", api.CaseDetailView.as_view(), name="api-case-detail"),
    path("cases/<uuid:case_id>/assign/", api.CaseAssignView.as_view(), name="api-case-assign"),
    path(
        "cases/<uuid:case_id>/restrict/",
        api.CaseRestrictView.as_view(),
        name="api-case-restrict",
    ),
    path("cases/<uuid:case_id>/hold/", api.CaseHoldView.as_view(), name="api-case-hold"),
    path("cases/<uuid:case_id>/close/", api.CaseCloseView.as_view(), name="api-case-close"),
    path("cases/<uuid:case_id>/reopen/", api.CaseReopenView.as_view(), name="api-case-reopen"),
    path("cases/<uuid:case_id>/notes/", api.CaseNotesView.as_view(), name="api-case-notes"),
    path(
        "cases/<uuid:case_id>/follow-ups/",
        api.CaseFollowUpsView.as_view(),
        name="api-case-follow-ups",
    ),
    path(
        "cases/<uuid:case_id>/follow-ups/<uuid:follow_up_id>/complete/",
        api.FollowUpCompleteView.as_view(),
        name="api-case-follow-up-complete",
    ),
    path(
        "cases/<uuid:case_id>/documents/",
        api.CaseDocumentsView.as_view(),
        name="api-case-documents",
    ),
    path(
        "cases/<uuid:case_id>/documents/<uuid:document_id>/download/",
        api.DocumentDownloadView.as_view(),
        name="api-case-document-download",
    ),
    path("cases/<uuid:case_id>/history/", api.CaseHistoryView.as_view(), name="api-case-history"),
]
