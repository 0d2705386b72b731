"""Who may take a case, for the one who chooses: the receiving agency opening
its case from a referral (``assigned_to`` of ``open-case``) and a supervisor
assigning the agency's cases (``assignee`` of ``/cases/{id}/assign/`` and
``/cases/assign/``). Both read ``selectors.assignable_staff``, the list of
exactly whom ``check_assignee`` accepts. The agency's list lives here rather
than in casework's API only because it shares this module's answer."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from accounts.permissions import Role
from config.http.pagination import OrderedKeysetPagination
from referrals import selectors
from referrals.selectors.assignees import ASSIGNEE_ROLES

# Caseworker first, as Role lists them.
ASSIGNEE_ROLE_CHOICES = [(value, label) for value, label in Role.choices if value in ASSIGNEE_ROLES]


class AssigneeSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The user's id: what `assigned_to` / `assignee` take.")
    display_name = serializers.CharField()
    role = serializers.ChoiceField(
        choices=ASSIGNEE_ROLE_CHOICES,
        read_only=True,
        help_text="Their role in the agency (supervisor when they are a caseworker too).",
    )


class AssigneeListView(GenericAPIView):
    """A page of people who may take a case, by display name, then id."""

    pagination_class = OrderedKeysetPagination
    keyset_ordering = ("display_name", "id")

    def respond(self, staff):
        page = self.paginate_queryset(staff)
        return self.get_paginated_response(AssigneeSerializer(page, many=True).data)


_PAGED = (
    "Ordered by display name, then id; cursor-paginated (`cursor`, `page_size` ≤ 100, "
    "default 50), no total count. Names and roles of staff only, no client data."
)


class ReferralAssigneesView(AssigneeListView):
    """Whom the receiving agency may give the case it opens from a referral."""

    @extend_schema(
        operation_id="referrals_assignees",
        summary="Who may take the case opened from a referral",
        responses={200: AssigneeSerializer(many=True)},
        description="The receiving agency's active caseworkers and supervisors (active "
        "accounts), one row each: exactly the people `POST /referrals/{id}/open-case/` "
        "accepts as `assigned_to`. For whoever may open that case (RESPOND_REFERRAL: the "
        "receiving agency's referral officers and supervisors while it holds the referral); "
        "anyone else gets what open-case answers them: 404 for a referral they do not see, "
        "403 for one they see without RESPOND_REFERRAL (the sending side). Answered whatever "
        "the referral's state: open-case says when a case can be opened. The referral is "
        "looked up as open-case looks it up: the access log records a view of it. " + _PAGED,
    )
    def get(self, request, referral_id):
        return self.respond(selectors.referral_assignees(request.user, referral_id))


class AgencyStaffView(AssigneeListView):
    """Whom a supervisor may assign the agency's cases."""

    @extend_schema(
        operation_id="agency_staff",
        summary="Who may be assigned your agency's cases",
        responses={200: AssigneeSerializer(many=True)},
        description="The agency's active caseworkers and supervisors (active accounts), one "
        "row each: exactly the people `POST /cases/{id}/assign/` and `POST /cases/assign/` "
        "accept as `assignee` for a case of this agency (and `POST /cases/` as "
        "`assigned_to`). Needs ASSIGN_CASE in the agency (its supervisors): 403 for other "
        "members, 404 for anyone else. " + _PAGED,
    )
    def get(self, request, slug):
        return self.respond(selectors.agency_assignees(request.user, slug))
