"""Scoped reads of referrals: who sees which referral, its packet, its
timeline and messages, the lists and the inbox counts.

``referrals_visible_to`` is the only way a list, count or API reads
referrals: the sending side sees the referrals of the cases it sees (in
agencies where its role may view referrals); the receiving side sees what
guardian rows grant it, which exist only while the referral is sent, accepted
or completed.
"""

from datetime import date, timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import BooleanField, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models import Case as Choose
from django.utils import timezone

from accounts.access import Action, record_access
from accounts.models import User
from accounts.permissions import Perm
from accounts.selectors import agencies_of, agencies_where, holds_in, role_group_ids
from casework.models import SPECIAL_CATEGORIES, Case, Consent, DataCategory
from casework.selectors import case_scope, get_case_for, is_uuid
from config.errors import Forbidden, NotFound
from referrals.models import (
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralMessage,
    ReferralPacket,
    ReferralUserObjectPermission,
)


def granted_referrals(user: User, perm: Perm) -> Q:
    """Referrals granted to the user or one of their role groups (guardian rows)."""
    parts = Q(
        pk__in=ReferralUserObjectPermission.objects.filter(
            user_id=user.pk, permission__codename=perm.codename
        ).values("content_object_id")
    )
    groups = role_group_ids(user)
    if groups:
        parts |= Q(
            pk__in=ReferralGroupObjectPermission.objects.filter(
                group_id__in=groups, permission__codename=perm.codename
            ).values("content_object_id")
        )
    return parts


def referral_scope(user: User) -> Q | None:
    """The condition of ``referrals_visible_to`` (None: no referral at all)."""
    if not user.is_authenticated or not user.is_active:
        return None
    sending = list(agencies_where(user, Perm.VIEW_REFERRAL))
    condition = granted_referrals(user, Perm.VIEW_REFERRAL)
    cases = case_scope(user) if sending else None
    if cases is not None:
        condition |= Q(
            from_agency_id__in=sending,
            case_id__in=Case.objects.filter(cases, agency_id__in=sending).values("pk"),
        )
    return condition


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    """Every referral ``user`` may see: sent from an agency where the role may
    view referrals, of a case the user sees; or granted to the user or one of
    their role groups (the receiving side). One SQL query."""
    condition = referral_scope(user)
    if condition is None:
        return Referral.objects.none()
    record_access(user, Action.LIST, object_type="referrals.referral")
    return Referral.objects.filter(condition)


def get_referral_for(
    actor: User, referral_id: UUID | str, perm: Perm = Perm.VIEW_REFERRAL, *, lock: bool = False
) -> Referral:
    """The referral if ``actor`` may see it (NotFound otherwise) and holds
    ``perm`` on it (Forbidden otherwise). ``lock`` takes a row lock for a
    state change (SQLite serialises writers with BEGIN IMMEDIATE instead) and
    reads the related rows after it."""
    related = ("case", "from_agency", "to_agency", "service", "from_user", "consent", "override_by")
    queryset = referrals_visible_to(actor)
    if not lock:
        queryset = queryset.select_related(*related)
    else:
        # Only the referral row is locked. When another transaction changed it
        # while this one waited, PostgreSQL re-reads that row but not the rows
        # joined to it: a consent or an override given by a send that just
        # committed would be missing. The related rows are read after the lock
        # instead, in a statement of their own, as they are now.
        queryset = queryset.select_for_update(of=("self",))
    referral = queryset.filter(pk=referral_id).first() if is_uuid(referral_id) else None
    if referral is None:
        raise NotFound()
    if lock:
        # Already found in the actor's scope and locked: read it again with its rows.
        referral = Referral.objects.select_related(*related).get(pk=referral.pk)
    if perm != Perm.VIEW_REFERRAL and not actor.has_perm(perm, referral):
        raise Forbidden()
    record_access(
        actor,
        Action.VIEW,
        referral,
        client_id=referral.case.client_id,
        case_id=referral.case_id,
        agency_id=referral.from_agency_id,
    )
    return referral


def get_packet_for(actor: User, referral_id: UUID | str) -> ReferralPacket:
    """The packet of a referral the actor may read it on (VIEW_PACKET): the
    sender, the receiving agency's officers and supervisors while it holds the
    referral, the caseworker of the case opened from it. NotFound for anyone
    else, and for a draft (nothing was sent yet)."""
    referral = get_referral_for(actor, referral_id)
    if not actor.has_perm(Perm.VIEW_PACKET, referral):
        raise NotFound()
    packet = getattr(referral, "packet", None) if referral.state != Referral.State.DRAFT else None
    if packet is None:
        raise NotFound()
    packet.withheld = ()
    if (
        is_sender_side(actor, referral)
        and set(packet.data) & SPECIAL_CATEGORIES
        and not actor.has_perm(Perm.VIEW_SENSITIVE, referral.case)
    ):
        # The sender's own colleagues see the packet as they see the case: without
        # special-category data unless they may see it there (DESIGN §5).
        packet.withheld = tuple(sorted(set(packet.data) & SPECIAL_CATEGORIES))
        packet.data = _without_special_categories(packet.data)
        packet.data_categories = [c for c in packet.data_categories if c not in packet.withheld]
    record_access(
        actor,
        Action.VIEW,
        packet,
        object_id=str(referral.pk),
        client_id=referral.case.client_id,
        case_id=referral.case_id,
        agency_id=referral.from_agency_id,
    )
    return packet


def _without_special_categories(data: dict) -> dict:
    shown = dict(data)
    for category in SPECIAL_CATEGORIES:
        shown.pop(category, None)
    documents = shown.get(DataCategory.DOCUMENTS)
    if documents:
        shown[DataCategory.DOCUMENTS] = {
            **documents,
            "documents": [d for d in documents["documents"] if d["category"] != "medical"],
        }
    return shown


# The inbox's order (the HTML inbox, the API list, the home sections): what
# needs an answer first, the most urgent of it first, the earliest respond-by
# date first. ``inbox_stage``: 0 awaiting an answer and past respond-by
# (overdue), 1 awaiting an answer, 2 still open (a draft, accepted), 3 done
# with (declined, completed, withdrawn, expired, cancelled). The respond-by
# date sorts a missing one last; the creation time and the id break ties.
INBOX_ORDERING = ("inbox_stage", "-urgency_rank", "respond_by", "created_at", "id")
URGENCY_RANK = {
    Referral.Urgency.EMERGENCY: 2,
    Referral.Urgency.URGENT: 1,
    Referral.Urgency.ROUTINE: 0,
}


def local_today() -> date:
    """Today where the reader is: the zone the request activated (pages), UTC
    for the API. Overdue means past respond-by on this day."""
    return timezone.localdate()


def overdue_condition(today: date) -> Q:
    """Sent (awaiting the receiving agency's answer) and past its respond-by date."""
    return Q(state=Referral.State.SENT, respond_by__lt=today)


def in_inbox_order(referrals: QuerySet[Referral], today: date | None = None) -> QuerySet[Referral]:
    """``referrals`` with the columns of ``INBOX_ORDERING`` (``inbox_stage``,
    ``urgency_rank``) and ``is_late`` (overdue on ``today``, default the
    reader's today), in that order. Page it with ``INBOX_ORDERING``."""
    today = today or local_today()
    open_states = [Referral.State.DRAFT, Referral.State.ACCEPTED]
    referrals = referrals.annotate(
        is_late=Choose(
            When(overdue_condition(today), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        inbox_stage=Choose(
            When(overdue_condition(today), then=Value(0)),
            When(state=Referral.State.SENT, then=Value(1)),
            When(state__in=open_states, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
        urgency_rank=Choose(
            *(When(urgency=urgency, then=Value(rank)) for urgency, rank in URGENCY_RANK.items()),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )
    return referrals.order_by(*INBOX_ORDERING)


def referral_list(
    actor: User,
    *,
    direction: str = "",
    state: str = "",
    overdue: bool | None = None,
    without_case: bool = False,
    case_id: UUID | None = None,
) -> QuerySet[Referral]:
    """Referrals the actor sees, filtered: ``direction`` incoming (to one of
    the actor's agencies) or outgoing (from one), ``state``, ``overdue`` (sent
    and past respond-by on the reader's today), ``without_case`` (no case
    opened from it by the receiving agency yet), one case. In the inbox's
    order (``in_inbox_order``: overdue first, then awaiting an answer, most
    urgent and earliest respond-by first)."""
    referrals = referrals_visible_to(actor).select_related("from_agency", "to_agency", "service")
    member_of = list(agencies_of(actor).values_list("pk", flat=True))
    if direction == "incoming":
        referrals = referrals.filter(to_agency_id__in=member_of)
    elif direction == "outgoing":
        referrals = referrals.filter(from_agency_id__in=member_of)
    if state:
        referrals = referrals.filter(state=state)
    today = local_today()
    if overdue is True:
        referrals = referrals.filter(overdue_condition(today))
    elif overdue is False:
        referrals = referrals.exclude(overdue_condition(today))
    if without_case:
        referrals = referrals.filter(receiving_case__isnull=True)
    if case_id is not None:
        referrals = referrals.filter(case_id=case_id)
    return in_inbox_order(referrals, today)


def inbox_counts(actor: User) -> dict[str, int]:
    """The partner inbox's counts, each the number of rows of the inbox filter
    it links to: new (sent: awaiting the agency's answer, ``state=sent``),
    accepted (``state=accepted``), overdue (``overdue``), accepted without a
    case opened from it yet (``state=accepted`` and ``without_case``)."""
    incoming = referral_list(actor, direction="incoming").order_by()
    sent = Q(state=Referral.State.SENT)
    accepted = Q(state=Referral.State.ACCEPTED)
    return incoming.aggregate(
        new=Count("pk", filter=sent),
        accepted=Count("pk", filter=accepted),
        overdue=Count("pk", filter=overdue_condition(local_today())),
        accepted_without_case=Count("pk", filter=accepted & Q(receiving_case__isnull=True)),
    )


def referral_timeline(referral: Referral) -> QuerySet[ReferralEvent]:
    """The referral's events, oldest first (call after ``get_referral_for``)."""
    return ReferralEvent.objects.filter(referral=referral).select_related("actor", "actor_agency")


def referral_messages(actor: User, referral_id: UUID | str) -> QuerySet[ReferralMessage]:
    """The conversation of a referral the actor may message on (MESSAGE_REFERRAL)."""
    referral = get_referral_for(actor, referral_id, Perm.MESSAGE_REFERRAL)
    return ReferralMessage.objects.filter(referral=referral).select_related(
        "author", "author_agency"
    )


def referrals_of_case(actor: User, case_id: UUID | str) -> QuerySet[Referral]:
    """The referrals sent from a case the actor sees (its referrals tab), newest first."""
    case = get_case_for(actor, case_id)
    return referral_list(actor, case_id=case.pk).order_by("-created_at", "-id")


def referrals_relying_on(consent: Consent) -> QuerySet[Referral]:
    """Open referrals whose disclosure rests on ``consent`` (system read)."""
    return Referral.objects.filter(consent=consent, state__in=Referral.OPEN_STATES)


def expirable_referrals(on: date | None = None) -> QuerySet[Referral]:
    """Sent referrals left unanswered for REFERRAL_EXPIRY_GRACE_DAYS after their
    respond-by date (system read, for the expiry sweep). Until then they are
    overdue: the partner's inbox shows them first."""
    on = on or timezone.now().date()
    last_day = on - timedelta(days=settings.REFERRAL_EXPIRY_GRACE_DAYS)
    return Referral.objects.filter(state=Referral.State.SENT, respond_by__lt=last_day)


def is_sender_side(actor: User, referral: Referral) -> bool:
    """Whether the actor reads the referral as the sending agency (VIEW_REFERRAL
    there and sees the case): the receiving side never sees the sender's case."""
    return holds_in(actor, Perm.VIEW_REFERRAL, referral.from_agency_id) and actor.has_perm(
        Perm.VIEW_CASE, referral.case
    )
