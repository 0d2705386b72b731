"""Scoped reads of the service directory and the agencies a referral may go to."""

from datetime import date
from uuid import UUID

from django.db.models import BooleanField, Q, QuerySet, Value, When
from django.db.models import Case as Choose
from django.utils import timezone

from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import agencies_where
from casework.selectors import is_uuid
from config.errors import Forbidden, NotFound
from referrals.models import Service


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


def get_service(service_id: UUID | str) -> Service:
    """One service of the directory (NotFound for an unknown id)."""
    service = (
        Service.objects.select_related("agency").filter(pk=service_id).first()
        if is_uuid(service_id)
        else None
    )
    if service is None:
        raise NotFound()
    return service


def get_service_for(
    actor: User, service_id: UUID | str, perm: Perm = Perm.MANAGE_SERVICES
) -> Service:
    """A service the actor may change (MANAGE_SERVICES in its agency). The
    directory is public, so a service of another agency is 403, not 404."""
    service = get_service(service_id)
    if not actor.has_perm(perm, service):
        raise Forbidden()
    return service


def agencies_managed_by(actor: User) -> QuerySet[Agency]:
    """Agencies whose services the actor maintains (MANAGE_SERVICES there)."""
    return Agency.objects.filter(pk__in=agencies_where(actor, Perm.MANAGE_SERVICES)).order_by(
        "name"
    )


def referral_recipients() -> QuerySet[Agency]:
    """Agencies a referral may be addressed to (the send form's choice list)."""
    return Agency.objects.order_by("name")


def agreement_in_force(on: date) -> Q:
    """Agencies whose data-sharing agreement is valid on ``on`` (the date
    ``recipient_blocks`` checks: without it an agency receives no referrals)."""
    return Q(data_sharing_agreement_valid_until__gte=on)


def partner_agencies(
    *, query: str = "", takes_referrals: bool | None = None, on: date | None = None
) -> QuerySet[Agency]:
    """Every agency (the directory of partners is open to every logged-in
    user, like the service directory: organisations, no personal data), each
    annotated with ``takes_referrals``: its data-sharing agreement is valid on
    ``on`` (default today, UTC, as ``recipient_blocks``), so that a referral
    addressed to it passes the recipient's checks (one to a service of it also
    needs the service to take referrals: the service's own flag). Filtered by
    words of the name and by ``takes_referrals`` when given. Unordered: the
    caller pages it. One query."""
    on = on or timezone.now().date()
    # A When, not the bare condition: an agreement with no date compares as
    # NULL, which a filter on the annotation would drop from both answers.
    agencies = Agency.objects.only("id", "slug", "name", "kind").annotate(
        takes_referrals=Choose(
            When(agreement_in_force(on), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    for word in query.split()[:8]:
        agencies = agencies.filter(name__icontains=word)
    if takes_referrals is not None:
        agencies = agencies.filter(takes_referrals=takes_referrals)
    return agencies


def get_recipient(agency_id: UUID | str) -> Agency:
    """An agency a referral may be addressed to (NotFound for an unknown id)."""
    agency = Agency.objects.filter(pk=agency_id).first() if is_uuid(agency_id) else None
    if agency is None:
        raise NotFound()
    return agency
