"""Who may take a case: the people ``check_assignee`` accepts, listed for the
one who chooses (the receiving agency opening its case from a referral, a
supervisor assigning the agency's cases). The rule itself is casework's
``assignable_members``; these only read it, so a list and the check that
refuses what it does not hold cannot drift apart."""

from uuid import UUID

from django.db.models import Case as Choose
from django.db.models import CharField, Exists, OuterRef, QuerySet, Value, When

from accounts.models import Agency, User
from accounts.permissions import Perm, Role
from accounts.selectors import get_agency_for
from casework.selectors import assignable_members
from referrals.selectors.referrals import get_referral_for

# The roles ``assignable_members`` admits, in the order a person holding both
# is shown by (the first they hold).
ASSIGNEE_ROLES = (Role.SUPERVISOR, Role.CASEWORKER)


def assignable_staff(agency: Agency | UUID) -> QuerySet[User]:
    """The people who may take a case of ``agency`` (``assignable_members``:
    its active caseworkers and supervisors, active accounts), one row each,
    annotated with ``role`` (supervisor when they hold both). Unordered: the
    caller pages it. One query. A system read: call it after the check that
    the actor may choose an assignee there."""
    members = assignable_members(agency)
    return (
        User.objects.filter(pk__in=members.values("user_id"))
        .only("id", "display_name")
        .annotate(
            role=Choose(
                *(
                    When(
                        Exists(members.filter(user_id=OuterRef("pk"), role=role)), then=Value(role)
                    )
                    for role in ASSIGNEE_ROLES
                ),
                output_field=CharField(),
            )
        )
    )


def referral_assignees(actor: User, referral_id: UUID | str) -> QuerySet[User]:
    """Who may take the case opened from the referral: the receiving agency's
    ``assignable_staff``, for someone ``open_case_from_referral`` lets open
    it. The same look-up as that service (``get_referral_for`` with
    RESPOND_REFERRAL): NotFound for a referral the actor does not see,
    Forbidden without RESPOND_REFERRAL on it. Whether a case can be opened
    now (its state) is the service's to say; the list is there before."""
    referral = get_referral_for(actor, referral_id, Perm.RESPOND_REFERRAL)
    return assignable_staff(referral.to_agency_id)


def agency_assignees(actor: User, slug: str) -> QuerySet[User]:
    """Who may take a case of the agency ``slug`` (``assignable_staff``), for
    someone who assigns its cases: ASSIGN_CASE there (its supervisors).
    NotFound outside the actor's agencies, Forbidden without it."""
    agency = get_agency_for(actor, slug, Perm.ASSIGN_CASE)
    return assignable_staff(agency)
