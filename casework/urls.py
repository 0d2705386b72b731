from django.urls import path

from casework import views

app_name = "casework"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_register, name="client_register"),
    path("clients/<uuid:client_id>/", views.client_detail, name="client_detail"),
    path("clients/<uuid:client_id>/edit/", views.client_edit, name="client_edit"),
    path("clients/<uuid:client_id>/sensitive/", views.client_sensitive, name="client_sensitive"),
    path(
        "clients/<uuid:client_id>/documents/new/",
        views.identity_document_add,
        name="identity_document_add",
    ),
    path("clients/<uuid:client_id>/cases/new/", views.case_open, name="case_open"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/edit/", views.case_edit, name="case_edit"),
    path("cases/<uuid:case_id>/history/", views.case_history, name="case_history"),
    path("cases/<uuid:case_id>/notes/", views.note_add, name="note_add"),
    path("cases/<uuid:case_id>/follow-ups/", views.follow_up_add, name="follow_up_add"),
    path(
        "cases/<uuid:case_id>/follow-ups/<uuid:follow_up_id>/done/",
        views.follow_up_done,
        name="follow_up_done",
    ),
    path("cases/<uuid:case_id>/documents/", views.document_upload, name="document_upload"),
    path(
        "cases/<uuid:case_id>/documents/<uuid:document_id>/download/",
        views.document_download,
        name="document_download",
    ),
    path("cases/<uuid:case_id>/hold/", views.case_hold, name="case_hold"),
    path("cases/<uuid:case_id>/close/", views.case_close, name="case_close"),
    path("cases/<uuid:case_id>/reopen/", views.case_reopen, name="case_reopen"),
    path("cases/<uuid:case_id>/assign/", views.case_assign, name="case_assign"),
    path("cases/<uuid:case_id>/restrict/", views.case_restrict, name="case_restrict"),
]
