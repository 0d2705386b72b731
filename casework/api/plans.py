"""A case's integration plan: the plan, its goals and actions, and the
client's agreement to each version.

Reads need VIEW_PLAN on the case (``get_case_for``: 404 for a case you cannot
see, 403 without the permission); a goal about health, and its actions, are
not there (404, left out of lists) for who lacks VIEW_SENSITIVE on the case.
Writes go through ``casework.services.plans``, which checks CHANGE_PLAN.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import Perm
from casework import selectors, services
from casework.models import PlanAction, PlanAgreement, PlanDomain, PlanGoal
from casework.services.plans import TEXT_MAX_LENGTH
from config.errors import NotFound
from config.http.pagination import KeysetCursorPagination
from config.http.preconditions import if_match_version, with_version_headers
from config.http.query import QuerySerializer
from config.http.schema import ETAG_HEADER, IF_MATCH_REQUIRED, LOCATION_HEADER, PROBLEM_428
from config.http.serializers import (
    AgencyRefSerializer,
    ChangeInSerializer,
    InputSerializer,
    UserRefSerializer,
)

_REASON_HELP = "Why (kept in the history); required to drop a goal or an action, or to block one."

# --- The plan ----------------------------------------------------------------------------


class PlanAgreementOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    plan_version = serializers.IntegerField(help_text="The version of the plan it is about.")
    method = serializers.ChoiceField(
        choices=PlanAgreement.Method.choices,
        help_text="How the client agreed, or `not_obtained` (then `reason` says why).",
    )
    agreed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the client agreed; null when not obtained."
    )
    reason = serializers.CharField(help_text="Why it was not obtained, or a remark on how it was.")
    document = serializers.UUIDField(
        source="document_id",
        allow_null=True,
        help_text="The signed form: a document of the case (its id), or null.",
    )
    recorded_by = UserRefSerializer()
    recorded_at = serializers.DateTimeField()


class PlanOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField(
        help_text="v1, v2…: one more for each change of what the plan says (a goal or action "
        "added, reworded, re-dated, handed to someone else or dropped); progress is not a "
        "new version."
    )
    client_language = serializers.CharField(
        help_text="The language the client reads the printed plan in (blank: none named)."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    agreement = PlanAgreementOutSerializer(
        allow_null=True,
        help_text="The latest record of the client's agreement (or why not), to any version; "
        "null when none was recorded.",
    )
    awaits_agreement = serializers.BooleanField(
        help_text="The current version has no record of agreement (or why not) yet."
    )
    is_agreed = serializers.BooleanField(help_text="The client agreed to the current version.")
    can_change = serializers.BooleanField(
        help_text="You may change the plan now (CHANGE_PLAN, and the case is not closed)."
    )


class CasePlanView(APIView):
    @extend_schema(
        operation_id="cases_plan_retrieve",
        summary="The integration plan of a case",
        description="Its version (also the ETag) and the client's agreement. Needs VIEW_PLAN "
        "on the case. A case whose plan was not drawn up yet (no goal was ever added) answers "
        "404 `no_plan`; a case you cannot see, 404 `not_found`. The goals and actions are "
        "lists of their own (`goals/`, `actions/`).",
        parameters=[ETAG_HEADER],
        responses={200: PlanOutSerializer},
    )
    def get(self, request, case_id):
        case = selectors.get_case_for(request.user, case_id, Perm.VIEW_PLAN)
        view = selectors.plan_view_for(request.user, case)
        if view is None or view.plan is None:
            raise NotFound(_("This case has no plan yet."), code="no_plan")
        plan = view.plan
        body = {
            "id": plan.pk,
            "version": plan.version,
            "client_language": plan.client_language,
            "created_at": plan.created_at,
            "updated_at": plan.updated_at,
            "agreement": view.agreement,
            "awaits_agreement": view.awaits_agreement,
            "is_agreed": view.is_agreed,
            "can_change": view.can_change,
        }
        return with_version_headers(Response(PlanOutSerializer(body).data), plan)


# --- Goals -------------------------------------------------------------------------------


class PlanGoalInSerializer(InputSerializer):
    domain = serializers.ChoiceField(
        choices=PlanDomain.choices,
        help_text="A goal about `health` needs VIEW_SENSITIVE on the case (403 otherwise).",
    )
    statement = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, help_text="The goal, in the agency's language."
    )
    statement_client = serializers.CharField(
        max_length=TEXT_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="The goal as the client says it, any script.",
    )
    target_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Today or later (400 `past` otherwise).",
    )
    priority = serializers.ChoiceField(
        choices=PlanGoal.Priority.choices, default=PlanGoal.Priority.MEDIUM
    )


class PlanGoalUpdateInSerializer(ChangeInSerializer):
    domain = serializers.ChoiceField(choices=PlanDomain.choices, required=False)
    statement = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False)
    statement_client = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True
    )
    target_date = serializers.DateField(
        required=False, allow_null=True, help_text="Today or later; null: none."
    )
    priority = serializers.ChoiceField(choices=PlanGoal.Priority.choices, required=False)
    status = serializers.ChoiceField(
        choices=PlanGoal.Status.choices,
        required=False,
        help_text="`dropped` needs a `reason`; `active` takes a goal up again.",
    )
    reason = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, help_text=_REASON_HELP
    )


class PlanGoalOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    domain = serializers.ChoiceField(choices=PlanDomain.choices)
    statement = serializers.CharField()
    statement_client = serializers.CharField()
    target_date = serializers.DateField(allow_null=True)
    priority = serializers.ChoiceField(choices=PlanGoal.Priority.choices)
    status = serializers.ChoiceField(choices=PlanGoal.Status.choices)
    status_reason = serializers.CharField(help_text="Why it was dropped (blank otherwise).")
    version = serializers.IntegerField(help_text="The goal's own version (its ETag).")
    plan_version = serializers.IntegerField(
        source="plan.version",
        help_text="The plan's version as this answer was made: the version the client agrees to.",
    )
    created_by = UserRefSerializer()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _goal_url(goal: PlanGoal) -> str:
    return reverse("api-case-plan-goal", kwargs={"case_id": goal.case_id, "goal_id": goal.pk})


def _goal_response(goal: PlanGoal, *, status_code: int = 200) -> Response:
    response = Response(PlanGoalOutSerializer(goal).data, status=status_code)
    return with_version_headers(response, goal, _goal_url(goal) if status_code == 201 else "")


class CasePlanGoalsView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("created_at", "id")

    @extend_schema(
        operation_id="cases_plan_goals_list",
        summary="Goals of a case's integration plan",
        description="Oldest first, cursor-paginated (`cursor`, `page_size` ≤ 100, default 50), "
        "no total count; achieved and dropped goals included. Needs VIEW_PLAN. Goals about "
        "health are listed only for who holds VIEW_SENSITIVE on the case (the assigned "
        "caseworker, supervisors). A case without a plan has no goals.",
        responses={200: PlanGoalOutSerializer(many=True)},
    )
    def get(self, request, case_id):
        case = selectors.get_case_for(request.user, case_id, Perm.VIEW_PLAN)
        goals = selectors.goals_visible_to(request.user, case).select_related("plan")
        page = self.paginate_queryset(goals)
        return self.get_paginated_response(PlanGoalOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cases_plan_goals_create",
        summary="Add a goal to a case's integration plan",
        description="Needs CHANGE_PLAN on a case that is not closed (409 `case_closed`). The "
        "first goal draws the plan up (version 1); each later one makes a new version of the "
        "plan, which then awaits the client's agreement.",
        request=PlanGoalInSerializer,
        parameters=[ETAG_HEADER, LOCATION_HEADER],
        responses={201: PlanGoalOutSerializer},
    )
    def post(self, request, case_id):
        data = PlanGoalInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        goal = services.add_goal(actor=request.user, case_id=case_id, **data.validated_data)
        return _goal_response(goal, status_code=status.HTTP_201_CREATED)


class CasePlanGoalView(APIView):
    @extend_schema(
        operation_id="cases_plan_goals_retrieve",
        summary="Get a goal",
        description="Needs VIEW_PLAN. A goal about health is 404 for who lacks VIEW_SENSITIVE "
        "on the case.",
        parameters=[ETAG_HEADER],
        responses={200: PlanGoalOutSerializer},
    )
    def get(self, request, case_id, goal_id):
        _case, goal = selectors.get_goal_for(request.user, case_id, goal_id)
        return _goal_response(goal)

    @extend_schema(
        operation_id="cases_plan_goals_partial_update",
        summary="Change a goal",
        description="Its wording, domain, target date, priority, or its status (`achieved`; "
        "`dropped` with a `reason`; `active` again). Needs CHANGE_PLAN on a case that is not "
        "closed (409 `case_closed`). A change of what the goal says, or dropping it or taking "
        "it up again, makes a new version of the plan; marking it achieved does not.",
        request=PlanGoalUpdateInSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        responses={200: PlanGoalOutSerializer, **PROBLEM_428},
    )
    def patch(self, request, case_id, goal_id):
        version = if_match_version(request, required=True)
        data = PlanGoalUpdateInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        reason = changes.pop("reason", "")
        goal = services.update_goal(
            actor=request.user,
            case_id=case_id,
            goal_id=goal_id,
            expected_version=version,
            changes=changes,
            reason=reason,
        )
        return _goal_response(goal)


# --- Actions -----------------------------------------------------------------------------


class PlanActionInSerializer(InputSerializer):
    goal = serializers.UUIDField(
        help_text="An active goal of the plan you see (409 `goal_closed` for an achieved or "
        "dropped one)."
    )
    description = serializers.CharField(max_length=TEXT_MAX_LENGTH, help_text="What is to be done.")
    responsible = serializers.ChoiceField(
        choices=PlanAction.Responsible.choices,
        help_text="`staff` names `responsible_user`, `partner` names `responsible_agency`.",
    )
    responsible_user = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="With `staff`: an active caseworker or supervisor of the case's agency.",
    )
    responsible_agency = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="With `partner`: another agency (its id).",
    )
    due_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today or later."
    )


class PlanActionUpdateInSerializer(ChangeInSerializer):
    description = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False)
    responsible = serializers.ChoiceField(
        choices=PlanAction.Responsible.choices,
        required=False,
        help_text="Not while a referral carries the action out (409 `action_referred`).",
    )
    responsible_user = serializers.UUIDField(required=False, allow_null=True)
    responsible_agency = serializers.UUIDField(required=False, allow_null=True)
    due_on = serializers.DateField(
        required=False, allow_null=True, help_text="Today or later; null: none."
    )
    status = serializers.ChoiceField(
        choices=PlanAction.Status.choices,
        required=False,
        help_text="`dropped` and `blocked` need a `reason`. An action done whose goal has "
        "nothing else left achieves the goal.",
    )
    evidence_document = serializers.UUIDField(
        required=False, allow_null=True, help_text="A document of the case you see; null: none."
    )
    evidence_note = serializers.UUIDField(
        required=False, allow_null=True, help_text="A note of the case you see; null: none."
    )
    reason = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, help_text=_REASON_HELP
    )


class PlanActionOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    goal = serializers.UUIDField(source="goal_id")
    description = serializers.CharField()
    responsible = serializers.ChoiceField(choices=PlanAction.Responsible.choices)
    responsible_user = UserRefSerializer(allow_null=True, help_text="With `staff`.")
    responsible_agency = AgencyRefSerializer(allow_null=True, help_text="With `partner`.")
    due_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=PlanAction.Status.choices)
    status_reason = serializers.CharField(
        help_text="Why it was dropped or is blocked; what a referral's answer said."
    )
    referral_state = serializers.CharField(
        help_text="The state of the referral carrying it out (draft, sent, accepted, "
        "completed, declined, expired, withdrawn, cancelled) as last reported; blank: never "
        "referred."
    )
    is_overdue = serializers.BooleanField(help_text="Open and past its due date.")
    evidence_document = serializers.UUIDField(source="evidence_document_id", allow_null=True)
    evidence_note = serializers.UUIDField(source="evidence_note_id", allow_null=True)
    progressed_at = serializers.DateTimeField(
        help_text="The last time someone moved it on (what `stalled` is measured from)."
    )
    version = serializers.IntegerField(help_text="The action's own version (its ETag).")
    plan_version = serializers.IntegerField(
        source="goal.plan.version",
        help_text="The plan's version as this answer was made: the version the client agrees to.",
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PlanActionsQuerySerializer(QuerySerializer):
    goal = serializers.UUIDField(
        required=False, help_text="Only the actions of this goal (one you cannot see: none)."
    )


def _action_url(action: PlanAction) -> str:
    return reverse(
        "api-case-plan-action", kwargs={"case_id": action.case_id, "action_id": action.pk}
    )


def _action_response(action: PlanAction, *, status_code: int = 200) -> Response:
    response = Response(PlanActionOutSerializer(action).data, status=status_code)
    return with_version_headers(response, action, _action_url(action) if status_code == 201 else "")


class CasePlanActionsView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("created_at", "id")

    @extend_schema(
        operation_id="cases_plan_actions_list",
        summary="Actions of a case's integration plan",
        description="Oldest first, cursor-paginated (`cursor`, `page_size` ≤ 100, default 50), "
        "no total count; `goal` keeps those of one goal. Needs VIEW_PLAN. The actions of a "
        "goal about health are listed only for who holds VIEW_SENSITIVE on the case.",
        parameters=[PlanActionsQuerySerializer],
        responses={200: PlanActionOutSerializer(many=True)},
    )
    def get(self, request, case_id):
        params = PlanActionsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        case = selectors.get_case_for(request.user, case_id, Perm.VIEW_PLAN)
        actions = selectors.actions_visible_to(request.user, case).select_related("goal__plan")
        goal_id = params.validated_data.get("goal")
        if goal_id is not None:
            actions = actions.filter(goal_id=goal_id)
        page = self.paginate_queryset(actions)
        return self.get_paginated_response(PlanActionOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cases_plan_actions_create",
        summary="Add an action under a goal",
        description="What, who is responsible (the client, a staff member of the agency, or a "
        "partner agency) and by when. Needs CHANGE_PLAN on a case that is not closed (409 "
        "`case_closed`); the goal must be active (409 `goal_closed`); a goal you cannot see "
        "is 404. Makes a new version of the plan.",
        request=PlanActionInSerializer,
        parameters=[ETAG_HEADER, LOCATION_HEADER],
        responses={201: PlanActionOutSerializer},
    )
    def post(self, request, case_id):
        data = PlanActionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        action = services.add_action(
            actor=request.user, case_id=case_id, goal_id=fields.pop("goal"), **fields
        )
        return _action_response(action, status_code=status.HTTP_201_CREATED)


class CasePlanActionView(APIView):
    @extend_schema(
        operation_id="cases_plan_actions_retrieve",
        summary="Get an action",
        description="Needs VIEW_PLAN. An action of a goal about health is 404 for who lacks "
        "VIEW_SENSITIVE on the case.",
        parameters=[ETAG_HEADER],
        responses={200: PlanActionOutSerializer},
    )
    def get(self, request, case_id, action_id):
        _case, action = selectors.get_action_for(request.user, case_id, action_id)
        return _action_response(action)

    @extend_schema(
        operation_id="cases_plan_actions_partial_update",
        summary="Change an action, or record its progress",
        description="What, who, due date (a new version of the plan), or its progress: "
        "`status` (`planned`, `in_progress`, `done`; `dropped` or `blocked` with a `reason`) "
        "and evidence (a document or a note of the case). Needs CHANGE_PLAN on a case that is "
        "not closed (409 `case_closed`). Dropping an action, or taking a dropped one up again, "
        "is a new version of the plan; other progress is not.",
        request=PlanActionUpdateInSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        responses={200: PlanActionOutSerializer, **PROBLEM_428},
    )
    def patch(self, request, case_id, action_id):
        version = if_match_version(request, required=True)
        data = PlanActionUpdateInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        reason = changes.pop("reason", "")
        action = services.update_action(
            actor=request.user,
            case_id=case_id,
            action_id=action_id,
            expected_version=version,
            changes=changes,
            reason=reason,
        )
        return _action_response(action)


# --- Agreement ---------------------------------------------------------------------------


class PlanAgreementInSerializer(InputSerializer):
    plan_version = serializers.IntegerField(
        min_value=1,
        help_text="The version of the plan shown to the client (409 `plan_changed` when the "
        "plan has changed since).",
    )
    method = serializers.ChoiceField(
        choices=PlanAgreement.Method.choices,
        help_text="How the client agreed, or `not_obtained` (then `reason` is required).",
    )
    agreed_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the client agreed (not in the future); required unless `not_obtained`.",
    )
    reason = serializers.CharField(
        max_length=TEXT_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the agreement was not obtained, or a remark on how it was.",
    )
    document = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The signed form: a document of the case you see (upload it first).",
    )


class CasePlanAgreementsView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-plan_version", "-recorded_at", "-id")

    @extend_schema(
        operation_id="cases_plan_agreements_list",
        summary="The client's agreement to each version of the plan",
        description="Every record, newest version first (a later record for the same version "
        "supersedes), cursor-paginated (`cursor`, `page_size` ≤ 100, default 50), no total "
        "count. Needs VIEW_PLAN. A case without a plan has none.",
        responses={200: PlanAgreementOutSerializer(many=True)},
    )
    def get(self, request, case_id):
        case = selectors.get_case_for(request.user, case_id, Perm.VIEW_PLAN)
        plan = selectors.plan_of(case)
        agreements = (
            selectors.agreements_of(plan) if plan is not None else PlanAgreement.objects.none()
        )
        page = self.paginate_queryset(agreements)
        return self.get_paginated_response(PlanAgreementOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cases_plan_agreements_create",
        summary="Record the client's agreement to the plan, or why it was not obtained",
        description="Needs CHANGE_PLAN. `plan_version` is the version shown to the client: "
        "if the plan has changed since, 409 `plan_changed`; a case without a plan, 409 "
        "`no_plan`. Append-only: a later record for the same version supersedes the earlier.",
        request=PlanAgreementInSerializer,
        responses={201: PlanAgreementOutSerializer},
    )
    def post(self, request, case_id):
        data = PlanAgreementInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        agreement = services.record_plan_agreement(
            actor=request.user,
            case_id=case_id,
            plan_version=fields["plan_version"],
            method=fields["method"],
            agreed_at=fields["agreed_at"],
            reason=fields["reason"],
            document_id=fields["document"],
        )
        return Response(PlanAgreementOutSerializer(agreement).data, status=status.HTTP_201_CREATED)
