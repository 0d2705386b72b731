"""Fill a database with a realistic synthetic load for the scale benchmark.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanad_bench DEBUG=1 \\
        python -m bench.generate --cases 200000

What it makes (all numbers scale with ``--cases`` and ``--users``):

* 50 agencies of very different sizes: the largest holds 20 % of the cases
  (40,000 of 200,000), a Zipf-like long tail follows, and five small agencies
  hold about 0.1 % each (~200 cases). Plus one tiny agency, ``grants-desk``,
  whose ~20 referral officers hold no casework role permission and see only
  the ≈20 cases each granted to them one by one (``CaseUserObjectPermission``,
  ``view_case``), as referrals and explicit shares do in production.
  Role scope plus grants: one caseworker of the largest agency holds 5 user
  grants to other agencies' cases, and the caseworker group of the smallest
  agency of the Zipf tail (~0.6 % of the cases) holds 5 group grants
  (referrals it received).
* 2,000 users with one active membership each (mostly caseworkers; some
  supervisors, referral officers, DPOs, agency administrators) and the
  matching user ↔ role-group rows, so ``agency_permissions`` works. One
  caseworker of a tail agency is also a caseworker of another (two agencies).
* One client per case (200,000) with names in Arabic, Farsi, Cyrillic, Ge'ez
  and Latin script and their transliterations; ``search_text``, ``name_key``
  and ``name_latin_key`` are derived with ``casework.names`` as the services do.
* 200,000 cases: open / on hold / closed, ~3 % restricted, assigned to the
  agency's caseworkers, numbered ``<SLUG>-<YEAR>-<SEQ>`` per agency (with the
  matching ``CaseCounter`` rows), ``updated_at`` spread over two years. A
  client all of whose cases are restricted is restricted too, as the
  services keep it.

Fast paths, on purpose. Agencies go through ``accounts.services.create_agency``
(it creates the role groups and their permissions). Everything else is
written with ``bulk_create`` (batches of 5,000) inside
``accounts.tracking.untracked()``, in one transaction: **no historical rows
are written** for the synthetic users, memberships, clients and cases, and
``auto_now`` is suspended while writing so ``updated_at`` keeps its generated
spread. Never point this at a database with real data.

At the end it runs ``VACUUM (ANALYZE)`` on the filled tables: fresh planner
statistics, and a set visibility map so that index-only scans behave as they
would once autovacuum has passed (otherwise the first benchmark run would
race autovacuum).

Every row it makes is marked (e-mail domain ``bench.invalid``, agency contact
e-mail in that domain), and ``--reset`` deletes exactly those rows, and
every row referring to them, before generating again. It refuses to run on
SQLite without ``--allow-sqlite`` and on a database that already holds cases
without ``--reset``.
"""

import argparse
import random
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import cache

from bench.common import BENCH_DOMAIN, GRANTS_AGENCY_SLUG, bench_email, is_sqlite, setup_django

BATCH_SIZE = 5000

ROLE_MIX = [  # roles of the members beyond each agency's minimal staff
    ("caseworker", 82),
    ("supervisor", 10),
    ("referral_officer", 4),
    ("dpo", 2),
    ("agency_admin", 2),
]
BASE_STAFF = ["agency_admin", "dpo", "supervisor", "referral_officer", "caseworker", "caseworker"]
CASE_TYPES = [
    ("asylum_legal", 30),
    ("housing", 15),
    ("health", 12),
    ("employment", 10),
    ("education", 6),
    ("language", 6),
    ("family_reunification", 7),
    ("child_protection", 4),
    ("gbv", 3),
    ("social_support", 5),
    ("other", 2),
]
RISK_LEVELS = [("low", 50), ("medium", 30), ("high", 15), ("critical", 5)]
CLOSURE_REASONS = [
    "goals_met",
    "referred",
    "client_withdrew",
    "lost_contact",
    "moved_away",
    "not_eligible",
    "other",
]
SUMMARIES = [
    "Asylum interview preparation; documents pending.",
    "Looking for stable housing; on the municipal list.",
    "Needs a GP registration and an interpreter for appointments.",
    "Language course enrolment and childcare.",
    "Family reunification: collecting civil documents.",
    "Job search support and CV in the local language.",
    "",
]
AGENCY_COUNTRIES = ["IT", "DE", "FR", "GR", "ES", "BE", "NL", "AT", "SE", "PL", "CY", "MT"]
AGENCY_CITIES = {
    "IT": "Torino",
    "DE": "Berlin",
    "FR": "Lyon",
    "GR": "Athens",
    "ES": "Madrid",
    "BE": "Brussels",
    "NL": "Utrecht",
    "AT": "Vienna",
    "SE": "Malmö",
    "PL": "Kraków",
    "CY": "Nicosia",
    "MT": "Valletta",
}


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def agency_sizes(total: int, agencies: int = 50, small: int = 5) -> list[int]:
    """Cases per agency, largest first: the largest holds 20 % of ``total``,
    ``small`` agencies hold ~0.1 % each, the rest follow size ∝ rank^-s with s
    chosen so that the sizes add up to ``total``."""
    shares = (0.001, 0.0009, 0.0011, 0.00095, 0.00105)[:small]
    small_sizes = [max(1, round(total * share)) for share in shares]
    head = agencies - len(small_sizes)
    largest = round(total * 0.2)
    rest = total - sum(small_sizes)
    low, high = 0.01, 5.0
    for _ in range(100):
        exponent = (low + high) / 2
        if sum(largest * rank**-exponent for rank in range(1, head + 1)) > rest:
            low = exponent
        else:
            high = exponent
    sizes = [max(1, round(largest * rank**-exponent)) for rank in range(1, head + 1)]
    sizes[1] += rest - sum(sizes)  # rounding residue; keeps the largest at exactly 20 %
    return sizes + sorted(small_sizes, reverse=True)


def staff_counts(sizes: list[int], users: int) -> list[int]:
    """Members per agency: the minimal staff everywhere, the rest in proportion
    to the caseload (largest remainder)."""
    extra = users - len(BASE_STAFF) * len(sizes)
    if extra < 0:
        raise SystemExit(f"--users must be at least {len(BASE_STAFF) * len(sizes)}.")
    total = sum(sizes)
    shares = [extra * size / total for size in sizes]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(sizes)), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in by_remainder[: extra - sum(counts)]:
        counts[i] += 1
    return [len(BASE_STAFF) + count for count in counts]


@cache
def client_keys(name: str, name_latin: str, preferred_name: str) -> tuple[str, str, str]:
    from casework.names import name_key, search_text

    return search_text(name, name_latin, preferred_name), name_key(name), name_key(name_latin)


@contextmanager
def keeping_timestamps(*models):
    """Let bulk_create keep generated timestamps instead of stamping "now"."""
    fields = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class Timer:
    def __init__(self):
        self.start = time.perf_counter()
        self.last = self.start

    def step(self, label: str, rows: int | None = None) -> None:
        now = time.perf_counter()
        extra = f"  ({rows:,} rows, {rows / (now - self.last):,.0f}/s)" if rows else ""
        print(f"  {label:<44} {now - self.last:7.1f} s{extra}", flush=True)
        self.last = now

    def total(self) -> float:
        return time.perf_counter() - self.start


# --- Removing what an earlier run made ------------------------------------------


def _delete_rows(cursor, model, where: str, stack: tuple = ()) -> None:
    """Delete the rows of ``model`` matching ``where`` after every row, in any
    table, that refers to them (hidden relations and history tables included)."""
    opts = model._meta
    for relation in opts.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete:
            continue
        if not (relation.one_to_many or relation.one_to_one):
            continue
        child = relation.related_model
        if child in stack or child is model or child._meta.proxy:
            continue
        column = relation.field.column
        target = relation.field.target_field.column
        _delete_rows(
            cursor,
            child,
            f'"{column}" IN (SELECT "{target}" FROM "{opts.db_table}" WHERE {where})',
            (*stack, model),
        )
    cursor.execute(f'DELETE FROM "{opts.db_table}" WHERE {where}')


def delete_bench_data() -> None:
    from django.contrib.auth.models import Group
    from django.db import connection

    from accounts.models import Agency, User

    like = f"%@{BENCH_DOMAIN}"
    with connection.cursor() as cursor:
        # Materialised first: the deletes below remove the rows that identify them.
        for table, query in [
            ("bench_agency", "SELECT id FROM accounts_agency WHERE contact_email LIKE %s"),
            ("bench_user", "SELECT id FROM accounts_user WHERE email LIKE %s"),
        ]:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TEMP TABLE {table} AS {query}", [like])
        cursor.execute("DROP TABLE IF EXISTS bench_group")
        cursor.execute(
            "CREATE TEMP TABLE bench_group AS SELECT group_id AS id FROM accounts_rolegroup "
            "WHERE agency_id IN (SELECT id FROM bench_agency)"
        )
        _delete_rows(cursor, Agency, "id IN (SELECT id FROM bench_agency)")
        cursor.execute(
            f'DELETE FROM "{Agency.history.model._meta.db_table}" '
            "WHERE id IN (SELECT id FROM bench_agency)"
        )
        _delete_rows(cursor, Group, "id IN (SELECT id FROM bench_group)")
        _delete_rows(cursor, User, "id IN (SELECT id FROM bench_user)")
        cursor.execute(
            f'DELETE FROM "{User.history.model._meta.db_table}" '
            "WHERE id IN (SELECT id FROM bench_user)"
        )
        for table in ("bench_agency", "bench_user", "bench_group"):
            cursor.execute(f"DROP TABLE {table}")


# --- Generating ------------------------------------------------------------------


def make_operator():
    from django.contrib.auth.models import Permission

    from accounts.models import User

    operator = User.objects.create_user(
        email=bench_email("operator"), display_name="Bench operator", is_staff=True
    )
    operator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts", codename__in=["add_agency", "add_user"]
        )
    )
    return User.objects.get(pk=operator.pk)


def make_agencies(operator, sizes: list[int], rng: random.Random):
    from accounts.services import create_agency
    from bench.names import AGENCY_WORDS

    agencies = []
    for index, size in enumerate(sizes):
        word = AGENCY_WORDS[index % len(AGENCY_WORDS)]
        country = rng.choice(AGENCY_COUNTRIES)
        slug = word if index < len(AGENCY_WORDS) else f"{word}{index + 1}"
        agency = create_agency(
            actor=operator,
            slug=slug,
            name=f"{word.title()} {'Office' if word == 'municipio' else 'Support'} {index + 1}",
            kind="public_office" if word == "municipio" else "ngo",
            country=country,
            city=AGENCY_CITIES[country],
            languages=["en", "ar"],
            contact_email=bench_email(f"office.{slug}"),
            is_public_authority=word == "municipio",
        )
        agencies.append((agency, size))
    grants_desk = create_agency(
        actor=operator,
        slug=GRANTS_AGENCY_SLUG,
        name="Grants Desk (referral partner)",
        kind="ngo",
        country="IT",
        city="Torino",
        languages=["en"],
        contact_email=bench_email(f"office.{GRANTS_AGENCY_SLUG}"),
    )
    return agencies, grants_desk


def make_people(agency_staff, rng: random.Random, now: datetime):
    """Users, memberships and user ↔ role-group rows, in bulk.

    ``agency_staff``: [(agency, [role, ...])]. Returns {agency id: {role: [user ids]}}.
    """
    from accounts.models import Membership, RoleGroup, User
    from bench.names import STAFF_FAMILY, STAFF_GIVEN

    group_of = {
        (agency_id, role): group_id
        for agency_id, role, group_id in RoleGroup.objects.values_list(
            "agency_id", "role", "group_id"
        )
    }
    unusable = User()
    unusable.set_unusable_password()
    users, memberships, user_groups = [], [], []
    staff: dict = defaultdict(lambda: defaultdict(list))
    for agency, roles in agency_staff:
        for number, role in enumerate(roles, start=1):
            joined = now - timedelta(days=rng.uniform(30, 1500))
            user = User(
                email=bench_email(f"{agency.slug}.{role}.{number:03d}"),
                display_name=f"{rng.choice(STAFF_GIVEN)} {rng.choice(STAFF_FAMILY)}",
                preferred_language=rng.choice(["en", "en", "ar", "fr"]),
                password=unusable.password,
                date_joined=joined,
            )
            users.append(user)
            memberships.append(
                Membership(
                    user_id=user.pk, agency=agency, role=role, created_at=joined, updated_at=joined
                )
            )
            user_groups.append(
                User.groups.through(user_id=user.pk, group_id=group_of[(agency.pk, role)])
            )
            staff[agency.pk][role].append(user.pk)
    with keeping_timestamps(Membership):
        User.objects.bulk_create(users, batch_size=BATCH_SIZE)
        Membership.objects.bulk_create(memberships, batch_size=BATCH_SIZE)
    User.groups.through.objects.bulk_create(user_groups, batch_size=BATCH_SIZE)
    return staff, len(users) + len(memberships) + len(user_groups)


def random_person(rng: random.Random):
    """(name as written, name in Latin letters, sex, nationalities, languages)."""
    from bench.names import ORIGINS

    origin = weighted(rng, [(key, value[0]) for key, value in ORIGINS.items()])
    _weight, given, family, nationalities, languages = ORIGINS[origin]
    first, sex, first_latin = rng.choice(given)
    last, last_latin = rng.choice(family)
    name = f"{first} {last}"
    if origin == "west_african":
        latin = ""
    else:
        latin = f"{rng.choice(first_latin)} {rng.choice(last_latin)}"
        if origin != "ukrainian" and rng.random() < 0.2:
            # Registered from a Latin-script document only.
            name, latin = latin, ""
    return name, latin, sex, [rng.choice(nationalities)], [rng.choice(languages)]


def make_clients(agency, client_ids, restricted: dict, registrars, rng, now: datetime):
    from casework.models import Client

    for client_id in client_ids:
        name, latin, sex, nationalities, languages = random_person(rng)
        preferred = name.split()[0] if rng.random() < 0.05 else ""
        search, key, latin_key = client_keys(name, latin, preferred)
        created = now - timedelta(days=rng.uniform(0, 1100))
        birth_year = now.year - rng.randint(0, 75)
        interpreter = languages[0] not in ("fr", "en") and rng.random() < 0.6
        yield Client(
            id=client_id,
            agency=agency,
            name=name,
            name_latin=latin,
            preferred_name=preferred,
            date_of_birth=date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.9
            else None,
            date_of_birth_estimated=rng.random() < 0.15,
            sex=sex if rng.random() < 0.97 else "unknown",
            nationalities=nationalities,
            languages=languages,
            interpreter_needed=interpreter,
            interpreter_language=languages[0] if interpreter else "",
            phone=f"+39 3{rng.randint(10, 99)} {rng.randint(1000000, 9999999)}",
            city=agency.city,
            is_restricted=restricted.get(client_id, False),
            search_text=search,
            name_key=key,
            name_latin_key=latin_key,
            registered_by_id=rng.choice(registrars),
            created_at=created,
            updated_at=created + timedelta(days=rng.uniform(0, 30)),
        )


def plan_cases(count, client_ids, caseworkers, rng, now):
    """The agency's cases as plain tuples, oldest first (numbers follow time)."""
    two_years = 730.0
    cases = []
    for index in range(count):
        age = rng.uniform(0, two_years)
        updated = now - timedelta(days=age)
        opened = updated - timedelta(days=min(rng.expovariate(1 / 120), 700))
        client_id = client_ids[index] if rng.random() < 0.8 else rng.choice(client_ids)
        assignee = rng.choice(caseworkers)
        roll = rng.random()
        closed_share = 0.15 + 0.4 * age / two_years
        if roll < closed_share:
            status = "closed"
        elif roll < closed_share + 0.08:
            status = "on_hold"
        else:
            status = "open"
        cases.append((opened, updated, client_id, assignee, status, rng.random() < 0.03))
    cases.sort(key=lambda case: case[0])
    return cases


def make_cases(agency, planned, supervisors, rng, counters: dict):
    from casework.models import Case

    prefix = agency.slug.upper()
    for opened, updated, client_id, assignee, status, restricted in planned:
        year = opened.year
        counters[(agency.pk, year)] += 1
        closed = status == "closed"
        yield Case(
            agency=agency,
            client_id=client_id,
            number=f"{prefix}-{year}-{counters[(agency.pk, year)]:05d}",
            case_type=weighted(rng, CASE_TYPES),
            status=status,
            closure_reason=rng.choice(CLOSURE_REASONS) if closed else "",
            risk_level=weighted(rng, RISK_LEVELS),
            assigned_to_id=assignee,
            is_restricted=restricted,
            summary=rng.choice(SUMMARIES),
            opened_at=opened,
            closed_at=updated if closed else None,
            created_by_id=assignee if rng.random() < 0.7 else rng.choice(supervisors),
            updated_at=updated,
        )


def make_grants(grants_desk, staff, case_ids, agencies, rng) -> int:
    """Explicit grants (``view_case``), as referrals and shares make them:

    * ≈20 single-case grants for each grants-desk referral officer, from 2-4
      sending agencies each (user grants);
    * 5 user grants for the first caseworker of the largest agency;
    * 5 grants to the caseworker group of the smallest mid-size agency (the
      last one of the Zipf tail): referrals it received (group grants).
    """
    from django.contrib.auth.models import Permission

    from accounts.models import RoleGroup
    from casework.models import CaseGroupObjectPermission, CaseUserObjectPermission

    view_case = Permission.objects.get(content_type__app_label="casework", codename="view_case")
    largest, receiving = agencies[0][0], tail_agency(agencies)
    senders = [agency_id for agency_id in case_ids if agency_id not in (largest.pk, receiving.pk)]
    user_rows = []
    for user_id in staff[grants_desk.pk]["referral_officer"]:
        pool = [c for a in rng.sample(senders, rng.randint(2, 4)) for c in case_ids[a]]
        chosen = rng.sample(pool, min(rng.randint(18, 22), len(pool)))
        user_rows += [
            CaseUserObjectPermission(user_id=user_id, permission=view_case, content_object_id=c)
            for c in chosen
        ]
    sharing_caseworker = staff[largest.pk]["caseworker"][0]
    user_rows += [
        CaseUserObjectPermission(
            user_id=sharing_caseworker, permission=view_case, content_object_id=case_id
        )
        for case_id in rng.sample(case_ids[senders[0]], min(5, len(case_ids[senders[0]])))
    ]
    CaseUserObjectPermission.objects.bulk_create(user_rows, batch_size=BATCH_SIZE)
    group = RoleGroup.objects.get(agency=receiving, role="caseworker").group_id
    group_rows = [
        CaseGroupObjectPermission(group_id=group, permission=view_case, content_object_id=case_id)
        for case_id in rng.sample(case_ids[senders[1]], min(5, len(case_ids[senders[1]])))
    ]
    CaseGroupObjectPermission.objects.bulk_create(group_rows)
    return len(user_rows) + len(group_rows)


def tail_agency(agencies):
    """The smallest agency of the Zipf tail (before the small ones): ~0.6 % of the cases."""
    return agencies[-6][0]


def add_second_membership(agencies, staff, now) -> None:
    """The first caseworker of the second-smallest tail agency also works as a
    caseworker for the third-smallest one (a person in two agencies)."""
    from accounts.models import Membership, RoleGroup, User

    home, second = agencies[-7][0], agencies[-8][0]
    user_id = staff[home.pk]["caseworker"][0]
    with keeping_timestamps(Membership):
        Membership.objects.bulk_create(
            [
                Membership(
                    user_id=user_id,
                    agency=second,
                    role="caseworker",
                    created_at=now,
                    updated_at=now,
                )
            ]
        )
    group = RoleGroup.objects.get(agency=second, role="caseworker").group_id
    User.groups.through.objects.create(user_id=user_id, group_id=group)


def generate(cases: int, users: int, seed: int) -> None:
    from django.db import connection, transaction

    from accounts.tracking import untracked
    from casework.models import Case, CaseCounter, Client

    rng = random.Random(seed)
    now = datetime.now(UTC)
    sizes = agency_sizes(cases)
    grants_desk_staff = ["agency_admin"] + ["referral_officer"] * 20
    staff_per_agency = staff_counts(sizes, users - len(grants_desk_staff))
    timer = Timer()
    with transaction.atomic(), untracked():
        operator = make_operator()
        agencies, grants_desk = make_agencies(operator, sizes, rng)
        timer.step(f"{len(agencies) + 1} agencies (create_agency)")

        agency_staff = []
        for (agency, _size), count in zip(agencies, staff_per_agency, strict=True):
            extra = [weighted(rng, ROLE_MIX) for _ in range(count - len(BASE_STAFF))]
            agency_staff.append((agency, BASE_STAFF + extra))
        agency_staff.append((grants_desk, grants_desk_staff))
        staff, rows = make_people(agency_staff, rng, now)
        timer.step(f"{users:,} users, memberships, group rows", rows)

        # Cases are planned before their clients are written, so that a client
        # all of whose cases are restricted is restricted too (as the services keep it).
        case_ids: dict = {}
        counters: dict = defaultdict(int)
        client_seconds = case_seconds = 0.0
        with keeping_timestamps(Client, Case):
            for agency, size in agencies:
                people = staff[agency.pk]
                client_ids = [uuid.uuid4() for _ in range(size)]
                planned = plan_cases(size, client_ids, people["caseworker"], rng, now)
                restricted: dict = {}
                for _opened, _updated, client_id, _assignee, _status, is_restricted in planned:
                    restricted[client_id] = restricted.get(client_id, True) and is_restricted
                started = time.perf_counter()
                registrars = people["caseworker"] + people["supervisor"]
                made = make_clients(agency, client_ids, restricted, registrars, rng, now)
                for chunk in chunks(made, BATCH_SIZE):
                    Client.objects.bulk_create(chunk, batch_size=BATCH_SIZE)
                client_seconds += time.perf_counter() - started
                started = time.perf_counter()
                ids = []
                made = make_cases(agency, planned, people["supervisor"], rng, counters)
                for chunk in chunks(made, BATCH_SIZE):
                    Case.objects.bulk_create(chunk, batch_size=BATCH_SIZE)
                    ids += [case.pk for case in chunk]
                case_ids[agency.pk] = ids
                case_seconds += time.perf_counter() - started
        CaseCounter.objects.bulk_create(
            [
                CaseCounter(agency_id=agency_id, year=year, last_value=value)
                for (agency_id, year), value in counters.items()
            ]
        )
        timer.step("clients, cases and case counters", 2 * sum(sizes))
        print(f"    (writing clients {client_seconds:.1f} s, cases {case_seconds:.1f} s)")

        grants = make_grants(grants_desk, staff, case_ids, agencies, rng)
        add_second_membership(agencies, staff, now)
        timer.step("explicit grants, a second membership", grants)

    tables = [
        "accounts_user",
        "accounts_membership",
        "accounts_user_groups",
        "casework_client",
        "casework_case",
        "casework_casecounter",
        "casework_caseuserobjectpermission",
        "casework_casegroupobjectpermission",
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}" if is_sqlite() else f"VACUUM (ANALYZE) {table}")
    timer.step("VACUUM (ANALYZE)")

    print(f"\nDone in {timer.total():.1f} s.")
    print(
        f"  agencies: {len(agencies)} + {GRANTS_AGENCY_SLUG}; cases per agency: "
        f"largest {sizes[0]:,}, median {sorted(sizes)[len(sizes) // 2]:,}, "
        f"smallest {min(sizes):,}"
    )
    print(f"  users: {users:,}; clients: {sum(sizes):,}; cases: {sum(sizes):,}; grants: {grants}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description="Fill the database with synthetic agencies, users, clients and cases.",
    )
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20_260_101)
    parser.add_argument(
        "--reset",
        action="store_true",
        help="first delete everything an earlier run made (and only that)",
    )
    parser.add_argument("--allow-sqlite", action="store_true")
    options = parser.parse_args(argv)
    if options.cases < 1000:
        parser.error("--cases must be at least 1000 (five small agencies hold 0.1 %% each).")

    setup_django()
    from django.conf import settings
    from django.db import transaction

    from casework.models import Case

    database = settings.DATABASES["default"]
    if is_sqlite() and not options.allow_sqlite:
        sys.exit(
            "Refusing to fill SQLite: the benchmark is about PostgreSQL. "
            "Set DATABASE_URL, or pass --allow-sqlite for a quick try."
        )
    print(f"Database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
    from accounts.models import Agency

    has_bench_data = Agency.objects.filter(contact_email__endswith=f"@{BENCH_DOMAIN}").exists()
    if options.reset:
        started = time.perf_counter()
        with transaction.atomic():
            delete_bench_data()
        print(f"  removed the earlier bench data in {time.perf_counter() - started:.1f} s")
        if Case.objects.exists():
            sys.exit("Refusing: the database holds cases the generator did not make.")
    elif Case.objects.exists() or has_bench_data:
        sys.exit("Refusing: the database already holds cases. Pass --reset to replace bench data.")
    generate(options.cases, options.users, options.seed)


if __name__ == "__main__":
    main()
