"""The case list as CSV or XLSX (report kind ``case_list``).

The same rows as ``GET /api/v1/cases/``: the same filters (read by the API's
own query serializer), the same order (most recently updated first), the same
fields per row built by the API's row serializer, from the same scope
(``filter_cases`` over ``cases_visible_to`` the requester), so a restricted
case of another caseworker is as absent here as there. Only the agencies
where the requester holds EXPORT_CASES are exported: the permission is the
agency's to give. The list page's "my follow-ups" filter is accepted too.

Cells that could start a formula are neutralised by ``reports.tabular``; the
download is logged as an export (``reports.services.jobs.download_report``).
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import agencies_of, agencies_where, time_zone_of
from casework import selectors
from casework.api.cases import CaseListItemSerializer, CaseListQuerySerializer
from casework.selectors import FollowUpPeriod
from config.errors import Forbidden, InvalidInput
from reports.kinds import Progress, ReportKind, register_report_kind
from reports.models import ReportJob
from reports.tabular import Sheet, to_csv, to_xlsx

# Rows read from the database at a time (and the step between progress writes).
CHUNK_SIZE = 500


class CaseListExportSerializer(CaseListQuerySerializer):
    """The API list's filters, and the list page's "my follow-ups"."""

    my_follow_ups = serializers.ChoiceField(
        choices=FollowUpPeriod.choices,
        required=False,
        help_text="Only cases with an open follow-up of yours due then.",
    )


# (column header, the value in the API's row). CSV writes the API's values
# (dates as its ISO 8601 text); XLSX takes dates from the database row so that
# they stay dates (``_TYPED``).
COLUMNS = (
    (_("Case id"), lambda api: api["id"]),
    (_("Case number"), lambda api: api["number"]),
    (_("Client id"), lambda api: api["client"]["id"]),
    (_("Client name"), lambda api: api["client"]["name"]),
    (_("Client name (Latin script)"), lambda api: api["client"]["name_latin"]),
    (_("Type"), lambda api: api["case_type"]),
    (_("Status"), lambda api: api["status"]),
    (_("Risk level"), lambda api: api["risk_level"]),
    (_("Assigned to (id)"), lambda api: (api["assigned_to"] or {}).get("id")),
    (_("Assigned to"), lambda api: (api["assigned_to"] or {}).get("display_name")),
    (_("Restricted"), lambda api: api["is_restricted"]),
    (_("Opened"), lambda api: api["opened_at"]),
    (_("Updated"), lambda api: api["updated_at"]),
    (_("Version"), lambda api: api["version"]),
    (_("You may edit"), lambda api: api["can_edit"]),
)
# Column index -> the database row's field, for XLSX.
_TYPED = {11: "opened_at", 12: "updated_at"}


def _filters(parameters: dict) -> dict:
    """The validated filters; a 400 naming the first parameter at fault."""
    if not isinstance(parameters, dict):
        raise InvalidInput(_("Give the parameters as an object."), field="parameters")
    reader = CaseListExportSerializer(data=parameters)
    for name in parameters:
        if name not in reader.fields:
            raise InvalidInput(
                _("The case list has no filter of this name."),
                code="unknown_parameter",
                field=f"parameters.{name}",
            )
    if not reader.is_valid():
        name, messages = next(iter(reader.errors.items()))
        raise InvalidInput(messages[0], code="invalid", field=f"parameters.{name}")
    return dict(reader.validated_data)


def _export_agencies(actor: User) -> frozenset:
    return agencies_where(actor, Perm.EXPORT_CASES)


def check_case_list(actor: User, parameters: dict) -> tuple[Agency, dict]:
    """EXPORT_CASES in some agency (403 otherwise) and the list's filters
    (400 naming ``parameters.<filter>``). The job is about the agency the
    ``agency`` filter names when the actor may export there, otherwise the
    first (by name) of the agencies they may export."""
    export_agencies = _export_agencies(actor)
    if not export_agencies:
        raise Forbidden()
    filters = _filters(parameters)
    agencies = agencies_of(actor).filter(pk__in=export_agencies).order_by("name")
    agency = None
    if filters.get("agency"):
        agency = agencies.filter(slug=filters["agency"]).first()
    agency = agency or agencies.first()
    if agency is None:
        raise Forbidden()
    # Kept as given and validated (JSON-ready); defaults left out.
    cleaned = {
        name: value
        for name, value in CaseListExportSerializer(filters).data.items()
        if name in filters and value not in ("", False, None)
    }
    return agency, cleaned


def _cases(actor: User, filters: dict):
    cases = selectors.filter_cases(
        actor,
        query=filters.get("q", ""),
        status=filters.get("status", ""),
        case_type=filters.get("type", ""),
        risk_level=filters.get("risk", ""),
        assigned_to_me=filters.get("assigned_to_me", False),
        overdue_follow_ups=filters.get("overdue_follow_ups", False),
        my_follow_ups=filters.get("my_follow_ups", ""),
        updated_since=filters.get("updated_since"),
        agency=filters.get("agency", ""),
        assignee=filters.get("assignee", ""),
        high_risk=filters.get("high_risk", False),
        inactive=filters.get("inactive", False),
    )
    return cases.filter(agency_id__in=_export_agencies(actor)).order_by("-updated_at", "-id")


def case_list_rows(
    actor: User, parameters: dict, progress: Progress, *, typed: bool = False
) -> Iterator[list]:
    """The export's rows, read in chunks, each built by the API's row
    serializer as ``actor`` would get it from ``GET /api/v1/cases/``;
    ``typed``: dates as datetimes, not text."""
    cases = _cases(actor, _filters(parameters))
    total = cases.count()
    rows = selectors.case_list_rows(cases).iterator(chunk_size=CHUNK_SIZE)
    done = 0
    chunk: list[dict] = []

    def emit(chunk: list[dict]):
        serializer = CaseListItemSerializer(
            context={"editable": selectors.editable_case_ids(actor, chunk)}
        )
        for row in chunk:
            api = serializer.to_representation(row)
            values = [read(api) for _header, read in COLUMNS]
            if typed:
                for index, field in _TYPED.items():
                    values[index] = row[field]
            yield values

    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield from emit(chunk)
            done += len(chunk)
            chunk = []
            progress(min(99, done * 100 // max(total, 1)))
    if chunk:
        yield from emit(chunk)
    progress(99)


def build_case_list(job: ReportJob, progress: Progress) -> tuple[bytes, str]:
    """The file, as the requester's scope and filters give it now. XLSX dates
    are in the requester's time zone (CSV keeps the API's UTC text)."""
    actor = job.requested_by
    headers = [str(header) for header, _read in COLUMNS]
    with timezone.override(ZoneInfo(time_zone_of(actor))):
        if job.format == ReportJob.Format.XLSX:
            rows = case_list_rows(actor, job.parameters, progress, typed=True)
            content = to_xlsx([Sheet(title=str(_("Cases")), headers=headers, rows=rows)])
        else:
            content = to_csv(headers, case_list_rows(actor, job.parameters, progress))
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return content, f"cases-{job.agency.slug}-{stamp}.{job.format}"


register_report_kind(
    ReportKind(
        kind=ReportJob.Kind.CASE_LIST,
        formats=(ReportJob.Format.CSV, ReportJob.Format.XLSX),
        check=check_case_list,
        build=build_case_list,
    )
)
