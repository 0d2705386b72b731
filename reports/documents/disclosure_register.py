"""The disclosure register as a file (PDF, CSV, XLSX) and as a report-job kind.

Every format shows the same suppressed figures as the page and the API: a
hidden cell is written as its symbol ("<5" or "×"), never as a number (the
``Table`` it comes from holds none). CSV and XLSX have one row per partner
agency and month (and one total row per partner): the packets sent, each
lawful basis, the override column, each data category.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.access import Action, record_access
from accounts.models import Agency, User
from config.errors import InvalidInput
from reports.http import CSV, PDF, XLSX
from reports.kinds import Progress, ReportKind, register_report_kind, text_parameter
from reports.models import ReportJob
from reports.pdf import render_pdf
from reports.selectors.disclosure import (
    DisclosureRegister,
    Period,
    disclosure_register,
    get_register_agency,
    parse_period,
)
from reports.suppression import SECONDARY_SYMBOL, Cell
from reports.tabular import Sheet, to_csv, to_xlsx

FORMATS = {"pdf": PDF, "csv": CSV, "xlsx": XLSX}


def _value(cell: Cell) -> object:
    # A shown count stays a number in a spreadsheet; a hidden one is its symbol only.
    return cell.shown if cell.hidden else cell.count


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
                    _value(basis.row_totals[i]),
                    *(_value(cell) for cell in basis.cells[i]),
                    *(_value(cell) for cell in category.cells[i]),
                ]
            )
        rows.append(
            [
                partner.name,
                _("Total"),
                _value(basis.total),
                *(_value(cell) for cell in basis.column_totals),
                # A packet carries several categories: their sums mean nothing, none is shown.
                *("" for _label in category_labels),
            ]
        )
    return headers, rows


def legend(k: int) -> list[str]:
    return [
        _(
            "“<%(k)s” is a count below %(k)s (zero included), hidden so that no one can be "
            "singled out."
        )
        % {"k": k},
        _(
            "“%(symbol)s” is a count of %(k)s or more, hidden so that the hidden small counts "
            "cannot be worked out from the totals."
        )
        % {"symbol": SECONDARY_SYMBOL, "k": k},
    ]


def filename(register: DisclosureRegister, fmt: str) -> str:
    period = register.period
    return (
        f"disclosure-register-{register.agency.slug}-"
        f"{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.{fmt}"
    )


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


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(
            _("Choose one of these formats: %(formats)s.") % {"formats": ", ".join(FORMATS)},
            code="invalid_format",
            field="format",
        )
    return fmt


def disclosure_register_download(
    *, actor: User, agency: str | None, period: Period, fmt: str, language: str
) -> tuple[bytes, str, str]:
    """The register of the agency (VIEW_DISCLOSURE_REGISTER: 404 not a member,
    403 without it) as a file: (content, file name, content type). Recorded in
    the access log as an export of the agency's register."""
    fmt = check_format(fmt)
    found = get_register_agency(actor, agency)
    with translation.override(language):
        register = disclosure_register(found, period)
        content = register_file(register, fmt, user=actor, language=language)
    record_access(
        actor,
        Action.EXPORT,
        object_type="reports.disclosure_register",
        object_id=str(found.pk),
        agency_id=found.pk,
    )
    return content, filename(register, fmt), FORMATS[fmt]


# --- Report jobs --------------------------------------------------------------------------


def check_disclosure_register(actor: User, parameters: dict) -> tuple[Agency, dict]:
    """A register job's parameters: ``agency`` (slug or id), ``from``, ``to``."""
    parameters = parameters if isinstance(parameters, dict) else {}
    agency = get_register_agency(actor, text_parameter(parameters, "agency"))
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


def build_disclosure_register(job: ReportJob, progress: Progress) -> tuple[bytes, str]:
    """The register as ``job.requested_by`` may read it now, in the job's language."""
    actor = job.requested_by
    language = job.language or settings.LANGUAGE_CODE
    agency, parameters = check_disclosure_register(actor, job.parameters)
    period = Period(
        start=datetime.date.fromisoformat(parameters["from"]),
        end=datetime.date.fromisoformat(parameters["to"]),
    )
    progress(10)
    with translation.override(language):
        register = disclosure_register(agency, period)
        progress(40)
        content = register_file(register, job.format, user=actor, language=language)
    progress(95)
    return content, filename(register, job.format)


register_report_kind(
    ReportKind(
        kind=ReportJob.Kind.DISCLOSURE_REGISTER,
        formats=(ReportJob.Format.PDF, ReportJob.Format.CSV, ReportJob.Format.XLSX),
        check=check_disclosure_register,
        build=build_disclosure_register,
    )
)
