"""The printable integration plan: the printable page (``reports:plan_print``)
and its PDF, from the same rows, for the client to read and sign.

As the consent form, it is two languages side by side (``side_by_side``):
the client's language and the agency's, one table row per block, each cell
with its own ``lang`` and ``dir``, the client's column first (on the right
for a reader of Arabic or Persian). Labels are translated in each column;
what people wrote is not: the agency's column holds the goal as the agency
wrote it (``statement``), the client's column the client's own words
(``statement_client``, any script, its direction read from its first
letter), or the agency's text when the client's words were not written
down. When both languages are the same there is one column, holding both.

The plan is read as the reader may see it (``plan_view_for``): a goal about
health and its actions only for holders of VIEW_SENSITIVE on the case,
without a trace for the others. Dates are in the reader's calendar and
digits, as on their pages.
"""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.utils import timezone, translation

from accounts.access import Action, record_access
from accounts.models import User
from accounts.permissions import Perm
from casework.models import Case
from casework.selectors import get_case_for
from casework.selectors.consent import interface_language
from casework.selectors.plans import PlanView, plan_view_for
from config.errors import Conflict, Forbidden
from config.http.calendars import display_of
from reports.documents.consent_form import check_language, columns, side_by_side
from reports.documents.subject_access import language_for
from reports.pdf import render_pdf

BLOCK_TEMPLATE = "reports/_plan_block.html"
HEADINGS = frozenset({"title", "goals_heading", "domain", "signature_heading"})


def plan_languages(
    case: Case, client_language: str = "", asked: str | None = None
) -> tuple[str, str]:
    """The two languages of a printed plan: (the client's, the agency's).

    The client's: ``asked`` (an interface language, checked by the caller),
    else the plan's ``client_language`` when Sanad speaks it, else the
    client's first spoken language it does, else the agency's. The agency's:
    its first interface language, else ``settings.LANGUAGE_CODE``."""
    agency_language = interface_language(case.agency.languages) or settings.LANGUAGE_CODE
    if asked:
        return asked, agency_language
    client = language_for(
        [client_language, *(case.client.languages or [])], case.agency.languages or []
    )
    return client, agency_language


def _blocks(view: PlanView) -> list[tuple[str, object]]:
    blocks: list[tuple[str, object]] = [
        ("title", None),
        ("facts", None),
        ("agreement", None),
        ("goals_heading", None),
    ]
    if not view.goals:
        blocks.append(("no_goals", None))
    for domain, goals in view.goals_by_domain:
        blocks.append(("domain", domain))
        for goal in goals:
            blocks.append(("goal", goal))
            blocks += [("action", action) for action in goal.visible_actions]
    blocks += [
        ("signature_heading", None),
        ("signature_text", None),
        ("signature_client", None),
        ("signature_caseworker", None),
        ("signature_interpreter", None),
        ("foot", None),
    ]
    return blocks


def plan_document(actor: User, case: Case, *, language: str | None = None) -> dict:
    """The printed plan of ``case`` (read through ``get_case_for`` with
    VIEW_PLAN) as ``actor`` may see it: its columns (the client's language,
    then the agency's; ``language`` replaces the client's) and its rows,
    dates in the actor's calendar. Conflict (409 ``no_plan``) when the case
    has no plan yet."""
    view = plan_view_for(actor, case)
    if view is None:
        raise Forbidden()
    if view.plan is None:
        raise Conflict(translation.gettext("This case has no plan yet."), code="no_plan")
    client_language, agency_language = plan_languages(case, view.plan.client_language, language)
    languages = columns(client_language, agency_language)
    context = {
        "case": case,
        "client": case.client,
        "agency": case.agency,
        "caseworker": case.assigned_to,
        "view": view,
        "plan": view.plan,
        "client_language": client_language,
        "agency_language": agency_language,
        "today": timezone.localdate(),
    }
    with display_of(actor):
        rows = side_by_side(BLOCK_TEMPLATE, _blocks(view), context, languages)
    return {
        "case": case,
        "plan": view.plan,
        "language": client_language,
        "agency_language": agency_language,
        "dir": languages[0]["dir"],
        "columns": languages,
        "rows": rows,
    }


def plan_pdf(*, actor: User, case_id: UUID | str, language: str | None = None) -> tuple[bytes, str]:
    """The printed plan of a case as a PDF and its file name
    (``case-<number>-plan-v<version>.pdf``: no personal data). Needs
    VIEW_PLAN on the case: NotFound for a case the actor does not see,
    Forbidden without it; InvalidInput (400 naming ``language``) for a
    ``language`` Sanad is not translated into; Conflict (409 ``no_plan``)
    for a case without a plan. Recorded in the access log as a download of
    the case."""
    language = check_language(language)
    case = get_case_for(actor, case_id, Perm.VIEW_PLAN)
    document = plan_document(actor, case, language=language)
    content = render_pdf(
        "reports/plan.html", {"document": document}, user=actor, language=document["language"]
    )
    record_access(actor, Action.DOWNLOAD, case)
    return content, f"case-{case.number}-plan-v{document['plan'].version}.pdf"
