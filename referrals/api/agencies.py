"""The directory of partner agencies: every agency a user may refer to or
work with, and whether it takes referrals now. Open to every logged-in user,
like the service directory (organisations, no personal data). Lives with
referrals, not accounts: ``takes_referrals`` is read from the service
directory, which accounts may not import."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from accounts.models import Agency
from config.http.pagination import OrderedKeysetPagination
from config.http.query import QuerySerializer
from referrals import selectors


class AgencyListQuerySerializer(QuerySerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Words of the agency's name (each must appear).",
    )
    # Left out, no filter (QuerySerializer: not false).
    takes_referrals = serializers.BooleanField(
        required=False,
        help_text="true: only the agencies that take referrals now; false: only the others.",
    )


class AgencyListItemSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="What `to_agency` of `POST /referrals/` takes.")
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Agency.Kind.choices, read_only=True)
    takes_referrals = serializers.BooleanField(
        help_text="A referral addressed to it can be sent now: its data-sharing agreement "
        "is valid today (UTC). One to a service of it also needs that service's own "
        "`takes_referrals`."
    )


class AgencyListView(GenericAPIView):
    """Every agency, by name: the partners a referral may go to."""

    pagination_class = OrderedKeysetPagination
    keyset_ordering = ("name", "id")

    @extend_schema(
        operation_id="agencies_list",
        summary="List agencies (the directory of partners)",
        parameters=[AgencyListQuerySerializer],
        responses={200: AgencyListItemSerializer(many=True)},
        description="Every agency using Sanad, open to every logged-in user like the service "
        "directory: organisations only, no personal data. `takes_referrals` says whether a "
        "referral can be sent to it now (see the field). Filters: `q` (words of the name), "
        "`takes_referrals` (`true` or `false`; anything else is a 400 naming it). Ordered by "
        "name, then id; cursor-paginated (`cursor`, `page_size` ≤ 100, default 50), no total "
        "count. Your own agencies' settings: `GET /agencies/{slug}/`.",
    )
    def get(self, request):
        params = AgencyListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        agencies = selectors.partner_agencies(
            query=params.validated_data.get("q", ""),
            takes_referrals=params.validated_data.get("takes_referrals"),
        )
        page = self.paginate_queryset(agencies)
        return self.get_paginated_response(AgencyListItemSerializer(page, many=True).data)
