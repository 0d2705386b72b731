from django.urls import path

from reports.views import case_summary as case_summary_views
from reports.views import consent_form as consent_form_views
from reports.views import disclosure_register as disclosure_register_views
from reports.views import index as index_views
from reports.views import jobs as jobs_views
from reports.views import plan as plan_views
from reports.views import referral_letter as referral_letter_views
from reports.views import statistics as statistics_views
from reports.views import subject_access as subject_access_views

app_name = "reports"

urlpatterns: list = [
    path("reports/", index_views.index, name="index"),
    path("reports/statistics/", statistics_views.statistics, name="statistics"),
    path(
        "reports/statistics.<str:fmt>",
        statistics_views.statistics_download,
        name="statistics_download",
    ),
    path("reports/jobs/", jobs_views.jobs, name="jobs"),
    path("reports/jobs/new/", jobs_views.job_request, name="job_request"),
    path("reports/jobs/<uuid:job_id>/", jobs_views.job, name="job"),
    path("reports/jobs/<uuid:job_id>/download/", jobs_views.job_download, name="job_download"),
    path(
        "cases/<uuid:case_id>/summary.pdf",
        case_summary_views.case_summary,
        name="case_summary",
    ),
    path(
        "clients/<uuid:client_id>/consent-form.pdf",
        consent_form_views.consent_form_pdf,
        name="consent_form_pdf",
    ),
    path("cases/<uuid:case_id>/plan/print/", plan_views.plan_print, name="plan_print"),
    path(
        "cases/<uuid:case_id>/plan/print.pdf",
        plan_views.plan_pdf_download,
        name="plan_pdf",
    ),
    path(
        "referrals/<uuid:referral_id>/letter.pdf",
        referral_letter_views.referral_letter,
        name="referral_letter",
    ),
    path(
        "clients/<uuid:client_id>/data-protection/subject-access.pdf",
        subject_access_views.subject_access_report,
        name="subject_access_report",
    ),
    path(
        "reports/disclosure-register/",
        disclosure_register_views.disclosure_register,
        name="disclosure_register",
    ),
    path(
        "reports/disclosure-register.<str:fmt>",
        disclosure_register_views.disclosure_register_download,
        name="disclosure_register_download",
    ),
]
