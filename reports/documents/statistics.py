"""The supervisor's statistics as a file (PDF, CSV, XLSX) and as a report-job kind.

Every format is built from the same ``AgencyStatistics`` as the page and the
API: a hidden cell is written as its symbol ("<5" or "×"), never as a number
(its ``Cell`` holds none). The PDF draws the same SVG charts as the page. The
download and the job are ``STATISTICS`` (``reports.documents.aggregate``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from reports.charts import bar_chart
from reports.documents.aggregate import AgencyReport, cell_value, legend
from reports.kinds import register_report_kind
from reports.models import ReportJob
from reports.pdf import render_pdf
from reports.selectors.statistics import (
    AgencyStatistics,
    StatTable,
    agency_statistics,
    get_statistics_agency,
    parse_period,
)
from reports.tabular import Sheet, to_csv, to_xlsx


def table_rows(stat: StatTable) -> tuple[list[str], list[list[object]]]:
    """Headers and rows of one table with its totals (CSV, XLSX)."""
    table = stat.table
    one_column = len(table.column_labels) == 1
    headers = [stat.row_header, *table.column_labels] + ([] if one_column else [_("Total")])
    rows: list[list[object]] = []
    for label, cells, total in table.rows:
        rows.append(
            [label, *(cell_value(cell) for cell in cells)]
            + ([] if one_column else [cell_value(total)])
        )
    rows.append(
        [_("Total"), *(cell_value(cell) for cell in table.column_totals)]
        + ([] if one_column else [cell_value(table.total)])
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


STATISTICS = AgencyReport(
    kind=ReportJob.Kind.STATISTICS,
    file_prefix="statistics",
    object_type="reports.statistics",
    get_agency=get_statistics_agency,
    parse_period=parse_period,
    figures=agency_statistics,
    write=statistics_file,
    counted_progress=50,
    built_in_agency_zone=True,
)

register_report_kind(STATISTICS.report_kind())
