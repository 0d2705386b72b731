"""The full case file (every note, follow-up, consent, referral and, for
those who may read it, the case's history), made as a report job: with a
thousand history rows it is some fifty pages, too long for a request.

Who may ask for it: whoever sees the case *and* may read its notes
(VIEW_NOTES on the case). A user who sees a case only through a grant, or by
breaking the glass without notes, is refused (403); a case they do not see
answers 404. The history section is included only for holders of
VIEW_CASE_HISTORY (supervisors), as on the history page. The check runs when
the job is asked for, when it runs and when its file is downloaded.

The history section prints one line per change of the case record and its
items (case fields, follow-ups, documents, referrals…), newest first. It
leaves out the rows that merely record a note's creation: the notes section
already prints every note with its author, kind and time, so such a row
would repeat it (the history page still lists them). A thousand such
repeats would cost as much layout time as a thousand real changes.

History and notes are laid out as blocks (``.rows > .row`` of the print
base), not table rows: WeasyPrint lays out 1,000 block rows in about a third
of the time and half the memory of the same rows in a ``<table>``.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import time_zone_of
from casework import selectors
from casework.models import Case
from config.errors import InvalidInput
from reports.documents.case_summary import case_contents, case_history_rows
from reports.kinds import Progress, ReportKind, register_report_kind
from reports.models import ReportJob
from reports.pdf import html_to_pdf, render_html

# What the case file asks of the actor on the case (besides seeing it).
CASE_FILE_PERMISSION = Perm.VIEW_NOTES


def may_request_case_file(actor: User, case: Case) -> bool:
    """Whether ``actor`` (who sees ``case``) may have its full case file made:
    the rule ``check`` applies, for the case page to offer the button."""
    return actor.has_perm(CASE_FILE_PERMISSION, case)


def _case_of(actor: User, parameters: dict) -> Case:
    case_id = parameters.get("case") if isinstance(parameters, dict) else None
    if not selectors.is_uuid(case_id):
        raise InvalidInput(_("Choose a case."), code="invalid_case", field="case")
    return selectors.get_case_for(actor, case_id, CASE_FILE_PERMISSION)


def check_case_file(actor: User, parameters: dict) -> tuple[Agency, dict]:
    """The case file's parameters: ``case``, the id of a case the actor sees
    (404 otherwise) and whose notes they may read (403 otherwise)."""
    case = _case_of(actor, parameters)
    return case.agency, {"case": str(case.pk)}


def printed_history(entries: list[dict] | None) -> list[dict] | None:
    """The history rows the case file prints: all but a note's creation,
    which the notes section shows already (None stays None: no history)."""
    if entries is None:
        return None
    return [e for e in entries if not (e["object"] == "note" and e["action"] == "created")]


def build_case_file(job: ReportJob, progress: Progress) -> tuple[bytes, str]:
    """The case file as ``job.requested_by`` sees the case now, in the job's
    language and the requester's time zone."""
    actor = job.requested_by
    language = job.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(ZoneInfo(time_zone_of(actor))):
        case = _case_of(actor, job.parameters)
        progress(10)
        context = case_contents(actor, case, notes_limit=None, open_follow_ups_only=False)
        context["history"] = printed_history(case_history_rows(actor, case))
        progress(30)
        html = render_html("reports/case_file.html", context, user=actor, language=language)
        progress(40)
        content = html_to_pdf(html)
        progress(95)
    return content, f"case-{case.number}-file.pdf"


register_report_kind(
    ReportKind(
        kind=ReportJob.Kind.CASE_FILE,
        formats=(ReportJob.Format.PDF,),
        check=check_case_file,
        build=build_case_file,
    )
)
