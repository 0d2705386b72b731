"""``GET /api/v1/reports/disclosure-register/``: the disclosure register as JSON."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.api.periods import period_parameter
from reports.api.statistics import SUPPRESSION_REASONS
from reports.documents.disclosure_register import DISCLOSURE_REGISTER
from reports.selectors.disclosure import DisclosureRegister, disclosure_register
from reports.suppression import Table

QUERY = [
    OpenApiParameter(
        "agency",
        str,
        description="The agency's short name or id (default: the first agency, by name, "
        "whose register you may read).",
    ),
    period_parameter(
        "from",
        "First month (YYYY-MM) or day (YYYY-MM-DD); default the 1st of January this year.",
    ),
    period_parameter("to", "Last month (YYYY-MM) or day (YYYY-MM-DD); default today."),
]


class RegisterCellSerializer(serializers.Serializer):
    shown = serializers.CharField(help_text='What to show: "12", "<5" or "×".')
    count = serializers.IntegerField(
        allow_null=True, help_text="The count; null when the cell is hidden."
    )
    hidden = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=SUPPRESSION_REASONS,
        allow_blank=True,
        help_text="small: below the agency's threshold; secondary: hidden so the small "
        "ones cannot be worked out from the totals.",
    )


class RegisterColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class RegisterRowSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    cells = RegisterCellSerializer(many=True, help_text="One per column, in the columns' order.")
    total = RegisterCellSerializer()


class RegisterTableSerializer(serializers.Serializer):
    columns = RegisterColumnSerializer(many=True)
    rows = RegisterRowSerializer(many=True)
    column_totals = RegisterCellSerializer(many=True)
    total = RegisterCellSerializer()


class RegisterCategoryRowSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    cells = RegisterCellSerializer(many=True, help_text="One per column, in the columns' order.")


class RegisterCategoryTableSerializer(serializers.Serializer):
    columns = RegisterColumnSerializer(many=True)
    rows = RegisterCategoryRowSerializer(many=True)


class RegisterPartnerSerializer(serializers.Serializer):
    agency = serializers.UUIDField()
    name = serializers.CharField()
    by_lawful_basis = RegisterTableSerializer(
        help_text="Packets by the lawful basis of the consent relied on, and on a "
        "supervisor's override; row totals are the packets sent."
    )
    by_data_category = RegisterCategoryTableSerializer(
        help_text="Packets carrying each data category. A packet carries several, so the "
        "table has no totals (they would mean nothing)."
    )


class RegisterAgencySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    name = serializers.CharField()


class DisclosureRegisterSerializer(serializers.Serializer):
    agency = RegisterAgencySerializer()
    start = serializers.DateField(help_text="First day of the period.")
    end = serializers.DateField(help_text="Last day of the period.")
    k = serializers.IntegerField(help_text="The agency's small-cell threshold.")
    partners = RegisterPartnerSerializer(many=True)


def _cell(cell) -> dict:
    # A hidden cell's count is None already: the number never left the suppression.
    return cell.as_json()


def _columns(table: Table, keys: list[str]) -> list[dict]:
    return [
        {"key": key, "label": label} for key, label in zip(keys, table.column_labels, strict=True)
    ]


def _table(table: Table, keys: list[str], register: DisclosureRegister) -> dict:
    return {
        "columns": _columns(table, keys),
        "rows": [
            {
                "month": month.strftime("%Y-%m"),
                "cells": [_cell(cell) for cell in cells],
                "total": _cell(total),
            }
            for month, (_label, cells, total) in zip(register.months, table.rows, strict=True)
        ],
        "column_totals": [_cell(cell) for cell in table.column_totals],
        "total": _cell(table.total),
    }


def _category_table(table: Table, keys: list[str], register: DisclosureRegister) -> dict:
    # No totals: the categories overlap (see reports.selectors.disclosure).
    return {
        "columns": _columns(table, keys),
        "rows": [
            {"month": month.strftime("%Y-%m"), "cells": [_cell(cell) for cell in cells]}
            for month, cells in zip(register.months, table.cells, strict=True)
        ],
    }


def register_json(register: DisclosureRegister) -> dict:
    return {
        "agency": register.agency,
        "start": register.period.start,
        "end": register.period.end,
        "k": register.k,
        "partners": [
            {
                "agency": partner.agency_id,
                "name": partner.name,
                "by_lawful_basis": _table(partner.by_basis, register.basis_keys, register),
                "by_data_category": _category_table(
                    partner.by_category, register.category_keys, register
                ),
            }
            for partner in register.partners
        ],
    }


class DisclosureRegisterView(APIView):
    @extend_schema(
        operation_id="reports_disclosure_register",
        summary="Disclosure register of an agency",
        description="To which partner agencies the agency sent referral packets, per month of "
        "the period (`from`/`to`, months or dates; default this year): packets by the lawful "
        "basis of the consent relied on and on a supervisor's override, and packets carrying "
        "each data category. A draft is not a disclosure; a packet withdrawn or declined after "
        'sending is. Every count below the agency\'s threshold `k` is hidden (`shown` "<k"), '
        'and enough others (`shown` "×") that no hidden count can be worked out from the '
        "totals; a hidden cell has `count: null`. Needs VIEW_DISCLOSURE_REGISTER in the agency "
        "(the DPO, supervisors): 403 for other members, 404 for anyone else; 400 naming "
        "`from` or `to` for a bad period.",
        parameters=QUERY,
        responses={200: DisclosureRegisterSerializer},
    )
    def get(self, request):
        agency, period = DISCLOSURE_REGISTER.agency_and_period(request.user, request.query_params)
        register = disclosure_register(agency, period)
        return Response(DisclosureRegisterSerializer(register_json(register)).data)
