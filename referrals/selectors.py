"""Scoped reads of referrals and the service directory, and the one rule that
says what a referral may share.

``referrals_visible_to`` is the only way a list, count or API reads
referrals: the sending side sees the referrals of the cases it sees (in
agencies where its role may view referrals); the receiving side sees what
guardian rows grant it, which exist only while the referral is sent, accepted
or completed. ``referral_check`` is what the send form proposes and what
``send_referral`` enforces.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.access import Action, record_access
from accounts.models import Agency, Membership, Notification, User
from accounts.permissions import Perm
from accounts.selectors import agencies_of, agency_permissions, role_group_ids
from casework.models import SPECIAL_CATEGORIES, Case, Consent, DataCategory
from casework.selectors import case_scope, get_case_for, is_uuid
from casework.selectors.consent import ConsentCoverage, Gap, consent_covering
from config.errors import Forbidden, NotFound
from referrals.models import (
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralMessage,
    ReferralUserObjectPermission,
    Service,
)

# --- The service directory ---------------------------------------------------------


def services_directory(
    *, query: str = "", category: str = "", agency_slug: str = "", status: str = ""
) -> QuerySet[Service]:
    """Every agency's services (the directory is public to every logged-in
    user: it holds no personal data), filtered by words, kind, agency, status."""
    services = Service.objects.select_related("agency").order_by("name", "id")
    if query:
        for word in query.split()[:8]:
            services = services.filter(
                Q(name__icontains=word)
                | Q(alternate_name__icontains=word)
                | Q(description__icontains=word)
                | Q(agency__name__icontains=word)
                | Q(city__icontains=word)
            )
    if category:
        services = services.filter(category=category)
    if agency_slug:
        services = services.filter(agency__slug=agency_slug)
    if status:
        services = services.filter(status=status)
    return services


def get_service(service_id) -> Service:
    """One service of the directory (NotFound for an unknown id)."""
    service = (
        Service.objects.select_related("agency").filter(pk=service_id).first()
        if is_uuid(service_id)
        else None
    )
    if service is None:
        raise NotFound()
    return service


def get_service_for(actor: User, service_id, perm: Perm = Perm.MANAGE_SERVICES) -> Service:
    """A service the actor may change (MANAGE_SERVICES in its agency). The
    directory is public, so a service of another agency is 403, not 404."""
    service = get_service(service_id)
    if not actor.has_perm(perm, service):
        raise Forbidden()
    return service


def agencies_managed_by(actor: User) -> QuerySet[Agency]:
    """Agencies whose services the actor maintains."""
    ids = [
        agency_id
        for agency_id, perms in agency_permissions(actor).items()
        if Perm.MANAGE_SERVICES in perms
    ]
    return Agency.objects.filter(pk__in=ids).order_by("name")


def referral_recipients() -> QuerySet[Agency]:
    """Agencies a referral may be addressed to (the send form's choice list)."""
    return Agency.objects.order_by("name")


# --- What a referral may share -------------------------------------------------------


@dataclass(frozen=True)
class ReferralCheck:
    """What Sanad proposes and refuses for one referral.

    ``blocks`` stop the referral whatever anyone says (inactive service, no
    data-sharing agreement, do-not-disclose). ``consent_gaps`` stop it unless
    a supervisor overrides them with a reason. ``proposed`` is what the
    service needs, intersected with what the live consent covers.
    """

    needed: tuple[str, ...]
    proposed: tuple[str, ...]
    covered: tuple[str, ...]
    consent: Consent | None
    blocks: tuple[Gap, ...] = ()
    consent_gaps: tuple[Gap, ...] = ()
    refused_categories: dict[str, str] = field(default_factory=dict)

    @property
    def can_send(self) -> bool:
        return not self.blocks and not self.consent_gaps

    @property
    def reasons(self) -> tuple[Gap, ...]:
        return (*self.blocks, *self.consent_gaps)


def _ordered(categories) -> tuple[str, ...]:
    chosen = {str(category) for category in categories}
    return tuple(category for category in DataCategory.values if category in chosen)


def recipient_blocks(
    case: Case, to_agency: Agency, service: Service | None, on: date | None = None
) -> list[Gap]:
    """Reasons no referral can go to this recipient, consent or not."""
    on = on or timezone.now().date()
    blocks: list[Gap] = []
    if to_agency.pk == case.agency_id:
        blocks.append(Gap("same_agency", _("A referral goes to another agency, not your own."), {}))
    if service is not None and service.agency_id != to_agency.pk:
        blocks.append(
            Gap("service_of_another_agency", _("This service is not run by that agency."))
        )
    if service is not None and not service.takes_referrals:
        blocks.append(
            Gap(
                "service_not_taking_referrals",
                _("%(service)s does not take referrals at the moment (%(status)s).")
                % {
                    "service": service.name,
                    "status": service.get_status_display()
                    if service.status != Service.Status.ACTIVE
                    else _("not accepting referrals"),
                },
                {"service": str(service.pk), "status": service.status},
            )
        )
    valid_until = to_agency.data_sharing_agreement_valid_until
    if valid_until is None or valid_until < on:
        blocks.append(
            Gap(
                "no_data_sharing_agreement",
                _("%(agency)s has no valid data-sharing agreement.") % {"agency": to_agency.name},
                {
                    "agency": str(to_agency.pk),
                    "valid_until": valid_until.isoformat() if valid_until else None,
                },
            )
        )
    return blocks


def _coverage(
    case: Case, to_agency: Agency, service: Service | None, categories
) -> ConsentCoverage:
    return consent_covering(
        case.client,
        to_agency,
        Consent.Purpose.REFERRAL,
        categories,
        service_category=service.category if service is not None else None,
    )


def referral_check(
    case: Case, to_agency: Agency, service: Service | None, data_categories=None
) -> ReferralCheck:
    """The rule for one referral of ``case`` to ``to_agency`` (optionally one
    of its services): what it needs, what may be proposed, and every reason it
    is refused. ``data_categories`` is the caller's choice (None: propose).

    A system check: the caller has already checked the actor's permission on
    the case. Do-not-disclose comes from the consent rule (it always wins).
    """
    needed = _ordered(service.data_categories_needed if service is not None else ())
    blocks = recipient_blocks(case, to_agency, service)
    # The live consent naming this recipient (for no categories): what it covers.
    base = _coverage(case, to_agency, service, ())
    for gap in base.gaps:
        if gap.code == "do_not_disclose":
            blocks.append(gap)
    covered: tuple[str, ...] = ()
    if base.consent is not None:
        covered = _ordered(base.consent.data_categories or ())
        if not base.consent.special_category_condition:
            covered = tuple(c for c in covered if c not in SPECIAL_CATEGORIES)
    proposed = tuple(c for c in needed if c in covered) if needed else covered
    chosen = _ordered(proposed if data_categories is None else data_categories)
    labels = dict(DataCategory.choices)
    refused = {
        category: _("The consent does not cover %(category)s.")
        % {"category": str(labels[category]).lower()}
        for category in (needed if data_categories is None else chosen)
        if category not in covered
    }
    consent_gaps: tuple[Gap, ...] = ()
    consent = None
    if not chosen:
        # Nothing chosen (or nothing to propose): say why the consent covers
        # nothing for this recipient too (no consent, withdrawn, not named…).
        consent_gaps = (
            Gap("no_categories", _("Choose at least one kind of information to share.")),
            *(gap for gap in base.gaps if gap.code != "do_not_disclose"),
        )
    else:
        coverage = _coverage(case, to_agency, service, chosen)
        consent = coverage.consent
        consent_gaps = tuple(gap for gap in coverage.gaps if gap.code != "do_not_disclose")
    return ReferralCheck(
        needed=needed,
        proposed=proposed,
        covered=covered,
        consent=consent,
        blocks=tuple(blocks),
        consent_gaps=consent_gaps,
        refused_categories=refused,
    )


def referral_check_for(
    actor: User, case_id, to_agency_id, service_id=None, data_categories=None
) -> ReferralCheck:
    """``referral_check`` for a case the actor may refer (SEND_REFERRAL on the
    case's agency): what the send form and ``/referrals/check/`` show."""
    case = get_case_for(actor, case_id)
    if Perm.SEND_REFERRAL not in agency_permissions(actor).get(case.agency_id, frozenset()):
        raise Forbidden()
    service = get_service(service_id) if service_id else None
    to_agency = service.agency if service is not None else get_recipient(to_agency_id)
    return referral_check(case, to_agency, service, data_categories)


def get_recipient(agency_id) -> Agency:
    agency = Agency.objects.filter(pk=agency_id).first() if is_uuid(agency_id) else None
    if agency is None:
        raise NotFound()
    return agency


# --- Referrals ------------------------------------------------------------------------


def _granted_referrals(user: User, perm: Perm) -> Q:
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


def _referral_scope(user: User) -> Q | None:
    """The condition of ``referrals_visible_to`` (None: no referral at all)."""
    if not user.is_authenticated or not user.is_active:
        return None
    sending = [
        agency_id
        for agency_id, perms in agency_permissions(user).items()
        if Perm.VIEW_REFERRAL in perms
    ]
    condition = _granted_referrals(user, Perm.VIEW_REFERRAL)
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
    condition = _referral_scope(user)
    if condition is None:
        return Referral.objects.none()
    record_access(user, Action.LIST, object_type="referrals.referral")
    return Referral.objects.filter(condition)


def get_referral_for(
    actor: User, referral_id, perm: Perm = Perm.VIEW_REFERRAL, *, lock: bool = False
) -> Referral:
    """The referral if ``actor`` may see it (NotFound otherwise) and holds
    ``perm`` on it (Forbidden otherwise). ``lock`` takes a row lock for a
    state change (SQLite serialises writers with BEGIN IMMEDIATE instead)."""
    queryset = referrals_visible_to(actor).select_related(
        "case", "from_agency", "to_agency", "service", "from_user", "consent", "override_by"
    )
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    referral = queryset.filter(pk=referral_id).first() if is_uuid(referral_id) else None
    if referral is None:
        raise NotFound()
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


def get_packet_for(actor: User, referral_id):
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


def referral_list(
    actor: User,
    *,
    direction: str = "",
    state: str = "",
    overdue: bool | None = None,
    case_id=None,
) -> QuerySet[Referral]:
    """Referrals the actor sees, newest first, filtered: ``direction``
    incoming (to one of the actor's agencies) or outgoing (from one), ``state``,
    ``overdue`` (sent and past respond-by), one case."""
    referrals = referrals_visible_to(actor).select_related("from_agency", "to_agency", "service")
    member_of = list(agencies_of(actor).values_list("pk", flat=True))
    if direction == "incoming":
        referrals = referrals.filter(to_agency_id__in=member_of)
    elif direction == "outgoing":
        referrals = referrals.filter(from_agency_id__in=member_of)
    if state:
        referrals = referrals.filter(state=state)
    today = timezone.now().date()
    if overdue is True:
        referrals = referrals.filter(state=Referral.State.SENT, respond_by__lt=today)
    elif overdue is False:
        referrals = referrals.exclude(state=Referral.State.SENT, respond_by__lt=today)
    if case_id is not None:
        referrals = referrals.filter(case_id=case_id)
    return referrals.order_by("-created_at", "-id")


def inbox_counts(actor: User) -> dict[str, int]:
    """The partner inbox's tabs: new (sent), accepted, overdue."""
    incoming = referral_list(actor, direction="incoming").order_by()
    today = timezone.now().date()
    sent = Q(state=Referral.State.SENT)
    return incoming.aggregate(
        new=Count("pk", filter=sent),
        accepted=Count("pk", filter=Q(state=Referral.State.ACCEPTED)),
        overdue=Count("pk", filter=sent & Q(respond_by__lt=today)),
    )


def referral_timeline(referral: Referral) -> QuerySet[ReferralEvent]:
    """The referral's events, oldest first (call after ``get_referral_for``)."""
    return ReferralEvent.objects.filter(referral=referral).select_related("actor", "actor_agency")


def referral_messages(actor: User, referral_id) -> QuerySet[ReferralMessage]:
    """The conversation of a referral the actor may message on (MESSAGE_REFERRAL)."""
    referral = get_referral_for(actor, referral_id, Perm.MESSAGE_REFERRAL)
    return ReferralMessage.objects.filter(referral=referral).select_related(
        "author", "author_agency"
    )


def referrals_of_case(actor: User, case_id) -> QuerySet[Referral]:
    """The referrals sent from a case the actor sees (its referrals tab)."""
    case = get_case_for(actor, case_id)
    return referral_list(actor, case_id=case.pk)


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


# --- Navigation counts and notifications --------------------------------------------


def new_incoming_count(user: User) -> int:
    """How many sent referrals wait for an answer in the user's agencies: the
    inbox's "new" count, for the navigation. One query once the user's roles
    are loaded (``agency_permissions`` caches them for the request)."""
    member_of = Membership.objects.filter(user_id=user.pk, is_active=True).values("agency_id")
    return (
        Referral.objects.filter(_granted_referrals(user, Perm.VIEW_REFERRAL))
        .filter(state=Referral.State.SENT, to_agency_id__in=member_of)
        .count()
    )


def notifications_of(user: User) -> QuerySet[Notification]:
    """The user's own in-app notices, newest first (nobody reads another's)."""
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def unread_notification_count(user: User) -> int:
    """How many of the user's notices are unread (one query)."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


@dataclass(frozen=True)
class NoticeLink:
    """Where a notice may take its reader."""

    url: str  # an address inside Sanad, "" for none
    unavailable: bool = False  # it names a referral the reader no longer sees


def _referral_of_notice(url: str):
    """The referral a notice's address is about, if it is one of a referral's pages."""
    try:
        match = resolve(url)
    except Resolver404:
        return None
    if match.namespace != "referrals":
        return None
    return match.kwargs.get("referral_id")


def notice_links(user: User, notices: Iterable[Notification]) -> dict[UUID, NoticeLink]:
    """{notice id: where it may link} for the user's own notices. A notice
    about a referral the user no longer sees (declined, expired, withdrawn,
    cancelled: the partner's access was revoked) links nowhere and says so,
    instead of leading to a 404. Visibility is the scope of
    ``referrals_visible_to``, for every notice at once: one query whatever
    their number. Records no access: it reads ids, not personal data."""
    notices = list(notices)
    links, about = {}, {}
    for notice in notices:
        url = notice.url or ""
        # Notices link inside Sanad only.
        if not url.startswith("/") or not url_has_allowed_host_and_scheme(url, allowed_hosts=None):
            links[notice.pk] = NoticeLink("")
            continue
        links[notice.pk] = NoticeLink(url)
        referral_id = _referral_of_notice(url)
        if referral_id is not None:
            about[notice.pk] = referral_id
    if about:
        condition = _referral_scope(user)
        visible = (
            set(
                Referral.objects.filter(condition, pk__in=set(about.values())).values_list(
                    "pk", flat=True
                )
            )
            if condition is not None
            else set()
        )
        for notice_id, referral_id in about.items():
            if referral_id not in visible:
                links[notice_id] = NoticeLink("", unavailable=True)
    return links


# --- What the viewer may do --------------------------------------------------------------

MESSAGE_STATES = frozenset({Referral.State.SENT, Referral.State.ACCEPTED, Referral.State.COMPLETED})
# In the order pages and the API list them.
ACTIONS = (
    "edit",
    "send",
    "override",
    "withdraw",
    "accept",
    "decline",
    "progress",
    "complete",
    "open_case",
    "message",
    "read_messages",
    "packet",
)


def is_sender_side(actor: User, referral: Referral) -> bool:
    """Whether the actor reads the referral as the sending agency (VIEW_REFERRAL
    there and sees the case): the receiving side never sees the sender's case."""
    perms = agency_permissions(actor).get(referral.from_agency_id, frozenset())
    return Perm.VIEW_REFERRAL in perms and actor.has_perm(Perm.VIEW_CASE, referral.case)


def referral_actions_for(actor: User, referral: Referral) -> tuple[str, ...]:
    """What the lifecycle allows now and the actor's permissions permit, in
    ``ACTIONS`` order: the one rule behind the page's buttons and the API's
    ``allowed_actions`` (the services enforce the same on every call)."""
    state, states = referral.state, Referral.State
    send = actor.has_perm(Perm.SEND_REFERRAL, referral)
    respond = actor.has_perm(Perm.RESPOND_REFERRAL, referral)
    message = actor.has_perm(Perm.MESSAGE_REFERRAL, referral)
    allowed = set()
    if send and state == states.DRAFT:
        allowed |= {"edit", "send"}
        if actor.has_perm(Perm.OVERRIDE_CONSENT, referral):
            allowed.add("override")
    if send and Referral.target_of(Referral.Action.WITHDRAW, state):
        allowed.add("withdraw")
    if respond:
        for action in (Referral.Action.ACCEPT, Referral.Action.DECLINE, Referral.Action.COMPLETE):
            if Referral.target_of(action, state):
                allowed.add(str(action))
        if state == states.ACCEPTED:
            allowed.add("progress")
        if (
            state in (states.ACCEPTED, states.COMPLETED)
            and referral.receiving_case_id is None
            and DataCategory.IDENTITY in referral.data_categories
        ):
            allowed.add("open_case")
    if message:
        allowed.add("read_messages")
        if state in MESSAGE_STATES:
            allowed.add("message")
    if state != states.DRAFT and actor.has_perm(Perm.VIEW_PACKET, referral):
        allowed.add("packet")
    return tuple(action for action in ACTIONS if action in allowed)
