"""The disclosure register (GDPR Art. 30(1)(d), and what humanitarian
data-responsibility guidance asks for): to which partner agencies an agency
sent its clients' data, per month — how many referral packets, which data
categories they carried, on which lawful basis, how many on a supervisor's
override.

A disclosure is a referral packet sent: a referral of the agency with a
packet, counted in the month (the agency's time zone) it was sent. Drafts
never left the agency; a referral withdrawn or declined after sending was
disclosed all the same. The lawful basis is that of the consent the referral
relied on; a referral sent on a supervisor's override relied on none and is
counted apart.

Who may read it: members of the (sending) agency whose role holds
VIEW_DISCLOSURE_REGISTER — the DPO and supervisors (404 for anyone not a
member, 403 for a member without it). The register is about the agency's own
disclosures as a whole, so it is read through the agency, not through
``referrals_visible_to`` (that scope is a caseworker's view of single
referrals; the DPO holds none of it). It names no client and no case, and
every count goes through small-cell suppression (``reports.suppression``)
with the agency's threshold before it leaves this module.

Shape: one pair of tables per partner agency, rows the months of the period
(every month, also those with no packet: leaving out empty months or
categories would tell a reader that the others are not zero). The first
table counts packets by lawful basis with the override column beside the
bases — its row totals are the packets sent — the second counts the packets
carrying each data category. A packet carries several categories, so the
second table's rows and columns overlap: their sums would mean nothing, and
beside the packets sent they would help pin a hidden cell, so it has no
totals (``suppress_without_totals``) and only its small counts are
hidden. Between the two tables only bounds hold (a category's count is at
most the packets sent), never an equation.

The period's days are the agency's (``reports.periods``), whoever reads it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy

from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import agencies_of, agencies_where
from casework.models import Consent, DataCategory
from referrals.models import Referral
from reports.periods import Period, agency_zone, get_report_agency, parse_agency_period
from reports.suppression import Table, suppress_table, suppress_without_totals

# The column of the packets sent on a supervisor's override (no consent relied on).
OVERRIDE = "override"
# A packet sent with neither a consent nor an override: should not exist; shown when it does.
NO_BASIS = "none"
# At most ten years in one register.
MAX_YEARS = 10


@dataclass(frozen=True)
class PartnerDisclosures:
    """What went to one partner agency over the period (suppressed tables)."""

    agency_id: UUID
    name: str
    by_basis: Table  # rows months; columns bases + override; row totals = packets sent
    by_category: Table  # rows months; columns data categories; no totals (categories overlap)


@dataclass(frozen=True)
class DisclosureRegister:
    agency: Agency
    period: Period
    k: int
    months: list[datetime.date]
    basis_keys: list[str]
    category_keys: list[str]
    partners: list[PartnerDisclosures]


def parse_period(from_value: str | None, to_value: str | None, *, agency: Agency) -> Period:
    """The period of ``from``/``to`` (months or dates; default this year up to
    the agency's today), in the agency's days (``reports.periods.parse_period``:
    InvalidInput naming the field for a bad value or year, a ``to`` before
    ``from`` or more than ten years)."""
    return parse_agency_period(
        from_value,
        to_value,
        agency=agency,
        default_start=lambda today: today.replace(month=1, day=1),
        max_years=MAX_YEARS,
    )


def register_agencies(actor: User) -> QuerySet[Agency]:
    """The agencies whose disclosure register ``actor`` may read, by name."""
    return (
        agencies_of(actor)
        .filter(pk__in=agencies_where(actor, Perm.VIEW_DISCLOSURE_REGISTER))
        .order_by("name")
    )


def get_register_agency(actor: User, agency: str | None = None) -> Agency:
    """The agency (slug or id; default the first of ``register_agencies``) whose
    register ``actor`` reads: NotFound when they are not a member, Forbidden
    when their role there lacks VIEW_DISCLOSURE_REGISTER."""
    return get_report_agency(
        actor, agency, perm=Perm.VIEW_DISCLOSURE_REGISTER, readable=register_agencies
    )


def _month_of(value, zone) -> datetime.date:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(zone)
        value = value.date()
    return value.replace(day=1)


def _by_month(counts: dict[tuple[int, str], int], keys: list[str], months: int) -> list[list[int]]:
    """The grid of ``counts`` (by month index and key): a row per month, a
    column per key, zero where nothing was counted."""
    return [[counts.get((i, key), 0) for key in keys] for i in range(months)]


def disclosure_register(agency: Agency, period: Period) -> DisclosureRegister:
    """The register of ``agency`` over ``period``, every cell suppressed with
    the agency's small-cell threshold. The caller has checked the reader
    (``get_register_agency``). Two queries whatever the number of partners
    and packets; data categories (a JSON list per packet) are counted in
    Python from one column of the period's packets."""
    zone = agency_zone(agency)
    start, end = period.bounds(zone)
    sent = (
        Referral.objects.filter(
            from_agency=agency, sent_at__gte=start, sent_at__lt=end, packet__isnull=False
        )
        .exclude(state=Referral.State.DRAFT)
        .annotate(month=TruncMonth("sent_at", tzinfo=zone))
        .order_by()
    )
    by_basis = sent.values(
        "to_agency_id",
        "to_agency__name",
        "month",
        "consent__lawful_basis",
        overridden=ExpressionWrapper(Q(override_by__isnull=False), output_field=BooleanField()),
    ).annotate(packets=Count("pk"))
    categories = sent.values_list("to_agency_id", "month", "packet__data_categories")

    months = period.months
    month_index = {month: i for i, month in enumerate(months)}
    basis_keys = [value for value, _label in Consent.LawfulBasis.choices] + [OVERRIDE]
    category_keys = [value for value, _label in DataCategory.choices]
    names: dict[UUID, str] = {}
    basis_counts: dict[UUID, dict[tuple[int, str], int]] = defaultdict(dict)
    for row in by_basis:
        partner = row["to_agency_id"]
        names[partner] = row["to_agency__name"]
        basis = OVERRIDE if row["overridden"] else row["consent__lawful_basis"] or NO_BASIS
        if basis not in basis_keys:
            basis_keys.append(basis)
        key = (month_index[_month_of(row["month"], zone)], basis)
        basis_counts[partner][key] = basis_counts[partner].get(key, 0) + row["packets"]
    category_counts: dict[UUID, dict[tuple[int, str], int]] = defaultdict(dict)
    for partner, month, carried in categories:
        index = month_index[_month_of(month, zone)]
        for category in set(carried or []):
            if category in category_keys:
                key = (index, category)
                category_counts[partner][key] = category_counts[partner].get(key, 0) + 1

    basis_labels = {
        **dict(Consent.LawfulBasis.choices),
        OVERRIDE: gettext_lazy("Supervisor's override (no consent)"),
        NO_BASIS: gettext_lazy("No lawful basis recorded"),
    }
    category_labels = dict(DataCategory.choices)
    basis_columns = [str(basis_labels[key]) for key in basis_keys]
    category_columns = [str(category_labels[key]) for key in category_keys]
    month_labels = [formats.date_format(month, "YEAR_MONTH_FORMAT") for month in months]
    k = agency.small_cell_threshold
    partners = []
    for partner in sorted(names, key=lambda pk: (names[pk].casefold(), str(pk))):
        partners.append(
            PartnerDisclosures(
                agency_id=partner,
                name=names[partner],
                by_basis=suppress_table(
                    month_labels,
                    basis_columns,
                    _by_month(basis_counts[partner], basis_keys, len(months)),
                    k=k,
                ),
                by_category=suppress_without_totals(
                    month_labels,
                    category_columns,
                    _by_month(category_counts[partner], category_keys, len(months)),
                    k=k,
                ),
            )
        )
    return DisclosureRegister(
        agency=agency,
        period=period,
        k=k,
        months=months,
        basis_keys=basis_keys,
        category_keys=category_keys,
        partners=partners,
    )
