"""Who may take a case and how many open cases each already holds; the cases
a supervisor picked for a bulk reassignment."""

from collections.abc import Iterable
from uuid import UUID

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Agency, Membership, User
from accounts.permissions import Perm
from accounts.selectors import agencies_where
from casework.models import Case
from casework.selectors.case_items import assignable_members
from casework.selectors.scope import cases_visible_to, is_uuid


def with_open_caseload(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    """``memberships`` annotated with ``open_cases``: how many open cases of
    the membership's agency are assigned to its user. A correlated count in the
    same statement: one query whatever the number of people. No scope of its
    own: for those who assign in the agency (they see all its cases)."""
    open_cases = (
        Case.objects.filter(
            agency_id=OuterRef("agency_id"),
            assigned_to_id=OuterRef("user_id"),
            status=Case.Status.OPEN,
        )
        .order_by()
        .values("assigned_to_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return memberships.annotate(
        open_cases=Coalesce(Subquery(open_cases, output_field=IntegerField()), 0)
    )


def assignees_with_caseload(agency: Agency | UUID) -> list[Membership]:
    """The active caseworkers and supervisors of ``agency``, each with
    ``open_cases`` (their open cases there), by name. One query."""
    return list(with_open_caseload(assignable_members(agency)))


def common_assignees_with_caseload(agency_ids: Iterable[UUID]) -> list[Membership]:
    """The people who may take a case in every one of ``agency_ids`` (what a
    bulk reassignment across those agencies needs), each membership with
    ``open_cases``; several memberships of one person are summed by the form.
    One query."""
    agency_ids = set(agency_ids)
    if not agency_ids:
        return []
    memberships = list(with_open_caseload(assignable_members(agency_ids)))
    agencies_of: dict[UUID, set[UUID]] = {}
    for membership in memberships:
        agencies_of.setdefault(membership.user_id, set()).add(membership.agency_id)
    return [
        membership for membership in memberships if agencies_of[membership.user_id] == agency_ids
    ]


def cases_to_reassign(actor: User, case_ids: Iterable[str]) -> list[Case]:
    """Of ``case_ids``, the cases visible to ``actor`` that they may reassign
    now (ASSIGN_CASE in the case's agency, open or on hold), with client,
    agency and assignee, by number. Ids that are not such cases are left out
    (the page shows what it may offer; the service decides). One query."""
    ids = {str(case_id) for case_id in case_ids if is_uuid(case_id)}
    assigns_in = agencies_where(actor, Perm.ASSIGN_CASE)
    if not ids or not assigns_in:
        return []
    cases = (
        cases_visible_to(actor)
        .filter(pk__in=ids, agency_id__in=assigns_in)
        .select_related("client", "agency", "assigned_to")
        .order_by("number")
    )
    cases = list(cases)
    allowed = reassignable_case_ids(actor, cases)
    return [case for case in cases if case.pk in allowed]


def reassignable_case_ids(actor: User, cases: Iterable[Case]) -> set[UUID]:
    """Which of ``cases`` (already visible to the actor) they may reassign now:
    ASSIGN_CASE in the case's agency and an assignable state. Decided in memory
    from the roles already loaded (no query per row)."""
    assigns_in = agencies_where(actor, Perm.ASSIGN_CASE)
    return {case.pk for case in cases if case.agency_id in assigns_in and case.can_be_assigned}
