from django.urls import path

from reports.api import case_summary as case_summary_api
from reports.api import consent_form as consent_form_api
from reports.api import disclosure_register as disclosure_register_api
from reports.api import imports as imports_api
from reports.api import jobs as jobs_api
from reports.api import plan as plan_api
from reports.api import referral_letter as referral_letter_api
from reports.api import statistics as statistics_api
from reports.api import subject_access as subject_access_api

urlpatterns: list = [
    path(
        "imports/<uuid:import_id>/report.csv",
        imports_api.ImportReportCsvView.as_view(),
        name="api-import-report",
    ),
    path(
        "cases/<uuid:case_id>/summary.pdf",
        case_summary_api.CaseSummaryPdfView.as_view(),
        name="api-case-summary-pdf",
    ),
    path(
        "clients/<uuid:client_id>/consent-form.pdf",
        consent_form_api.ConsentFormPdfView.as_view(),
        name="api-client-consent-form-pdf",
    ),
    path(
        "cases/<uuid:case_id>/plan.pdf",
        plan_api.PlanPdfView.as_view(),
        name="api-case-plan-pdf",
    ),
    path(
        "referrals/<uuid:referral_id>/letter.pdf",
        referral_letter_api.ReferralLetterPdfView.as_view(),
        name="api-referral-letter-pdf",
    ),
    path(
        "clients/<uuid:client_id>/subject-access-report.pdf",
        subject_access_api.SubjectAccessReportPdfView.as_view(),
        name="api-client-subject-access-report-pdf",
    ),
    path(
        "reports/disclosure-register/",
        disclosure_register_api.DisclosureRegisterView.as_view(),
        name="api-reports-disclosure-register",
    ),
    path(
        "reports/statistics/",
        statistics_api.StatisticsView.as_view(),
        name="api-reports-statistics",
    ),
    path("reports/jobs/", jobs_api.ReportJobListView.as_view(), name="api-report-jobs"),
    path(
        "reports/jobs/<uuid:job_id>/",
        jobs_api.ReportJobDetailView.as_view(),
        name="api-report-job-detail",
    ),
    path(
        "reports/jobs/<uuid:job_id>/download/",
        jobs_api.ReportJobDownloadView.as_view(),
        name="api-report-job-download",
    ),
]
