"""The disclosure register as a file (PDF, CSV, XLSX) and as a report-job kind.

Every format shows the same suppressed figures as the page and the API: a
hidden cell is written as its symbol ("<5" or "×"), never as a number (the
``Table`` it comes from holds none). CSV and XLSX have one row per partner
agency and month (and one total row per partner): the packets sent, each
lawful basis, the override column, each data category. The download and the
job are ``DISCLOSURE_REGISTER`` (``reports.documents.aggregate``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from reports.documents.aggregate import AgencyReport, cell_value, legend
from reports.kinds import register_report_kind
from reports.models import ReportJob
from reports.pdf import render_pdf
from reports.selectors.disclosure import (
    DisclosureRegister,
    disclosure_register,
    get_register_agency,
    parse_period,
)
from reports.tabular import Sheet, to_csv, to_xlsx


def register_table(register: DisclosureRegister) -> tuple[list[str], list[list[object]]]:
    """Headers and rows of the register as one flat table (CSV, XLSX)."""
    first = register.partners[0] if register.partners else None
    basis_labels = first.by_basis.column_labels if first else []
    category_labels = first.by_category.column_labels if first else []
    headers = [
        _("Partner agency"),
        _("Month"),
        _("Packets sent"),
        *basis_labels,
        *category_labels,
    ]
    rows: list[list[object]] = []
    for partner in register.partners:
        basis, category = partner.by_basis, partner.by_category
        for i, month in enumerate(register.months):
            rows.append(
                [
                    partner.name,
                    month.strftime("%Y-%m"),
                    cell_value(basis.row_totals[i]),
                    *(cell_value(cell) for cell in basis.cells[i]),
                    *(cell_value(cell) for cell in category.cells[i]),
                ]
            )
        rows.append(
            [
                partner.name,
                _("Total"),
                cell_value(basis.total),
                *(cell_value(cell) for cell in basis.column_totals),
                # A packet carries several categories: their sums mean nothing, none is shown.
                *("" for _label in category_labels),
            ]
        )
    return headers, rows


def register_file(register: DisclosureRegister, fmt: str, *, user: User, language: str) -> bytes:
    """The register as ``fmt`` (pdf, csv, xlsx), built in the active language."""
    if fmt == "pdf":
        return render_pdf(
            "reports/disclosure_register_pdf.html",
            {"register": register, "legend": legend(register.k)},
            user=user,
            language=language,
        )
    headers, rows = register_table(register)
    if fmt == "csv":
        return to_csv(headers, rows)
    about = [
        [_("Agency"), register.agency.name],
        [_("From"), register.period.start],
        [_("To"), register.period.end],
        [_("Smallest count shown"), register.k],
        *([line] for line in legend(register.k)),
    ]
    return to_xlsx(
        [
            Sheet(title=_("Disclosure register"), headers=headers, rows=rows),
            Sheet(title=_("About"), headers=[_("Disclosure register"), ""], rows=about),
        ]
    )


DISCLOSURE_REGISTER = AgencyReport(
    kind=ReportJob.Kind.DISCLOSURE_REGISTER,
    file_prefix="disclosure-register",
    object_type="reports.disclosure_register",
    get_agency=get_register_agency,
    parse_period=parse_period,
    # The register is the agency's: who reads it changes nothing in it.
    figures=lambda actor, agency, period: disclosure_register(agency, period),
    write=register_file,
    counted_progress=40,
)

register_report_kind(DISCLOSURE_REGISTER.report_kind())
