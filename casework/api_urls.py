from django.urls import path

from casework.api import case_items, cases, clients, consent, imports, plans, search

urlpatterns = [
    path("imports/", imports.ImportListView.as_view(), name="api-imports"),
    path("import-mappings/", imports.SavedMappingListView.as_view(), name="api-import-mappings"),
    path(
        "imports/<uuid:import_id>/save-mapping/",
        imports.ImportSaveMappingView.as_view(),
        name="api-import-save-mapping",
    ),
    path("imports/<uuid:import_id>/", imports.ImportDetailView.as_view(), name="api-import-detail"),
    path(
        "imports/<uuid:import_id>/rows/", imports.ImportRowsView.as_view(), name="api-import-rows"
    ),
    path(
        "imports/<uuid:import_id>/decisions/",
        imports.ImportDecisionView.as_view(),
        name="api-import-decide",
    ),
    path("imports/<uuid:import_id>/run/", imports.ImportRunView.as_view(), name="api-import-run"),
    path(
        "imports/<uuid:import_id>/undo/", imports.ImportUndoView.as_view(), name="api-import-undo"
    ),
    path("search/", search.SearchView.as_view(), name="api-search"),
    path("clients/", clients.ClientListView.as_view(), name="api-clients"),
    path("clients/<uuid:client_id>/", clients.ClientDetailView.as_view(), name="api-client-detail"),
    path(
        "clients/<uuid:client_id>/duplicates/",
        clients.ClientDuplicatesView.as_view(),
        name="api-client-duplicates",
    ),
    path(
        "clients/<uuid:client_id>/consents/",
        consent.ClientConsentsView.as_view(),
        name="api-client-consents",
    ),
    path(
        "clients/<uuid:client_id>/consents/withdraw-all/",
        consent.ClientConsentsWithdrawAllView.as_view(),
        name="api-client-consents-withdraw-all",
    ),
    path(
        "clients/<uuid:client_id>/consent-coverage/",
        consent.ClientConsentCoverageView.as_view(),
        name="api-client-consent-coverage",
    ),
    path(
        "consents/<uuid:consent_id>/",
        consent.ConsentDetailView.as_view(),
        name="api-consent-detail",
    ),
    path(
        "consents/<uuid:consent_id>/withdraw/",
        consent.ConsentWithdrawView.as_view(),
        name="api-consent-withdraw",
    ),
    path("cases/", cases.CaseListView.as_view(), name="api-cases"),
    path("cases/assign/", cases.CasesAssignView.as_view(), name="api-cases-assign"),
    path("cases/<uuid:case_id>/", cases.CaseDetailView.as_view(), name="api-case-detail"),
    path("cases/<uuid:case_id>/assign/", cases.CaseAssignView.as_view(), name="api-case-assign"),
    path(
        "cases/<uuid:case_id>/restrict/",
        cases.CaseRestrictView.as_view(),
        name="api-case-restrict",
    ),
    path("cases/<uuid:case_id>/hold/", cases.CaseHoldView.as_view(), name="api-case-hold"),
    path("cases/<uuid:case_id>/close/", cases.CaseCloseView.as_view(), name="api-case-close"),
    path("cases/<uuid:case_id>/reopen/", cases.CaseReopenView.as_view(), name="api-case-reopen"),
    path("cases/<uuid:case_id>/notes/", case_items.CaseNotesView.as_view(), name="api-case-notes"),
    path(
        "cases/<uuid:case_id>/follow-ups/",
        case_items.CaseFollowUpsView.as_view(),
        name="api-case-follow-ups",
    ),
    path(
        "cases/<uuid:case_id>/follow-ups/<uuid:follow_up_id>/complete/",
        case_items.FollowUpCompleteView.as_view(),
        name="api-case-follow-up-complete",
    ),
    path(
        "cases/<uuid:case_id>/documents/",
        case_items.CaseDocumentsView.as_view(),
        name="api-case-documents",
    ),
    path(
        "cases/<uuid:case_id>/documents/<uuid:document_id>/download/",
        case_items.DocumentDownloadView.as_view(),
        name="api-case-document-download",
    ),
    path(
        "cases/<uuid:case_id>/history/",
        case_items.CaseHistoryView.as_view(),
        name="api-case-history",
    ),
    path(
        "cases/<uuid:case_id>/do-not-disclose/",
        consent.CaseDoNotDiscloseView.as_view(),
        name="api-case-do-not-disclose",
    ),
    path("cases/<uuid:case_id>/plan/", plans.CasePlanView.as_view(), name="api-case-plan"),
    path(
        "cases/<uuid:case_id>/plan/goals/",
        plans.CasePlanGoalsView.as_view(),
        name="api-case-plan-goals",
    ),
    path(
        "cases/<uuid:case_id>/plan/goals/<uuid:goal_id>/",
        plans.CasePlanGoalView.as_view(),
        name="api-case-plan-goal",
    ),
    path(
        "cases/<uuid:case_id>/plan/actions/",
        plans.CasePlanActionsView.as_view(),
        name="api-case-plan-actions",
    ),
    path(
        "cases/<uuid:case_id>/plan/actions/<uuid:action_id>/",
        plans.CasePlanActionView.as_view(),
        name="api-case-plan-action",
    ),
    path(
        "cases/<uuid:case_id>/plan/agreements/",
        plans.CasePlanAgreementsView.as_view(),
        name="api-case-plan-agreements",
    ),
]
