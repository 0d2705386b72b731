"""Every page and endpoint that reads personal data writes exactly one
access-log row per request (issue 6), checked over the whole URL conf.

Each route is classified here, by name (namespace included):

- ``READS_PERSONAL_DATA``: a GET by the persona allowed to read it must answer
  200 and write exactly one row, acting as that persona, with the client's id
  when the route is about one client or case;
- ``NO_PERSONAL_DATA``: with a one-line reason;
- ``NO_GET``: POST-only (or POST/DELETE-only) routes. They are out of this
  test: a write logs what it read inside its own transaction, tested in
  tests/accounts/test_access_log.py. Here a GET must answer 405, so a route that
  gains a GET has to be classified again.

Django admin routes are classified by the model they show (``ADMIN_MODELS``):
registering a new model in the admin needs a reason too.

A route in none of these lists fails ``test_every_route_is_classified``: a new
route must be classified before it ships. A listed route that no longer
exists fails it too, so the lists stay true.
"""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import AccessLog
from accounts.services import issue_api_token
from tests.factories import make_consent, make_document, make_referral, make_service
from tests.urlconf import walk_routes

pytestmark = pytest.mark.django_db


# --- The URL conf, walked ----------------------------------------------------------------


def _admin_model(route: str) -> str | None:
    """``admin/casework/consent/...`` → ``casework.consent`` for a registered model."""
    parts = route.split("/")
    if len(parts) < 3 or parts[0] != "admin":
        return None
    label = f"{parts[1]}.{parts[2]}"
    registered = {model._meta.label_lower for model in admin.site._registry}
    return label if label in registered else None


def every_route() -> dict[str, str]:
    """{classification key: route} for every URL pattern. The key is the
    route's name; an admin route of a model is keyed by the model
    (``admin:<app>.<model>``); an unnamed route by its pattern."""
    routes = {}
    for name, route, namespace in walk_routes():
        model = _admin_model(route) if namespace == "admin" else None
        key = f"admin:{model}" if model else (name or route)
        routes.setdefault(key, route)
    return routes


# --- The world the URLs are built from ---------------------------------------------------


@dataclass
class World:
    caseworker: object
    supervisor: object
    dpo: object
    referral_officer: object
    partner_agency: object
    client: object
    case: object
    consent: object
    document: object
    referral: object
    draft: object


@pytest.fixture
def world(
    caseworker, supervisor, dpo, referral_officer, partner_agency, case, client_record
) -> World:
    consent = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    make_service(partner_agency)
    return World(
        caseworker=caseworker,
        supervisor=supervisor,
        dpo=dpo,
        referral_officer=referral_officer,
        partner_agency=partner_agency,
        client=client_record,
        case=case,
        consent=consent,
        document=make_document(caseworker, case),
        referral=make_referral(caseworker, case, partner_agency),
        draft=make_referral(caseworker, case, partner_agency, send=False),
    )


@dataclass(frozen=True)
class Reads:
    """A GET that reads personal data: who may make it, where, and whether it
    is about the world's client (the row must carry the client's id)."""

    persona: str
    url: Callable[[World], str]
    about_client: bool = True


def _to(name: str, *objects: str, query: str = "") -> Callable[[World], str]:
    """reverse(name) with the world's objects (attribute names) as arguments."""

    def build(world: World) -> str:
        address = reverse(name, args=[getattr(world, attr).pk for attr in objects])
        return f"{address}?{query(world) if callable(query) else query}" if query else address

    return build


def _case_list_job(world: World, name: str) -> str:
    """A case-list export of the caseworker's, made (as a worker would), and
    the address ``name`` of its file."""
    from reports.services import request_report, run_report_job

    job = request_report(
        actor=world.caseworker, kind="case_list", format="csv", parameters={}, language="en"
    )
    run_report_job(job.pk)
    return reverse(name, kwargs={"job_id": job.pk})


def _plan_item(world: World, name: str) -> str:
    """A goal of the case's integration plan with one action, added by the
    caseworker, and the address ``name`` of the plan, or of the goal or the
    action when the route names one."""
    from casework import services as casework

    goal = casework.add_goal(
        actor=world.caseworker, case_id=world.case.pk, domain="language", statement="Learn Italian"
    )
    action = casework.add_action(
        actor=world.caseworker,
        case_id=world.case.pk,
        goal_id=goal.pk,
        description="Enrol in a course",
        responsible="client",
    )
    route = every_route()[name]
    arguments = {"case_id": world.case.pk, "goal_id": goal.pk, "action_id": action.pk}
    return reverse(
        name, kwargs={key: value for key, value in arguments.items() if f":{key}>" in route}
    )


def _import(world: World, name: str) -> str:
    """A spreadsheet import of the supervisor's (checked, one row), and the
    address ``name`` of it."""
    from casework.services.imports import upload_import
    from tests.casework.test_imports import GOOD, clients_file

    client_import = upload_import(
        actor=world.supervisor,
        agency=world.case.agency,
        data=clients_file(GOOD),
        file_name="clients.xlsx",
    )
    return reverse(name, kwargs={"import_id": client_import.pk})


READS_PERSONAL_DATA: dict[str, Reads] = {
    # spreadsheet imports: the rows of a file of people (errors, duplicates' names)
    "api-import-detail": Reads(
        "supervisor", lambda world: _import(world, "api-import-detail"), about_client=False
    ),
    "api-import-rows": Reads(
        "supervisor", lambda world: _import(world, "api-import-rows"), about_client=False
    ),
    "api-import-report": Reads(
        "supervisor", lambda world: _import(world, "api-import-report"), about_client=False
    ),
    "casework:import_detail": Reads(
        "supervisor", lambda world: _import(world, "casework:import_detail"), about_client=False
    ),
    # the mapping page shows the first rows of the file as they will be read
    "casework:import_mapping": Reads(
        "supervisor", lambda world: _import(world, "casework:import_mapping"), about_client=False
    ),
    # casework pages
    "accounts:home": Reads("caseworker", _to("accounts:home"), about_client=False),
    "casework:client_list": Reads("caseworker", _to("casework:client_list"), about_client=False),
    "casework:search": Reads(
        "caseworker", _to("casework:search", query="q=Moh"), about_client=False
    ),
    "casework:client_detail": Reads("caseworker", _to("casework:client_detail", "client")),
    "casework:client_edit": Reads("caseworker", _to("casework:client_edit", "client")),
    "casework:client_sensitive": Reads("supervisor", _to("casework:client_sensitive", "client")),
    "casework:identity_document_add": Reads(
        "caseworker", _to("casework:identity_document_add", "client")
    ),
    "casework:case_open": Reads("caseworker", _to("casework:case_open", "client")),
    "casework:client_consents": Reads("caseworker", _to("casework:client_consents", "client")),
    "casework:consent_record": Reads("caseworker", _to("casework:consent_record", "client")),
    "casework:consent_form": Reads("caseworker", _to("casework:consent_form", "client")),
    "casework:consent_detail": Reads("caseworker", _to("casework:consent_detail", "consent")),
    "casework:case_list": Reads("caseworker", _to("casework:case_list"), about_client=False),
    "casework:cases_assign": Reads(
        "supervisor",
        _to("casework:cases_assign", query=lambda world: f"cases={world.case.pk}"),
        about_client=False,
    ),
    "casework:case_detail": Reads("caseworker", _to("casework:case_detail", "case")),
    "casework:case_edit": Reads("caseworker", _to("casework:case_edit", "case")),
    "casework:case_history": Reads("supervisor", _to("casework:case_history", "case")),
    "casework:document_download": Reads(
        "caseworker", _to("casework:document_download", "case", "document")
    ),
    "casework:do_not_disclose_add": Reads(
        "caseworker", _to("casework:do_not_disclose_add", "case")
    ),
    "casework:case_plan": Reads("caseworker", _to("casework:case_plan", "case")),
    "casework:plan_goal_edit": Reads(
        "caseworker", lambda world: _plan_item(world, "casework:plan_goal_edit")
    ),
    "casework:plan_action_edit": Reads(
        "caseworker", lambda world: _plan_item(world, "casework:plan_action_edit")
    ),
    # reports
    "reports:case_summary": Reads("caseworker", _to("reports:case_summary", "case")),
    # statistics: aggregates, but read from the case and referral lists (one row each)
    "reports:statistics": Reads("supervisor", _to("reports:statistics"), about_client=False),
    "reports:statistics_download": Reads(
        "supervisor",
        lambda world: reverse("reports:statistics_download", kwargs={"fmt": "csv"}),
        about_client=False,
    ),
    "api-reports-statistics": Reads(
        "supervisor", _to("api-reports-statistics"), about_client=False
    ),
    "reports:consent_form_pdf": Reads("caseworker", _to("reports:consent_form_pdf", "client")),
    "reports:plan_print": Reads(
        "caseworker", lambda world: _plan_item(world, "reports:plan_print")
    ),
    "reports:plan_pdf": Reads("caseworker", lambda world: _plan_item(world, "reports:plan_pdf")),
    "reports:referral_letter": Reads(
        "referral_officer", _to("reports:referral_letter", "referral")
    ),
    "reports:subject_access_report": Reads("dpo", _to("reports:subject_access_report", "client")),
    # report jobs: the file of a case-list export (logged as an export)
    "reports:job_download": Reads(
        "caseworker",
        lambda world: _case_list_job(world, "reports:job_download"),
        about_client=False,
    ),
    "api-report-job-download": Reads(
        "caseworker",
        lambda world: _case_list_job(world, "api-report-job-download"),
        about_client=False,
    ),
    # data-protection pages (the DPO; supervisors too)
    "privacy:data_protection": Reads("dpo", _to("privacy:data_protection"), about_client=False),
    "privacy:client_data_protection": Reads("dpo", _to("privacy:client_data_protection", "client")),
    "privacy:subject_access_download": Reads(
        "dpo", _to("privacy:subject_access_download", "client")
    ),
    # referral pages
    "referrals:referral_new": Reads("caseworker", _to("referrals:referral_new", "case")),
    "referrals:referral_check": Reads(
        "caseworker",
        _to("referrals:referral_check", "case", query=lambda w: f"to_agency={w.partner_agency.pk}"),
    ),
    "referrals:inbox": Reads("referral_officer", _to("referrals:inbox"), about_client=False),
    "referrals:referral_detail": Reads(
        "referral_officer", _to("referrals:referral_detail", "referral")
    ),
    "referrals:packet": Reads("referral_officer", _to("referrals:packet", "referral")),
    "referrals:referral_edit": Reads("caseworker", _to("referrals:referral_edit", "draft")),
    # audit pages (reading the log is reading about people)
    "privacy:access_log": Reads("dpo", _to("privacy:access_log"), about_client=False),
    "privacy:client_accesses": Reads("supervisor", _to("privacy:client_accesses", "client")),
    "privacy:case_accesses": Reads("dpo", _to("privacy:case_accesses", "case")),
    # casework API
    "api-clients": Reads("caseworker", _to("api-clients"), about_client=False),
    "api-search": Reads("caseworker", _to("api-search", query="q=Moh"), about_client=False),
    "api-client-detail": Reads("caseworker", _to("api-client-detail", "client")),
    "api-client-duplicates": Reads("caseworker", _to("api-client-duplicates", "client")),
    "api-client-consents": Reads("caseworker", _to("api-client-consents", "client")),
    "api-client-consent-coverage": Reads(
        "caseworker",
        _to(
            "api-client-consent-coverage",
            "client",
            query=lambda w: (
                f"recipient_agency={w.partner_agency.pk}&purpose=referral&data_categories=identity"
            ),
        ),
    ),
    "api-consent-detail": Reads("caseworker", _to("api-consent-detail", "consent")),
    "api-cases": Reads("caseworker", _to("api-cases"), about_client=False),
    "api-case-detail": Reads("caseworker", _to("api-case-detail", "case")),
    "api-case-notes": Reads("caseworker", _to("api-case-notes", "case")),
    "api-case-follow-ups": Reads("caseworker", _to("api-case-follow-ups", "case")),
    "api-case-documents": Reads("caseworker", _to("api-case-documents", "case")),
    "api-case-document-download": Reads(
        "caseworker", _to("api-case-document-download", "case", "document")
    ),
    "api-case-history": Reads("supervisor", _to("api-case-history", "case")),
    "api-case-do-not-disclose": Reads("caseworker", _to("api-case-do-not-disclose", "case")),
    "api-case-plan": Reads("caseworker", lambda world: _plan_item(world, "api-case-plan")),
    "api-case-plan-goals": Reads(
        "caseworker", lambda world: _plan_item(world, "api-case-plan-goals")
    ),
    "api-case-plan-goal": Reads(
        "caseworker", lambda world: _plan_item(world, "api-case-plan-goal")
    ),
    "api-case-plan-actions": Reads(
        "caseworker", lambda world: _plan_item(world, "api-case-plan-actions")
    ),
    "api-case-plan-action": Reads(
        "caseworker", lambda world: _plan_item(world, "api-case-plan-action")
    ),
    "api-case-plan-agreements": Reads(
        "caseworker", lambda world: _plan_item(world, "api-case-plan-agreements")
    ),
    "api-case-summary-pdf": Reads("caseworker", _to("api-case-summary-pdf", "case")),
    "api-client-consent-form-pdf": Reads(
        "caseworker", _to("api-client-consent-form-pdf", "client")
    ),
    "api-case-plan-pdf": Reads("caseworker", lambda world: _plan_item(world, "api-case-plan-pdf")),
    "api-referral-letter-pdf": Reads(
        "referral_officer", _to("api-referral-letter-pdf", "referral")
    ),
    "api-client-subject-access-report-pdf": Reads(
        "dpo", _to("api-client-subject-access-report-pdf", "client")
    ),
    # data-protection API
    "api-client-subject-access-export": Reads(
        "dpo", _to("api-client-subject-access-export", "client")
    ),
    "api-client-legal-holds": Reads("dpo", _to("api-client-legal-holds", "client")),
    # referrals API
    "api-referrals": Reads("caseworker", _to("api-referrals"), about_client=False),
    "api-referral-check": Reads(
        "caseworker",
        _to(
            "api-referral-check",
            query=lambda w: f"case={w.case.pk}&to_agency={w.partner_agency.pk}",
        ),
    ),
    "api-referral-detail": Reads("caseworker", _to("api-referral-detail", "referral")),
    "api-referral-packet": Reads("referral_officer", _to("api-referral-packet", "referral")),
    "api-referral-messages": Reads("referral_officer", _to("api-referral-messages", "referral")),
    # Staff names only, but the referral is looked up (and logged) as open-case does it.
    "api-referral-assignees": Reads("referral_officer", _to("api-referral-assignees", "referral")),
    # audit API
    "api-audit-access-log": Reads("dpo", _to("api-audit-access-log"), about_client=False),
    "api-client-access-log": Reads("supervisor", _to("api-client-access-log", "client")),
    "api-case-access-log": Reads("dpo", _to("api-case-access-log", "case")),
}

NO_PERSONAL_DATA: dict[str, str] = {
    "api-imports": "the spreadsheet imports of one's agencies: file names, states, counts",
    "api-import-mappings": "saved import mappings: sheet names, headers, the codes chosen for "
    "choice texts",
    "casework:import_list": "the imports of one's agencies (file names, states, counts) and "
    "the upload form",
    "reports:index": "links to reports and the user's own report jobs: kinds, states, dates",
    "reports:jobs": "the user's own report jobs: kinds, states, dates",
    "reports:job": "one of the user's own report jobs: kind, state, progress, dates",
    "api-report-jobs": "the caller's own report jobs: kinds, filters, states, dates",
    "api-report-job-detail": "one of the caller's own report jobs: kind, filters, state, dates",
    "reports:disclosure_register": "counts per partner and month, small cells suppressed",
    "reports:disclosure_register_download": "the same suppressed counts (logged as an export)",
    "api-reports-disclosure-register": "counts per partner and month, small cells suppressed",
    "healthz": "liveness probe: database up or not",
    "readyz": "readiness probe: each dependency's state, no detail",
    "favicon": "a redirect to the static icon (static/img/favicon.svg)",
    "api-schema": "the OpenAPI document",
    "api-docs": "the API documentation page",
    "api-me": "the caller's own account and roles",
    "api-agency": "one of the caller's agencies: its profile and time zone",
    "api-services": "the service directory (agencies' services)",
    "api-services-export": "the service directory as HSDS JSON",
    "api-service-detail": "one service of the directory",
    "api-agencies": "the directory of partner agencies: organisations, no people",
    "api-agency-staff": "the agency's staff who may take a case: names and roles, no client data",
    "api-audit-access-log-verify": "the chain's verdict (a POST keeps it): counts, positions",
    "referrals:directory": "the service directory",
    "referrals:service_add": "a blank service form",
    "referrals:service_import": "the HSDS import form",
    "referrals:directory_export": "the service directory as HSDS JSON",
    "referrals:service_detail": "one service of the directory",
    "referrals:service_edit": "a service's form",
    "casework:client_register": "a blank registration form",
    "privacy:break_glass": "the form and the user's own running emergency accesses",
    "privacy:retention": "the agency's retention periods",
    "privacy:emergency_access": "the agency's emergency access agreements: agencies, references",
    "api-break-glass": "the caller's own running emergency accesses",
    "api-agency-retention": "the agency's retention periods",
    "api-agency-emergency-access": "the agency's emergency access agreements",
    "accounts:login": "the login form",
    "accounts:account": "the user's own account, language and tokens",
    "accounts:notifications": "the user's own notices: agencies, case numbers, references",
    "accounts:notice_open": "marks the user's own notice read, redirects to its page",
    "api-notifications": "the caller's own notices: agencies, case numbers, references",
    "accounts:password_reset_confirm": "the set-a-password form of an invitation",
    "accounts:password_reset_complete": "a confirmation message",
    "accounts:team": "the agency's staff and roles, no client data",
    "accounts:member": "one staff member's roles, no client data",
    "accounts:own_password": "the user's own password form",
    "accounts:sign_out_everywhere": "what signing out everywhere does (POST does it)",
    "second_factor:verify": "the second-factor step: a code field and passkey button",
    "second_factor:setup": "the user's own factors: names, dates, the enrolment QR code",
    "second_factor:confirm_password": "the password form before changing one's factors",
    "otp_webauthn:js-i18n-catalog": "the passkey script's translations",
    # Django admin: platform operators, read-only, no client record registered.
    "admin:index": "the admin's list of models",
    "admin:login": "the admin login form",
    "admin:logout": "the admin logout",
    "admin:password_change": "the operator's own password form",
    "admin:password_change_done": "a confirmation message",
    "admin:autocomplete": "autocomplete of registered models (none holds client data)",
    "admin:jsi18n": "the admin's JavaScript translations",
    "admin:view_on_site": "a redirect to an object's page (which logs itself)",
    "admin:app_list": "the models of one app",
    "admin/(?P<url>.*)$": "the admin's catch-all redirect to its login or index",
}

ADMIN_MODELS: dict[str, str] = {
    "auth.group": "role groups and their permissions",
    "axes.accessattempt": "failed logins of staff (address, typed e-mail)",
    "axes.accesslog": "staff logins",
    "axes.accessfailurelog": "failed staff logins",
    "accounts.user": "staff accounts",
    "accounts.agency": "agencies",
    "accounts.membership": "staff roles in agencies",
    "accounts.apitoken": "token prefixes and dates",
    "casework.consent": "consent facts without the client (the client field is excluded)",
    "referrals.service": "the service directory",
    "referrals.referral": "referral metadata: agencies, state, dates (no packet, no client)",
    "reports.reportjob": "report jobs: kind, state, dates (no parameters, no file)",
}
NO_PERSONAL_DATA.update({f"admin:{label}": reason for label, reason in ADMIN_MODELS.items()})

NO_GET: dict[str, str] = {
    "reports:job_request": "ask for a report job (POST)",
    "accounts:logout": "log out (POST)",
    "accounts:revoke_token": "revoke a token (POST)",
    "accounts:own_time_zone": "set the user's own time zone (POST)",
    "accounts:own_date_display": "set the user's own calendar and digits (POST)",
    "accounts:agency_time_zone": "set the agency's time zone (POST)",
    "accounts:agency_inactivity": "set the agency's days without activity (POST)",
    "accounts:agency_small_cell": "set the agency's small-cell threshold (POST)",
    "accounts:agency_active_pdf": "set whether the agency accepts active PDFs (POST)",
    "accounts:resend_invitation": "resend an invited member's invitation (POST)",
    "accounts:switch_language": "switch the language (POST)",
    "accounts:notifications_read": "mark every notice of the user read (POST)",
    "accounts:sign_out_member": "end a member's sessions and tokens (POST)",
    "accounts:reset_second_factor": "reset a member's second factor (POST)",
    "second_factor:app_start": "start enrolling an authenticator app (POST)",
    "second_factor:app_confirm": "confirm an authenticator app (POST)",
    "second_factor:backup_codes": "new backup codes (POST)",
    "second_factor:remove": "remove one of the user's own factors (POST)",
    "otp_webauthn:credential-registration-begin": "start adding a passkey (POST)",
    "otp_webauthn:credential-registration-complete": "finish adding a passkey (POST)",
    "otp_webauthn:credential-authentication-begin": "start a passkey sign-in (POST)",
    "otp_webauthn:credential-authentication-complete": "finish a passkey sign-in (POST)",
    "api-me-sign-out-everywhere": "end the caller's sessions and tokens (POST)",
    "api-notification-read": "mark a notice read (POST)",
    "api-notifications-read-all": "mark every notice read (POST)",
    "api-token": "obtain (POST) or revoke (DELETE) a token",
    "casework:note_add": "add a note",
    "casework:follow_up_add": "add a follow-up",
    "casework:follow_up_done": "complete a follow-up",
    "casework:document_upload": "upload a document",
    "casework:case_hold": "put a case on hold",
    "casework:case_close": "close a case",
    "casework:case_reopen": "reopen a case",
    "casework:case_assign": "reassign a case",
    "casework:case_restrict": "restrict a case",
    "casework:plan_goal_add": "add a goal to a case's integration plan",
    "casework:plan_action_add": "add an action to a case's integration plan",
    "casework:plan_agreement": "record the client's agreement to a version of the plan",
    "casework:consent_withdraw": "withdraw a consent",
    "casework:consent_withdraw_all": "withdraw every consent of a client",
    "privacy:legal_hold_place": "place a legal hold",
    "privacy:legal_hold_release": "release a legal hold",
    "privacy:access_log_verify": "walk the access log and keep its verdict (POST)",
    "privacy:client_erase": "erase a client",
    "api-client-erase": "erase a client",
    "api-legal-hold-release": "release a legal hold",
    "api-case-break-glass": "open a case in an emergency",
    "privacy:emergency_access_withdraw": "withdraw an emergency access agreement",
    "api-emergency-access-withdraw": "withdraw an emergency access agreement",
    "referrals:referral_send": "send a referral",
    "referrals:referral_withdraw": "withdraw a referral",
    "referrals:referral_accept": "accept a referral",
    "referrals:referral_decline": "decline a referral",
    "referrals:referral_progress": "report progress",
    "referrals:referral_complete": "complete a referral",
    "referrals:referral_open_case": "open a case from a referral",
    "referrals:referral_message": "send a message",
    "api-client-consents-withdraw-all": "withdraw every consent of a client",
    "api-consent-withdraw": "withdraw a consent",
    "api-case-assign": "reassign a case",
    "api-cases-assign": "reassign several cases",
    "api-case-restrict": "restrict a case",
    "api-case-hold": "put a case on hold",
    "api-case-close": "close a case",
    "api-case-reopen": "reopen a case",
    "api-case-follow-up-complete": "complete a follow-up",
    "api-services-import": "import services",
    "api-import-decide": "decide what a possible duplicate row of an import is",
    "api-import-run": "run a spreadsheet import",
    "api-import-undo": "undo a spreadsheet import",
    "api-import-save-mapping": "save an import's mapping under a name",
    "casework:import_decide": "decide what a possible duplicate row of an import is",
    "casework:import_run": "run a spreadsheet import",
    "casework:import_undo": "undo a spreadsheet import",
    "casework:import_mapping_delete": "forget a saved import mapping",
    "api-referral-send": "send a referral",
    "api-referral-withdraw": "withdraw a referral",
    "api-referral-accept": "accept a referral",
    "api-referral-decline": "decline a referral",
    "api-referral-progress": "report progress",
    "api-referral-complete": "complete a referral",
    "api-referral-open-case": "open a case from a referral",
}


# --- The tests ---------------------------------------------------------------------------


def test_every_route_is_classified():
    routes = every_route()
    lists = [set(READS_PERSONAL_DATA), set(NO_PERSONAL_DATA), set(NO_GET)]
    classified = set().union(*lists)
    unclassified = {key: route for key, route in routes.items() if key not in classified}
    assert not unclassified, (
        "Classify these routes in tests/accounts/test_every_route_logs.py (reads personal "
        f"data, no personal data, or no GET): {unclassified}"
    )
    assert not classified - set(routes), f"Classified but gone: {classified - set(routes)}"
    for first, second in [(0, 1), (0, 2), (1, 2)]:
        assert not lists[first] & lists[second], lists[first] & lists[second]


def test_the_admin_shows_only_classified_models():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(ADMIN_MODELS), registered ^ set(ADMIN_MODELS)


def _rows() -> list[AccessLog]:
    # force_login writes a login row; it is not the request's.
    return list(AccessLog.objects.exclude(action__in=["login", "logout"]).order_by("id"))


@pytest.mark.parametrize("name", sorted(READS_PERSONAL_DATA))
def test_a_read_of_personal_data_writes_one_row(name, world, client, api_client):
    spec = READS_PERSONAL_DATA[name]
    persona = getattr(world, spec.persona)
    address = spec.url(world)
    http = api_client if address.startswith("/api/") else client
    http.force_login(persona)
    before = len(_rows())

    response = http.get(address)

    assert response.status_code == 200, (name, response.status_code)
    written = _rows()[before:]
    assert len(written) == 1, (name, [(row.action, row.object_type) for row in written])
    [row] = written
    assert (row.actor_id, row.outcome) == (persona.pk, "ok"), name
    if spec.about_client:
        assert row.client_id == world.client.pk, (name, row.object_type, row.client_id)


def _any_url(name: str) -> str:
    """The route's address with made-up arguments (a view without GET refuses
    it before looking anything up)."""
    route = every_route()[name]
    parameters = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    return reverse(
        name,
        kwargs={
            key: uuid.uuid4() if kind == "uuid" else 1 if kind == "int" else "x"
            for kind, key in parameters
        },
    )


@pytest.mark.parametrize("name", sorted(NO_GET))
def test_a_route_without_get_refuses_it(name, caseworker, client, api_client):
    if name.startswith("api-"):
        # A bearer token: the token endpoint takes no session.
        _token, plain = issue_api_token(actor=caseworker)
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
        http = api_client
    else:
        client.force_login(caseworker)
        http = client
    response = http.get(_any_url(name))
    assert response.status_code == 405, (name, response.status_code)
