from django.urls import path

from casework.views import cases, clients, consent, imports, plans, search

app_name = "casework"

urlpatterns = [
    path("search/", search.search, name="search"),
    path("clients/", clients.client_list, name="client_list"),
    path("clients/new/", clients.client_register, name="client_register"),
    path("clients/<uuid:client_id>/", clients.client_detail, name="client_detail"),
    path("clients/<uuid:client_id>/edit/", clients.client_edit, name="client_edit"),
    path("clients/<uuid:client_id>/sensitive/", clients.client_sensitive, name="client_sensitive"),
    path(
        "clients/<uuid:client_id>/documents/new/",
        clients.identity_document_add,
        name="identity_document_add",
    ),
    path("clients/<uuid:client_id>/cases/new/", cases.case_open, name="case_open"),
    # Consent: recorded and withdrawn, never edited or deleted (no such routes).
    path("clients/<uuid:client_id>/consents/", consent.client_consents, name="client_consents"),
    path("clients/<uuid:client_id>/consents/new/", consent.consent_record, name="consent_record"),
    path(
        "clients/<uuid:client_id>/consents/withdraw-all/",
        consent.consent_withdraw_all,
        name="consent_withdraw_all",
    ),
    path("clients/<uuid:client_id>/consent-form/", consent.consent_form, name="consent_form"),
    path("consents/<uuid:consent_id>/", consent.consent_detail, name="consent_detail"),
    path("consents/<uuid:consent_id>/withdraw/", consent.consent_withdraw, name="consent_withdraw"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/assign/", cases.cases_assign, name="cases_assign"),
    path("cases/<uuid:case_id>/", cases.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/edit/", cases.case_edit, name="case_edit"),
    path("cases/<uuid:case_id>/history/", cases.case_history, name="case_history"),
    path("cases/<uuid:case_id>/notes/", cases.note_add, name="note_add"),
    path("cases/<uuid:case_id>/follow-ups/", cases.follow_up_add, name="follow_up_add"),
    path(
        "cases/<uuid:case_id>/follow-ups/<uuid:follow_up_id>/done/",
        cases.follow_up_done,
        name="follow_up_done",
    ),
    path("cases/<uuid:case_id>/documents/", cases.document_upload, name="document_upload"),
    path(
        "cases/<uuid:case_id>/documents/<uuid:document_id>/download/",
        cases.document_download,
        name="document_download",
    ),
    # The integration plan: its page, and one address per form on it.
    path("cases/<uuid:case_id>/plan/", plans.case_plan, name="case_plan"),
    path("cases/<uuid:case_id>/plan/goals/add/", plans.plan_goal_add, name="plan_goal_add"),
    path(
        "cases/<uuid:case_id>/plan/goals/<uuid:goal_id>/edit/",
        plans.plan_goal_edit,
        name="plan_goal_edit",
    ),
    path("cases/<uuid:case_id>/plan/actions/add/", plans.plan_action_add, name="plan_action_add"),
    path(
        "cases/<uuid:case_id>/plan/actions/<uuid:action_id>/edit/",
        plans.plan_action_edit,
        name="plan_action_edit",
    ),
    path("cases/<uuid:case_id>/plan/agreement/", plans.plan_agreement, name="plan_agreement"),
    path("cases/<uuid:case_id>/hold/", cases.case_hold, name="case_hold"),
    path("cases/<uuid:case_id>/close/", cases.case_close, name="case_close"),
    path("cases/<uuid:case_id>/reopen/", cases.case_reopen, name="case_reopen"),
    path("cases/<uuid:case_id>/assign/", cases.case_assign, name="case_assign"),
    path("cases/<uuid:case_id>/restrict/", cases.case_restrict, name="case_restrict"),
    # Spreadsheet imports: the list with the upload form, an import's page
    # (report, decisions, run, undo) and its mapping page.
    path("imports/", imports.import_list, name="import_list"),
    path("imports/<uuid:import_id>/", imports.import_detail, name="import_detail"),
    path("imports/<uuid:import_id>/mapping/", imports.import_mapping, name="import_mapping"),
    path(
        "imports/<uuid:import_id>/rows/<int:row_number>/decision/",
        imports.import_decide,
        name="import_decide",
    ),
    path("imports/<uuid:import_id>/run/", imports.import_run, name="import_run"),
    path("imports/<uuid:import_id>/undo/", imports.import_undo, name="import_undo"),
    path(
        "imports/mappings/<uuid:mapping_id>/delete/",
        imports.import_mapping_delete,
        name="import_mapping_delete",
    ),
    path(
        "cases/<uuid:case_id>/do-not-disclose/",
        consent.do_not_disclose_add,
        name="do_not_disclose_add",
    ),
]
