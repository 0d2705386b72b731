"""The supervisor's statistics as a file (PDF, CSV, XLSX) and as a report-job kind.

Every format is built from the same ``AgencyStatistics`` as the page and the
API: a hidden cell is written as its symbol ("<5" or "×"), never as a number
(its ``Cell`` holds none). The PDF draws the same SVG charts as the page.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.access import Action, record_access
from accounts.models import Agency, User
from config.errors import InvalidInput
from reports.charts import bar_chart
from reports.http import CSV, PDF, XLSX
from reports.kinds import Progress, ReportKind, register_report_kind, text_parameter
from reports.models import ReportJob
from reports.pdf import render_pdf
from reports.periods import agency_zone
from reports.selectors.statistics import (
    AgencyStatistics,
    Period,
    StatTable,
    agency_statistics,
    get_statistics_agency,
    parse_period,
)
from reports.suppression import SECONDARY_SYMBOL, Cell
from reports.tabular import Sheet, to_csv, to_xlsx

FORMATS = {"pdf": PDF, "csv": CSV, "xlsx": XLSX}


def _value(cell: Cell) -> object:
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


def table_rows(stat: StatTable) -> tuple[list[str], list[list[object]]]:
    """Headers and rows of one table with its totals (CSV, XLSX)."""
    table = stat.table
    one_column = len(table.column_labels) == 1
    headers = [stat.row_header, *table.column_labels] + ([] if one_column else [_("Total")])
    rows: list[list[object]] = []
    for label, cells, total in table.rows:
        rows.append(
            [label, *(_value(cell) for cell in cells)] + ([] if one_column else [_value(total)])
        )
    rows.append(
        [_("Total"), *(_value(cell) for cell in table.column_totals)]
        + ([] if one_column else [_value(table.total)])
    )
    return headers, rows


def chart_of(stat: StatTable) -> object:
    """The SVG bar chart of one table: its row totals, or its cells for a
    one-column table; described by the table (id ``stat-<key>``)."""
    table = stat.table
    cells = [row[0] for row in table.cells] if stat.chart == "cells" else table.row_totals
    return bar_chart(
        table.row_labels,
        cells,
        title=stat.title,
        chart_id=f"chart-{stat.key}",
        described_by=f"stat-{stat.key}",
    )


def document_context(statistics: AgencyStatistics) -> dict:
    """What the page and the PDF templates show: each table with its chart."""
    return {
        "statistics": statistics,
        "sections": [
            {
                "stat": stat,
                "chart": chart_of(stat),
                "one_column": len(stat.table.column_labels) == 1,
            }
            for stat in statistics.tables
        ],
        "legend": legend(statistics.k),
    }


def filename(statistics: AgencyStatistics, fmt: str) -> str:
    period = statistics.period
    return (
        f"statistics-{statistics.agency.slug}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.{fmt}"
    )


def _about(statistics: AgencyStatistics) -> list[list[object]]:
    return [
        [_("Agency"), statistics.agency.name],
        [_("From"), statistics.period.start],
        [_("To"), statistics.period.end],
        [_("Smallest count shown"), statistics.k],
        [_("Median time to a response, referrals sent"), statistics.response_sent.shown],
        [_("Median time to a response, referrals received"), statistics.response_received.shown],
        *([line] for line in legend(statistics.k)),
    ]


def statistics_file(statistics: AgencyStatistics, fmt: str, *, user: User, language: str) -> bytes:
    """The statistics as ``fmt`` (pdf, csv, xlsx), built in the active language."""
    if fmt == "pdf":
        return render_pdf(
            "reports/statistics_pdf.html",
            document_context(statistics),
            user=user,
            language=language,
        )
    if fmt == "csv":
        # One table after another, each under a title row, then a blank row.
        rows: list[list[object]] = [*_about(statistics), []]
        for stat in statistics.tables:
            headers, body = table_rows(stat)
            rows += [[stat.title], headers, *body, []]
        return to_csv([_("Statistics"), statistics.agency.name], rows)
    sheets = [Sheet(title=_("About"), headers=[_("Statistics"), ""], rows=_about(statistics))]
    for stat in statistics.tables:
        headers, body = table_rows(stat)
        sheets.append(Sheet(title=_sheet_title(stat), headers=headers, rows=body))
    return to_xlsx(sheets)


def _sheet_title(stat: StatTable) -> str:
    # Short and unique (a sheet name has at most 31 characters): translated labels of the keys.
    titles = {
        "caseload": _("Caseload"),
        "by_type": _("By type"),
        "by_risk": _("By risk"),
        "by_nationality": _("By nationality"),
        "by_month": _("By month"),
        "referrals_sent": _("Referrals sent"),
        "referrals_received": _("Referrals received"),
        "overdue_follow_ups": _("Overdue follow-ups"),
    }
    return titles.get(stat.key, stat.key)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(
            _("Choose one of these formats: %(formats)s.") % {"formats": ", ".join(FORMATS)},
            code="invalid_format",
            field="format",
        )
    return fmt


def statistics_download(
    *, actor: User, agency: Agency, period: Period, fmt: str, language: str
) -> tuple[bytes, str, str]:
    """The statistics of ``agency`` (already checked: ``get_statistics_agency``)
    as a file: (content, file name, content type). Recorded in the access log
    as an export of the agency's statistics (aggregates, but an export)."""
    fmt = check_format(fmt)
    with translation.override(language):
        statistics = agency_statistics(actor, agency, period)
        content = statistics_file(statistics, fmt, user=actor, language=language)
    record_access(
        actor,
        Action.EXPORT,
        object_type="reports.statistics",
        object_id=str(agency.pk),
        agency_id=agency.pk,
    )
    return content, filename(statistics, fmt), FORMATS[fmt]


# --- Report jobs --------------------------------------------------------------------------


def check_statistics(actor: User, parameters: dict) -> tuple[Agency, dict]:
    """A statistics job's parameters: ``agency`` (slug or id), ``from``, ``to``."""
    parameters = parameters if isinstance(parameters, dict) else {}
    agency = get_statistics_agency(actor, text_parameter(parameters, "agency"))
    period = parse_period(
        text_parameter(parameters, "from"),
        text_parameter(parameters, "to"),
        agency=agency,
    )
    return agency, {
        "agency": str(agency.pk),
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
    }


def build_statistics(job: ReportJob, progress: Progress) -> tuple[bytes, str]:
    """The statistics as ``job.requested_by`` may read them now, in the job's language."""
    actor = job.requested_by
    language = job.language or settings.LANGUAGE_CODE
    agency, parameters = check_statistics(actor, job.parameters)
    period = Period(
        start=datetime.date.fromisoformat(parameters["from"]),
        end=datetime.date.fromisoformat(parameters["to"]),
    )
    progress(10)
    with translation.override(language), timezone.override(agency_zone(agency)):
        statistics = agency_statistics(actor, agency, period)
        progress(50)
        content = statistics_file(statistics, job.format, user=actor, language=language)
    progress(95)
    return content, filename(statistics, job.format)


register_report_kind(
    ReportKind(
        kind=ReportJob.Kind.STATISTICS,
        formats=(ReportJob.Format.PDF, ReportJob.Format.CSV, ReportJob.Format.XLSX),
        check=check_statistics,
        build=build_statistics,
    )
)
