"""What an agency's aggregate reports share: the statistics and the disclosure
register count what happened in the agency over a period of its days, every
small count hidden, and are offered as PDF, CSV and XLSX.

``AgencyReport`` holds one report's own pieces (how its agency is checked and
its period parsed, its figures, its file, its name in the access log) and does
the rest the same way for both: the agency and period asked for, the download
recorded as an export, and the report-job kind (checked when asked, checked
again and built when the job runs).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.access import Action, record_access
from accounts.models import Agency, User
from config.errors import InvalidInput
from reports.http import CSV, PDF, XLSX
from reports.kinds import Progress, ReportKind, text_parameter
from reports.models import ReportJob
from reports.periods import Period, agency_zone
from reports.suppression import SECONDARY_SYMBOL, Cell

FORMATS = {"pdf": PDF, "csv": CSV, "xlsx": XLSX}


def cell_value(cell: Cell) -> object:
    """A cell in a CSV or XLSX file."""
    # A shown count stays a number in a spreadsheet; a hidden one is its symbol only.
    return cell.shown if cell.hidden else cell.count


def legend(k: int) -> list[str]:
    """What the symbols mean, for every output."""
    return [
        _(
            "“<%(k)s” is a count below %(k)s (zero included), hidden so that no one "
            "can be singled out."
        )
        % {"k": k},
        _(
            "“%(symbol)s” is a count of %(k)s or more, hidden so that the hidden small counts "
            "cannot be worked out from the totals."
        )
        % {"symbol": SECONDARY_SYMBOL, "k": k},
    ]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(
            _("Choose one of these formats: %(formats)s.") % {"formats": ", ".join(FORMATS)},
            code="invalid_format",
            field="format",
        )
    return fmt


def download_links(view_name: str, query: dict[str, str]) -> list[tuple[str, str]]:
    """(label, address) of the page's download in each format: the view
    ``view_name`` with the page's query, empty values left out."""
    search = urlencode({key: value for key, value in query.items() if value})
    return [
        (fmt.upper(), reverse(view_name, kwargs={"fmt": fmt}) + "?" + search) for fmt in FORMATS
    ]


class Figures(Protocol):
    """The figures of one report (``AgencyStatistics``, ``DisclosureRegister``)."""

    @property
    def agency(self) -> Agency: ...

    @property
    def period(self) -> Period: ...


@dataclass(frozen=True)
class AgencyReport:
    """One aggregate report of an agency."""

    kind: str  # its ReportJob.Kind value
    file_prefix: str  # its file name: <prefix>-<agency slug>-<start>-<end>.<format>
    object_type: str  # the object type of its exports in the access log
    # get_agency(actor, slug or id): the agency whose report actor may read
    # (NotFound when not a member, Forbidden without the report's permission).
    get_agency: Callable[[User, str | None], Agency]
    # parse_period(from, to, agency=…): the period in the agency's days
    # (InvalidInput naming ``from`` or ``to``).
    parse_period: Callable[..., Period]
    # figures(actor, agency, period), for an agency already checked.
    figures: Callable[[User, Agency, Period], Figures]
    # write(figures, fmt, user=…, language=…): the file, built in the active language.
    write: Callable[..., bytes]
    # The progress a job reports once the figures are counted.
    counted_progress: int
    # Whether a job builds the file in the agency's time zone (its "generated at"
    # time); otherwise in the worker's current zone.
    built_in_agency_zone: bool = False

    def agency_and_period(self, actor: User, parameters: object) -> tuple[Agency, Period]:
        """The agency and period that ``parameters`` (``agency``, ``from``,
        ``to``, each text; anything but a mapping counts as none given) ask
        for. The agency first: 404 or 403 before any check of the period."""
        parameters = parameters if isinstance(parameters, dict) else {}
        agency = self.get_agency(actor, text_parameter(parameters, "agency"))
        period = self.parse_period(
            text_parameter(parameters, "from"),
            text_parameter(parameters, "to"),
            agency=agency,
        )
        return agency, period

    def filename(self, figures: Figures, fmt: str) -> str:
        period = figures.period
        return (
            f"{self.file_prefix}-{figures.agency.slug}-"
            f"{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.{fmt}"
        )

    def download(
        self, *, actor: User, agency: Agency, period: Period, fmt: str, language: str
    ) -> tuple[bytes, str, str]:
        """The report of ``agency`` (already checked: ``get_agency``) as a file:
        (content, file name, content type). Recorded in the access log as an
        export of the agency's report (aggregates, but an export)."""
        fmt = check_format(fmt)
        with translation.override(language):
            figures = self.figures(actor, agency, period)
            content = self.write(figures, fmt, user=actor, language=language)
        record_access(
            actor,
            Action.EXPORT,
            object_type=self.object_type,
            object_id=str(agency.pk),
            agency_id=agency.pk,
        )
        return content, self.filename(figures, fmt), FORMATS[fmt]

    # --- Report jobs ----------------------------------------------------------------------

    def check(self, actor: User, parameters: dict) -> tuple[Agency, dict]:
        """A job's parameters: ``agency`` (slug or id), ``from``, ``to``."""
        agency, period = self.agency_and_period(actor, parameters)
        return agency, {
            "agency": str(agency.pk),
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
        }

    def build(self, job: ReportJob, progress: Progress) -> tuple[bytes, str]:
        """The report as ``job.requested_by`` may read it now, in the job's language."""
        actor = job.requested_by
        language = job.language or settings.LANGUAGE_CODE
        agency, period = self.agency_and_period(actor, job.parameters)
        progress(10)
        zone = (
            timezone.override(agency_zone(agency)) if self.built_in_agency_zone else nullcontext()
        )
        with translation.override(language), zone:
            figures = self.figures(actor, agency, period)
            progress(self.counted_progress)
            content = self.write(figures, job.format, user=actor, language=language)
        progress(95)
        return content, self.filename(figures, job.format)

    def report_kind(self) -> ReportKind:
        return ReportKind(
            kind=self.kind,
            formats=(ReportJob.Format.PDF, ReportJob.Format.CSV, ReportJob.Format.XLSX),
            check=self.check,
            build=self.build,
        )
