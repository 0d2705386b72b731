"""Reading ``permission_matrix.toml`` and running its cells.

A *cell* is (route, method, persona, relation). The file says the status
each cell must answer; ``expected`` reads it, ``run_cell`` asks the app
(inside a savepoint that is always rolled back, so the world stays as built
for every cell) and returns what it answered, the forbidden canaries found in
the body and, for a write that must be refused, the tables whose row count
changed.
"""

import contextlib
import copy
import fnmatch
import io
import re
import tomllib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import resolve, reverse
from django.utils import timezone

from tests.factories import PASSWORD, PDF
from tests.security.world import CANARY_PATTERN, RELATIONS, World, clients_xlsx
from tests.urlconf import walk_routes

MATRIX_PATH = Path(__file__).with_name("permission_matrix.toml")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# What a route's table may hold besides its methods.
ROUTE_KEYS = frozenset({"query", "other_methods", "logs_out"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# URL arguments that point into a bundle (the relation axis), and where.
BUNDLE_ARGUMENTS = {
    "client_id": "client",
    "case_id": "case",
    "consent_id": "consent",
    "document_id": "document",
    "follow_up_id": "follow_up",
    "referral_id": "referral",
    "hold_id": "legal_hold",
    "goal_id": "goal",
    "action_id": "plan_action",
}
# URL arguments that point to one object of the world.
SINGLE_ARGUMENTS = {
    "membership_id": "membership",
    "agreement_id": "agreement",
    "token_id": "token",
    "notice_id": "notice",
    "service_id": "service",
    "import_id": "client_import",
    "mapping_id": "import_mapping",
}
# The relations of a route about a record: the bundles, and ids that exist nowhere.
BUNDLE_RELATIONS = (*RELATIONS, "missing")
# Arguments whose values are the relation itself (a file format, a report job's).
FORMAT_RELATIONS = ("csv", "xlsx", "pdf")
JOB_RELATIONS = ("csv", "xlsx")
ALL_RELATIONS = frozenset({*BUNDLE_RELATIONS, *FORMAT_RELATIONS, "-"})


# The id of the "missing" relation: no record anywhere has it.
MISSING_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


def load() -> dict:
    with MATRIX_PATH.open("rb") as file:
        return tomllib.load(file)


# --- The URL conf -----------------------------------------------------------------------


def every_route() -> dict[str, str]:
    """{route name: pattern} for every URL pattern except Django admin's (one
    rule of the file covers those: ``admin_routes``)."""
    return {
        name or route: route for name, route, namespace in walk_routes() if namespace != "admin"
    }


def admin_routes() -> dict[str, str]:
    return {
        name or route: route for name, route, namespace in walk_routes() if namespace == "admin"
    }


def arguments_of(route: str) -> list[str]:
    return [name for _kind, name in re.findall(r"<(?:(\w+):)?(\w+)>", route)]


def relations_of(route: str) -> tuple[str, ...]:
    arguments = arguments_of(route)
    if any(name in BUNDLE_ARGUMENTS for name in arguments):
        return BUNDLE_RELATIONS
    if "job_id" in arguments:
        return JOB_RELATIONS
    if "fmt" in arguments:
        return FORMAT_RELATIONS
    return ("-",)


def is_api(route: str) -> bool:
    return route.startswith("api/")


def address(world: World, name: str, route: str, relation: str, query: str = "") -> str:
    """The route's address for the relation, with the route's query (its
    placeholders filled in: ``placeholders``)."""
    bundle = world.bundles.get(relation)
    kwargs = {}
    for argument in arguments_of(route):
        if argument in BUNDLE_ARGUMENTS and relation == "missing":
            kwargs[argument] = MISSING_ID
        elif argument in BUNDLE_ARGUMENTS:
            kwargs[argument] = getattr(bundle, BUNDLE_ARGUMENTS[argument]).pk
        elif argument in SINGLE_ARGUMENTS:
            kwargs[argument] = world.objects[SINGLE_ARGUMENTS[argument]].pk
        elif argument == "row_number":
            # The world's import's one row.
            kwargs[argument] = 2
        elif argument == "slug":
            kwargs[argument] = world.agency.slug
        elif argument == "job_id":
            kwargs[argument] = world.objects[f"job_{relation}"].pk
        elif argument == "fmt":
            kwargs[argument] = relation
        elif argument in ("uidb64", "token"):
            kwargs[argument] = "MQ" if argument == "uidb64" else "set-password"
        else:
            raise AssertionError(f"{name}: no object for the URL argument {argument!r}")
    url = reverse(name, kwargs=kwargs)
    if query:
        url += "?" + query.format(**placeholders(world, relation))
    return url


# --- What the file expects --------------------------------------------------------------


def _assign(table: dict, into: dict[str, object], personas: tuple[str, ...], route: str) -> None:
    """``{"200": "cw sup", "other": 404}`` → into[persona] = status."""
    for key, value in table.items():
        if key in ALL_RELATIONS or key in ("other", "body", "format"):
            continue
        if not key.isdigit():
            raise AssertionError(f"{route}: unknown key {key!r}")
        for persona in value.split():
            if persona not in personas:
                raise AssertionError(f"{route}: unknown persona {persona!r}")
            into[persona] = int(key)


def expected(matrix: dict, name: str, method: str, route: str, relation: str) -> dict[str, int]:
    """{persona: status} for one route, method and relation."""
    personas = tuple(matrix["personas"])
    spec = matrix["routes"][name][method]
    surface = "api" if is_api(route) else "page"
    statuses: dict[str, object] = {}
    for persona, defaults in matrix["defaults"].items():
        statuses[persona] = defaults[surface]
    if "other" not in spec:
        raise AssertionError(f"{name} {method}: say what everyone else gets (other = ...)")
    for persona in personas:
        if persona not in matrix["defaults"]:
            statuses[persona] = spec["other"]
    _assign(spec, statuses, personas, f"{name} {method}")
    if relation == "missing":
        # A record that exists nowhere: 404 for everyone logged in, unless said.
        statuses.update({persona: 404 for persona in personas if persona not in matrix["defaults"]})
    if relation in spec:
        _assign(spec[relation], statuses, personas, f"{name} {method} {relation}")
    return statuses


def runs(matrix: dict, persona: str, relation: str) -> bool:
    """Whether the persona is run against the relation (the file's ``[relations]``;
    routes that are not about a record run for every persona)."""
    if relation not in BUNDLE_RELATIONS:
        return True
    return relation in matrix["relations"][persona].split()


def is_refusal(status: int, persona: str) -> bool:
    """A write answered so must have written nothing: any 4xx, and the login
    redirect of whoever is not logged in."""
    return status >= 400 or (status == 302 and persona in ("anon", "off"))


# --- The design's rules, which every cell of the file obeys ------------------------------

# Routes about the data-protection rights and the audit trail: a DPO reaches a
# client there through their role, without seeing case content (DESIGN §5).
_PROTECTION_WORDS = ("access", "subject", "legal-hold", "legal_hold", "erase", "data_protection")


def excused(matrix: dict, name: str, persona: str, relation: str) -> str:
    """The reason the file gives for a cell that breaks a design rule today ("" if none)."""
    for deviation in matrix.get("deviations", []):
        if (
            name in deviation["routes"].split()
            and persona in deviation["personas"].split()
            and relation in deviation["relations"].split()
        ):
            return deviation["reason"]
    return ""


def design_rules(
    matrix: dict, name: str, route: str, method: str, relation: str, persona: str, status: int
) -> list[str]:
    """The rules of DESIGN §2 and §5 this cell breaks (none, for a sound file).
    ``[deviations]`` of the file lists the cells that break one today, each
    with its reason."""
    broken = []
    surface = "api" if is_api(route) else "page"
    if status >= 500 or status < 200:
        broken.append("a 5xx (or no status) is never expected")
    refusals = (matrix["defaults"].get(persona, {}).get(surface), 401, 403, 405)
    public = name in matrix["public"]["routes"].split()
    if persona in ("anon", "off") and not public and status not in refusals:
        broken.append("not logged in: refused before anything is read")
    if relation not in BUNDLE_RELATIONS or persona in ("anon", "off"):
        return broken
    missing = expected(matrix, name, method, route, "missing")[persona]
    if relation == "missing" and status not in (403, 404):
        broken.append(
            "a record that does not exist answers 404 (403 when refused before any look-up)"
        )
    unseen = (
        persona == "out"  # a stranger agency
        # never the sender's case (only referrals are shared)
        or (persona in ("p_ro", "p_cw") and "referral_id" not in arguments_of(route))
        or (persona in ("p_ro", "p_cw") and relation in ("own", "declined"))  # draft, declined
        or (persona == "p_cw" and relation in ("restricted", "sent"))  # no case opened for them
        or (persona == "cw2" and relation == "restricted")  # restricted, not theirs
        or persona in ("ro", "admin")  # no casework role: no client, case or referral
    )
    if unseen and status != missing:
        broken.append(f"unseen: must answer as for a record that does not exist ({missing})")
    if persona in ("ro", "admin") and status < 300:
        broken.append("no casework role: reads no client, case or referral")
    if persona == "dpo" and status < 300 and not any(word in name for word in _PROTECTION_WORDS):
        broken.append("a DPO sees audit data and answers data-protection rights, not case content")
    return broken


def visible_tags(matrix: dict, persona: str) -> tuple[list[str], list[str]]:
    rule = matrix["canaries"].get(persona, {})
    return rule.get("see", []), rule.get("except", [])


def forbidden_canaries(matrix: dict, world: World, persona: str) -> frozenset[str]:
    """The canaries the persona must never be shown."""
    see, hidden = visible_tags(matrix, persona)
    forbidden = set()
    for canary, tag in world.canaries.tags.items():
        seen = any(fnmatch.fnmatchcase(tag, pattern) for pattern in see)
        if not seen or any(fnmatch.fnmatchcase(tag, pattern) for pattern in hidden):
            forbidden.add(canary)
    return frozenset(forbidden)


# --- Running a cell ---------------------------------------------------------------------


# What ``draw_pdfs_as_html`` answers instead of a PDF: a marker, then the HTML
# WeasyPrint would have drawn.
PDF_STAND_IN = b"%PDF-stand-in\n"


def body_text(response) -> str:
    """Every text an answer holds: its headers (a redirect's address, a
    download's file name), the body's bytes as they are, the text of a PDF
    and the cell values of an XLSX."""
    if getattr(response, "streaming", False):
        # Consumed through the test client's wrapper, which closes the file
        # (closing the response here would close the database connection).
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    headers = "\n".join(f"{key}: {value}" for key, value in response.items())
    parts = [headers, content.decode("utf-8", errors="replace")]
    content_type = response.get("Content-Type", "")
    if content.startswith(PDF_STAND_IN):
        return "\n".join(parts)
    if content.startswith(b"%PDF") or "pdf" in content_type:
        parts.append(_pdf_text(content))
    if content.startswith(b"PK") or "spreadsheet" in content_type:
        parts.append(_xlsx_text(content))
    return "\n".join(parts)


@contextlib.contextmanager
def draw_pdfs_as_html():
    """PDFs drawn as the HTML they are made from (WeasyPrint takes up to
    seconds a PDF; what a PDF shows is exactly that HTML).
    ``test_the_scanner_finds_canaries_in_every_kind_of_body`` draws real ones
    and reads canaries out of them with pypdf."""
    from reports import pdf
    from reports.documents import case_file

    def stand_in(html: str) -> bytes:
        return PDF_STAND_IN + html.encode()

    original = pdf.html_to_pdf
    pdf.html_to_pdf = case_file.html_to_pdf = stand_in
    try:
        yield
    finally:
        pdf.html_to_pdf = case_file.html_to_pdf = original


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        text = "".join(page.extract_text() or "" for page in reader.pages)
    except Exception as error:  # a broken PDF is reported, not scanned as empty
        return f"UNREADABLE PDF: {error!r}"
    # A canary may be wrapped over two lines of a PDF.
    return re.sub(r"\s+", "", text)


def _xlsx_text(content: bytes) -> str:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True)
    except Exception as error:
        return f"UNREADABLE XLSX: {error!r}"
    return "\n".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def canaries_in(text: str) -> set[str]:
    return set(re.findall(CANARY_PATTERN, text))


class RowCounter:
    """Row counts of the tables a refused write must leave alone: every table
    of Sanad's apps (records, their history tables, guardian's direct grant
    tables, memberships, notices, report jobs) except the access log, plus
    Django's groups and group memberships and guardian's generic grant
    tables. One statement counts them all.

    Every cell runs in a savepoint rolled back after it, so every cell starts
    from the same rows: they are counted once (``baseline``, when the counter
    is made) and after each refused write."""

    def __init__(self) -> None:
        tables = set()
        for label in ("accounts", "casework", "referrals", "privacy", "reports"):
            for model in apps.get_app_config(label).get_models(include_auto_created=True):
                if model._meta.label in ("accounts.AccessLog",):
                    continue
                tables.add(model._meta.db_table)
        user_model = apps.get_model("accounts", "User")
        tables.add(apps.get_model("auth", "Group")._meta.db_table)
        tables.add(user_model.groups.through._meta.db_table)
        tables.add(user_model.user_permissions.through._meta.db_table)
        tables.add(apps.get_model("guardian", "UserObjectPermission")._meta.db_table)
        tables.add(apps.get_model("guardian", "GroupObjectPermission")._meta.db_table)
        self.tables = sorted(tables)
        quoted = connection.ops.quote_name
        # Table names from the models' metadata, quoted; no value from outside.
        count = "(SELECT COUNT(*) FROM {})"
        self.sql = "SELECT " + ", ".join(count.format(quoted(t)) for t in self.tables)  # nosec B608
        self.baseline = self.counts()

    def counts(self) -> tuple[int, ...]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql)
            return tuple(cursor.fetchone())

    def changed(self) -> list[str]:
        """The tables whose row count is not the baseline's, with both counts."""
        return [
            f"{table} {old}→{new}"
            for table, old, new in zip(self.tables, self.baseline, self.counts(), strict=True)
            if old != new
        ]


@dataclass
class Answer:
    status: int
    location: str
    leaked: set[str]
    changed: list[str]
    problem_code: str = ""


class _Rollback(Exception):
    pass


def placeholders(world: World, relation: str) -> dict[str, str]:
    """What a query or a body may name: the relation's records, the agencies,
    a few people, a date a week ahead."""
    bundle = world.bundles.get(relation) or world.bundles["own"]
    users = world.users
    return {
        "case": str(bundle.case.pk),
        "client": str(bundle.client.pk),
        "referral": str(bundle.referral.pk),
        "goal": str(bundle.goal.pk),
        "agency": world.agency.slug,
        "agency_id": str(world.agency.pk),
        "partner_id": str(world.partner_agency.pk),
        "caseworker_id": str(users["cw"].pk),
        "supervisor_id": str(users["sup"].pk),
        "partner_caseworker_id": str(users["p_cw"].pk),
        "caseworker_email": users["cw"].email,
        "password": PASSWORD,
        "in_a_week": (timezone.now().date() + timedelta(days=7)).isoformat(),
    }


def fill(value, values: dict[str, str]):
    """A body of the file with its placeholders filled in; ``{pdf}`` is a small PDF file."""
    if isinstance(value, str):
        if value == "{pdf}":
            return SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
        if value == "{xlsx}":
            return SimpleUploadedFile("clients.xlsx", clients_xlsx(), content_type="text/plain")
        return value.format(**values)
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    return value


def send(http, method: str, url: str, *, api: bool, body=None, format: str = "json"):
    """One request. An API write carries its body as JSON (or multipart) and
    ``If-Match: *`` (any version: the cell is about permission, not about a
    stale copy); a page write posts its form fields (none by default)."""
    call = getattr(http, method.lower())
    if method == "GET":
        return call(url)
    if api:
        return call(url, body or {}, format=format, HTTP_IF_MATCH="*")
    if method == "POST":
        return call(url, body or {})
    return call(url)


def run_cell(
    http,
    method: str,
    url: str,
    *,
    api: bool,
    forbidden: frozenset[str],
    counter: RowCounter | None,
    body=None,
    format: str = "json",
) -> Answer:
    """Send one request inside a savepoint that is then rolled back: the
    status, where a redirect goes, the forbidden canaries in the body and (with
    ``counter``) the tables whose row count the request changed."""
    answer = None
    # A logout (or a refused one) must not log the persona out of the next cells.
    cookies = copy.deepcopy(http.cookies)
    try:
        with transaction.atomic():
            response = send(http, method, url, api=api, body=body, format=format)
            changed = counter.changed() if counter else []
            text = body_text(response)
            code = ""
            if response.get("Content-Type", "").startswith("application/problem+json"):
                try:
                    code = response.json().get("code", "")
                except ValueError:
                    code = ""
            answer = Answer(
                status=response.status_code,
                location=response.get("Location", ""),
                leaked=canaries_in(text) & forbidden,
                changed=changed,
                problem_code=code,
            )
            raise _Rollback
    except _Rollback:
        pass
    finally:
        http.cookies = cookies
    return answer


def redirect_target(location: str) -> str:
    """The URL name a redirect points to ("" when it does not resolve)."""
    if not location:
        return ""
    try:
        return resolve(urlsplit(location).path).view_name
    except Exception:
        return ""
