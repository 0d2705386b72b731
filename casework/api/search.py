"""One search over clients and cases, ranked (the API of the header's search box)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import selectors
from casework.api.cases import ClientRefSerializer
from casework.api.clients import ClientListItemSerializer
from casework.models import Case
from config.http.query import QuerySerializer
from config.http.serializers import UserRefSerializer

RANK_HELP = (
    "0: the exact case or identity-document number; 1: the whole name (any script, "
    "spelling or word order); 2: every word starts a word of the name as written; "
    "3: every word matches through its consonant skeleton only (Moh → Muhammad)."
)


class SearchQuerySerializer(QuerySerializer):
    q = serializers.CharField(
        max_length=200,
        allow_blank=True,
        help_text="A name in any script or spelling (al-/el- joined or apart), an exact "
        "case number such as AMAL-2026-00012, or an identity-document number.",
    )


class SearchClientSerializer(ClientListItemSerializer):
    rank = serializers.IntegerField(help_text=RANK_HELP)


class SearchCaseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    client = ClientRefSerializer()
    case_type = serializers.ChoiceField(choices=Case.Type.choices)
    status = serializers.ChoiceField(choices=Case.Status.choices)
    risk_level = serializers.ChoiceField(choices=Case.Risk.choices)
    assigned_to = UserRefSerializer(allow_null=True)
    is_restricted = serializers.BooleanField()
    updated_at = serializers.DateTimeField()
    rank = serializers.IntegerField(help_text=RANK_HELP)


class SearchResultsSerializer(serializers.Serializer):
    clients = SearchClientSerializer(many=True)
    cases = SearchCaseSerializer(many=True)
    more_clients = serializers.BooleanField(
        help_text="More clients match: page through `GET /api/v1/clients/?q=`."
    )
    more_cases = serializers.BooleanField(
        help_text="More cases match: page through `GET /api/v1/cases/?q=`."
    )


class SearchView(APIView):
    """Clients and cases you can see that match ``q``, best match first."""

    @extend_schema(
        operation_id="search",
        summary="Search clients and cases",
        parameters=[SearchQuerySerializer],
        responses={200: SearchResultsSerializer},
        description="At most 20 clients and 20 cases, ranked (`rank`, then the name for "
        "clients and the last update for cases); `more_clients` / `more_cases` say the "
        "cap cut a list. Only what you may see; the search is recorded in the access "
        "log (without its text). An empty `q` answers empty lists.",
    )
    def get(self, request):
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data["q"].strip()
        if not query:
            data = {"clients": [], "cases": [], "more_clients": False, "more_cases": False}
            return Response(SearchResultsSerializer(data).data)
        results = selectors.search_everything(request.user, query)
        data = {
            "clients": results.clients,
            "cases": results.cases,
            "more_clients": results.more_clients,
            "more_cases": results.more_cases,
        }
        return Response(SearchResultsSerializer(data).data)
