"""The kinds of report a job can make, each registered by the module that
builds it (``register_report_kind``), so the job machinery in
``reports.services.jobs`` knows none of them by name.

A kind says which formats it offers, how to check a request (parameters and
permission, at request time *and* again when the job runs and when its file
is downloaded: a caseworker reassigned away from a case does not download its
file afterwards) and how to build the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from config.errors import InvalidInput

if TYPE_CHECKING:
    from accounts.models import Agency, User
    from reports.models import ReportJob

# progress(percent): the builder reports how far it has come (0–100).
Progress = Callable[[int], None]


@dataclass(frozen=True)
class ReportKind:
    kind: str  # a ReportJob.Kind value
    formats: tuple[str, ...]  # ReportJob.Format values
    # check(actor, parameters) -> (agency the report is about, cleaned parameters).
    # Raises config.errors.InvalidInput naming the field for bad parameters; NotFound (404)
    # for what the actor may not see, 403 for what they may
    # see but not report on (Forbidden) — the same errors the selectors raise.
    check: Callable[[User, dict], tuple[Agency, dict]]
    # build(job, progress) -> (content, filename without personal data).
    # Reads as job.requested_by through the scoped selectors.
    build: Callable[[ReportJob, Progress], tuple[bytes, str]]


_KINDS: dict[str, ReportKind] = {}


def register_report_kind(kind: ReportKind) -> None:
    _KINDS[kind.kind] = kind


def report_kind(kind: str) -> ReportKind | None:
    return _KINDS.get(kind)


def report_kinds() -> dict[str, ReportKind]:
    return dict(_KINDS)


def text_parameter(parameters: dict, name: str) -> str:
    """The parameter ``name`` as text ("" when absent). An object or a list
    (JSON allows them) is a 400 naming the field, not a lookup that finds
    nothing and answers 404."""
    value = parameters.get(name)
    if value is None:
        return ""
    if isinstance(value, dict | list | bool):
        raise InvalidInput(_("Give this as text."), code="invalid", field=name)
    return str(value)
