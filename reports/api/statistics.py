"""``GET /api/v1/reports/statistics/``: an agency's statistics as JSON."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.api.periods import period_parameter
from reports.documents.statistics import STATISTICS
from reports.selectors.statistics import AgencyStatistics, StatTable, agency_statistics

QUERY = [
    OpenApiParameter(
        "agency",
        str,
        description="The agency's short name or id (default: the first agency, by name, "
        "whose statistics you may see).",
    ),
    period_parameter(
        "from",
        "First day (YYYY-MM-DD) or month (YYYY-MM); default the first day of the month "
        "eleven months ago.",
    ),
    period_parameter("to", "Last day (YYYY-MM-DD) or month (YYYY-MM); default today."),
]


# Why a cell is hidden (small-cell suppression); a shown cell's reason is blank.
SUPPRESSION_REASONS = ("small", "secondary")


class StatisticsCellSerializer(serializers.Serializer):
    shown = serializers.CharField(help_text='What to show: "12", "<5" or "×".')
    count = serializers.IntegerField(
        allow_null=True, help_text="The count; null whenever the cell is hidden."
    )
    hidden = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=SUPPRESSION_REASONS,
        allow_blank=True,
        help_text="small: below the agency's threshold (zero included); secondary: hidden so "
        "that the small ones cannot be worked out from the totals.",
    )


class StatisticsRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="A machine value: a case type, risk level or status code, a country code "
        "(`other`, `none`), a month (YYYY-MM), a user id or `unassigned`."
    )
    label = serializers.CharField()
    cells = StatisticsCellSerializer(many=True, help_text="One per column, in order.")
    total = StatisticsCellSerializer()


class StatisticsTableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = StatisticsRowSerializer(many=True)
    column_totals = StatisticsCellSerializer(many=True)
    total = StatisticsCellSerializer()
    withheld = serializers.BooleanField(
        help_text="True when no suppression could protect the table: every cell is hidden."
    )


class ResponseTimeSerializer(serializers.Serializer):
    shown = serializers.CharField()
    hours = serializers.FloatField(
        allow_null=True,
        help_text="Median hours from sending to acceptance or decline; null when fewer "
        "than k referrals had a response.",
    )
    hidden = serializers.BooleanField()


class StatisticsAgencySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    name = serializers.CharField()


class StatisticsSerializer(serializers.Serializer):
    agency = StatisticsAgencySerializer()
    start = serializers.DateField(help_text="First day of the period.")
    end = serializers.DateField(help_text="Last day of the period.")
    k = serializers.IntegerField(help_text="The agency's small-cell threshold.")
    tables = StatisticsTableSerializer(many=True)
    response_time_sent = ResponseTimeSerializer()
    response_time_received = ResponseTimeSerializer()


def _table(stat: StatTable) -> dict:
    table = stat.table
    # A hidden cell's count is None already: the number never left the suppression.
    return {
        "key": stat.key,
        "title": stat.title,
        "columns": table.column_labels,
        "rows": [
            {
                "key": key,
                "label": label,
                "cells": [cell.as_json() for cell in cells],
                "total": total.as_json(),
            }
            for key, (label, cells, total) in zip(stat.row_keys, table.rows, strict=True)
        ],
        "column_totals": [cell.as_json() for cell in table.column_totals],
        "total": table.total.as_json(),
        "withheld": table.withheld,
    }


def statistics_json(statistics: AgencyStatistics) -> dict:
    return {
        "agency": statistics.agency,
        "start": statistics.period.start,
        "end": statistics.period.end,
        "k": statistics.k,
        "tables": [_table(stat) for stat in statistics.tables],
        "response_time_sent": statistics.response_sent.as_json(),
        "response_time_received": statistics.response_received.as_json(),
    }


class StatisticsView(APIView):
    @extend_schema(
        operation_id="reports_statistics",
        summary="Statistics of an agency",
        description="The agency's caseload per caseworker and overdue follow-ups (today), "
        "the cases opened in the period (`from`/`to`; default the last twelve months) by "
        "type, risk level, first nationality and month, each by status today, and what "
        "became of the referrals sent and received in the period, with the median time to "
        "a response. Every count below the agency's threshold `k` (zero included) is hidden "
        '(`shown` "<k"), and enough others (`shown` "×") that no hidden count can be worked '
        "out from the totals; a hidden cell has `count: null`. Needs VIEW_STATISTICS in the "
        "agency (supervisors): 403 for other members, 404 for anyone else; 400 naming "
        "`from` or `to` for a bad period.",
        parameters=QUERY,
        responses={200: StatisticsSerializer},
    )
    def get(self, request):
        agency, period = STATISTICS.agency_and_period(request.user, request.query_params)
        figures = agency_statistics(request.user, agency, period)
        return Response(StatisticsSerializer(statistics_json(figures)).data)
