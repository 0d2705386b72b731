"""Retention: how long each agency keeps a kind of record, and the sweep
that anonymises what has expired (the daily task, ``manage.py
apply_retention``), skipping anything under a legal hold."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.models import Agency, User
from accounts.permissions import Perm
from casework.models import Case, Client
from config.errors import Forbidden, InvalidInput
from privacy.models import Erasure, LegalHold, RetentionPolicy
from privacy.selectors.data_protection import active_legal_holds
from privacy.services.erasure import erase_case_contents, erase_personal_data


@transaction.atomic
def set_retention_policy(*, actor: User, agency: Agency, kind: str, days: int) -> RetentionPolicy:
    """Set how long ``agency`` keeps a kind of record (MANAGE_RETENTION there;
    Forbidden without it). At least 30 days (InvalidInput on ``days``); an
    unknown kind is InvalidInput on ``kind``. Writes the period's history."""
    if not actor.has_perm(Perm.MANAGE_RETENTION, agency):
        raise Forbidden()
    if kind not in RetentionPolicy.Kind.values:
        raise InvalidInput(_("Choose a kind of record."), code="invalid_choice", field="kind")
    if not isinstance(days, int) or isinstance(days, bool) or days < 30:
        raise InvalidInput(_("Give a number of days, at least 30."), code="invalid", field="days")
    policy = RetentionPolicy.objects.filter(agency=agency, kind=kind).first() or RetentionPolicy(
        agency=agency, kind=kind
    )
    policy.days = days
    save_with_history(policy, actor=actor, reason=gettext_noop("retention period set"))
    return policy


def retention_due(now: datetime | None = None, *, agency: Agency | None = None) -> dict[str, list]:
    """What retention would anonymise at ``now``: closed cases past their
    agency's period and clients without an open case past theirs, minus
    anything under a legal hold (system read). ``held`` lists what a hold kept.
    ``agency`` limits it to one agency's periods (the retention page's dry run)."""
    now = now or timezone.now()
    due_cases, due_clients, held = [], [], []
    held_clients = set(
        LegalHold.objects.filter(released_at__isnull=True).values_list("client_id", flat=True)
    )
    policies = RetentionPolicy.objects.select_related("agency")
    if agency is not None:
        policies = policies.filter(agency=agency)
    for policy in policies:
        cutoff = now - timedelta(days=policy.days)
        if policy.kind == RetentionPolicy.Kind.CLOSED_CASE:
            cases = Case.objects.filter(
                agency=policy.agency,
                status=Case.Status.CLOSED,
                closed_at__lt=cutoff,
                anonymised_at__isnull=True,
            ).values_list("pk", "client_id")
            for case_id, client_id in cases:
                (held if client_id in held_clients else due_cases).append(case_id)
        else:
            clients = (
                Client.objects.filter(agency=policy.agency, anonymised_at__isnull=True)
                .exclude(cases__status__in=[Case.Status.OPEN, Case.Status.ON_HOLD])
                .exclude(cases__closed_at__gte=cutoff)
                .filter(created_at__lt=cutoff)
                .values_list("pk", flat=True)
                .distinct()
            )
            for client_id in clients:
                (held if client_id in held_clients else due_clients).append(client_id)
    return {"cases": due_cases, "clients": due_clients, "held": held}


def apply_retention(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Anonymise what the agencies' retention periods say has expired at
    ``now`` (the daily task and ``manage.py apply_retention``); legal holds
    are skipped. One transaction per client. Returns the counts."""
    due = retention_due(now)
    counts = {"cases": len(due["cases"]), "clients": len(due["clients"]), "held": len(due["held"])}
    if dry_run:
        return counts
    for client_id in due["clients"]:
        with transaction.atomic():
            client = Client.objects.select_for_update().get(pk=client_id)
            if client.anonymised_at is None and not active_legal_holds(client).exists():
                erase_personal_data(client, actor=None, cause=Erasure.Cause.RETENTION, reason="")
    erased_clients = set(due["clients"])
    for case_id in due["cases"]:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            if case.client_id in erased_clients or case.anonymised_at is not None:
                continue
            if active_legal_holds(case.client).exists():
                continue
            erase_case_contents([case.pk])
    return counts
