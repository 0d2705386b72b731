"""A partner's journey through a client generated from Sanad's served schema.

Run by .ci/client with the generated package (``sanad_client``) on the path,
against a live server on 127.0.0.1. It uses the client as a partner's developer
would: typed calls of ``sanad_client.api``, bodies built from the generated
models, answers read as the generated models. Every step checks what it got and
stops the run (exit 1) at the first surprise.

Environment: SANAD_URL, SANAD_PASSWORD (the demo users' password).
"""

import hashlib
import importlib
import json
import os
import pkgutil
import sys
import typing
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import sanad_client
from sanad_client import AuthenticatedClient, Client
from sanad_client.types import Unset

BASE_URL = os.environ["SANAD_URL"]
PASSWORD = os.environ["SANAD_PASSWORD"]
SENDER = "caseworker@amal.example"
RECEIVER = "referral_officer@casa.example"


class JourneyFailed(Exception):
    pass


def check(condition, message: str) -> None:
    if not condition:
        raise JourneyFailed(message)


def value(member):
    """An enum member's value (a generated client's enums are ``str`` enums)."""
    return getattr(member, "value", member)


def step(text: str) -> None:
    print(f"-- {text}", flush=True)


def api(name: str):
    """``sanad_client.api.<tag>.<operation id>``, found by operation id."""
    for module in _modules():
        if (
            module.__name__.rsplit(".", 1)[-1] == name
            and ".api." in module.__name__
            and hasattr(module, "sync_detailed")
        ):
            return module
    raise JourneyFailed(f"The generated client has no operation {name}.")


_imported: list = []


def _modules():
    if not _imported:
        prefix = sanad_client.__name__ + "."
        for info in pkgutil.walk_packages(sanad_client.__path__, prefix):
            _imported.append(importlib.import_module(info.name))
    return _imported


def body(module, **fields):
    """The operation's body model (the generated class its ``sync_detailed``
    takes), built from JSON-shaped fields with the model's own ``from_dict``."""
    hint = typing.get_type_hints(module.sync_detailed)["body"]
    candidates = typing.get_args(hint) or (hint,)
    errors = []
    for candidate in candidates:
        if candidate is Unset or not hasattr(candidate, "from_dict"):
            continue
        try:
            return candidate.from_dict(fields)
        except (KeyError, TypeError, ValueError) as error:  # another member of a union
            errors.append(f"{candidate.__name__}: {error!r}")
    raise JourneyFailed(f"No body model of {module.__name__} takes {sorted(fields)}: {errors}")


def call(module, expected: int, **kwargs):
    response = module.sync_detailed(**kwargs)
    check(
        response.status_code == expected,
        f"{module.__name__}: expected {expected}, got {int(response.status_code)} "
        f"{response.content[:500]!r}",
    )
    if expected < 300 and response.content and "json" in response.headers.get("content-type", ""):
        check(
            response.parsed is not None,
            f"{module.__name__}: the answer did not parse into the generated model",
        )
    return response


def login(email: str) -> AuthenticatedClient:
    obtain = api("auth_token_obtain")
    anonymous = Client(base_url=BASE_URL, raise_on_unexpected_status=True)
    issued = call(
        obtain,
        201,
        client=anonymous,
        body=body(obtain, email=email, password=PASSWORD, name="generated client journey"),
    ).parsed
    check(issued.token and issued.expires_at, "a token and its expiry")
    return AuthenticatedClient(base_url=BASE_URL, token=issued.token)


def every_page(module, client, **filters) -> list:
    """Follow ``next_cursor`` to the end; returns every row."""
    rows, cursor, pages = [], None, 0
    while True:
        arguments = dict(filters, client=client, page_size=2)
        if cursor is not None:
            arguments["cursor"] = cursor
        page = call(module, 200, **arguments).parsed
        pages += 1
        rows.extend(page.results)
        # ``next`` is a Python builtin: the generated model calls it ``next_``.
        if not page.next_cursor:
            check(page.next_ is None, "no next link without a next cursor")
            return rows
        linked = parse_qs(urlsplit(page.next_).query).get("cursor")
        check(linked == [page.next_cursor], "next_cursor is the cursor of the next link")
        cursor = page.next_cursor
        check(pages < 1000, "the cursor comes to an end")


def main() -> int:
    modules = _modules()
    endpoints = [m for m in modules if ".api." in m.__name__ and hasattr(m, "sync_detailed")]
    print(
        f"imported {len(modules)} modules of the generated client, "
        f"{len(endpoints)} of them operations",
        flush=True,
    )

    step(f"token for {SENDER}")
    sender = login(SENDER)
    me = call(api("me"), 200, client=sender).parsed
    check(me.email == SENDER, "the token is the sender's")

    step("cases, two a page, cursor to the end")
    cases = every_page(api("cases_list"), sender)
    ids = [case.id for case in cases]
    check(len(ids) == len(set(ids)), "no case twice")
    whole = call(api("cases_list"), 200, client=sender, page_size=100).parsed
    check(
        whole.next_cursor is None and len(whole.results) == len(ids),
        f"every case once: {len(ids)} by pages of 2, {len(whole.results)} in one page",
    )
    print(f"   {len(ids)} cases in {(len(ids) + 1) // 2} pages")

    step("register a client with an Idempotency-Key, twice")
    create = api("clients_create")
    key = str(uuid.uuid4())
    client_body = body(
        create,
        name="Journey Client " + key[:8],
        name_latin="Journey Client",
        date_of_birth="1991-05-04",
        sex="female",
        nationalities=["SY"],
        confirmed_not_duplicate=True,
    )
    first = call(create, 201, client=sender, body=client_body, idempotency_key=key)
    again = call(create, 201, client=sender, body=client_body, idempotency_key=key)
    check(first.parsed.id == again.parsed.id, "the retry answers with the same client")
    check("Idempotent-Replayed" not in first.headers, "the first answer is not a replay")
    check(again.headers.get("Idempotent-Replayed") == "true", "the retry says it replays")
    client_id = first.parsed.id
    print(f"   client {client_id}: created once, replayed once")

    step("open a case for the client")
    open_case = api("cases_create")
    case = call(
        open_case,
        201,
        client=sender,
        idempotency_key=str(uuid.uuid4()),
        body=body(
            open_case,
            client=str(client_id),
            case_type="asylum_legal",
            risk_level="medium",
            summary="Asylum appeal",
        ),
    ).parsed
    check(
        value(case.status) == "open",
        f"a new case is open: {case.status!r}",
    )

    step("ETag round trip on the case")
    read = call(api("cases_retrieve"), 200, client=sender, case_id=case.id)
    etag = read.headers["ETag"]
    change = api("cases_partial_update")
    changed = call(
        change,
        200,
        client=sender,
        case_id=case.id,
        if_match=etag,
        body=body(change, summary="Asylum appeal, hearing set"),
    )
    check(changed.headers["ETag"] != etag, "a change gives a new ETag")
    check(changed.parsed.summary == "Asylum appeal, hearing set", "the change is kept")
    stale = call(
        change,
        412,
        client=sender,
        case_id=case.id,
        if_match=etag,
        body=body(change, risk_level="high"),
    )
    check(stale.parsed.code == "stale_version", "a stale ETag is 412 stale_version")
    print(f"   {etag} -> {changed.headers['ETag']}; {etag} again: 412 stale_version")

    step("find the partner agency and one of its services")
    agencies = every_page(api("agencies_list"), sender)
    casa = next((agency for agency in agencies if agency.slug == "casa"), None)
    check(casa is not None and casa.takes_referrals, "the partner agency takes referrals")
    services = every_page(api("services_list"), sender, agency="casa")
    service = next(
        (s for s in services if s.accepts_referrals and value(s.status) == "active"),
        None,
    )
    check(service is not None, "the partner has a service that takes referrals")
    print(f"   {casa.name} ({casa.id}), service {service.name}")

    step("record the client's consent to the referral")
    consent = api("clients_consents_create")
    call(
        consent,
        201,
        client=sender,
        client_id=client_id,
        body=body(
            consent,
            purpose="referral",
            lawful_basis="consent",
            data_categories=["identity", "contact", "legal_status"],
            recipient_agencies=[str(casa.id)],
            given_by="client",
            method="verbal",
            notice_version="2026-01",
            explanation_language="ar",
            interpreter_used=True,
            expires_at=(datetime.now(UTC) + timedelta(days=180)).isoformat(),
        ),
    )

    step("referral created and sent")
    create_referral = api("referrals_create")
    referral = call(
        create_referral,
        201,
        client=sender,
        idempotency_key=str(uuid.uuid4()),
        body=body(
            create_referral,
            case=str(case.id),
            service=str(service.id),
            purpose="Legal advice on the appeal",
            respond_by=(datetime.now(UTC) + timedelta(days=14)).date().isoformat(),
            urgency="urgent",
            data_categories=["identity", "contact", "legal_status"],
        ),
    ).parsed
    check(value(referral.state) == "sent", "the referral is sent")
    print(f"   {referral.reference}: {getattr(referral.state, 'value', referral.state)}")

    step(f"token for {RECEIVER}; the referral is in their list and notifications")
    receiver = login(RECEIVER)
    inbox = every_page(api("referrals_list"), receiver)
    check(any(item.id == referral.id for item in inbox), "the receiver sees the referral")
    on_time = every_page(api("referrals_list"), receiver, overdue=False)
    check(
        any(item.id == referral.id for item in on_time),
        "a boolean filter (overdue=False) finds the referral due in two weeks",
    )
    notices = every_page(api("notifications_list"), receiver)
    print(f"   {len(inbox)} referrals, {len(notices)} notifications")

    step("accepted")
    accept = api("referrals_accept")
    accepted = call(accept, 200, client=receiver, referral_id=referral.id).parsed
    check(value(accepted.state) == "accepted", "accepted")

    step("packet read")
    read_packet = call(api("referrals_packet"), 200, client=receiver, referral_id=referral.id)
    packet = read_packet.parsed
    check(packet.data.identity.name.startswith("Journey Client"), "the packet names the client")
    frozen = json.loads(read_packet.content)["data"]
    canonical = json.dumps(frozen, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    check(
        not packet.withheld and hashlib.sha256(canonical.encode()).hexdigest() == packet.sha256,
        "the packet's data is what its sha256 says",
    )
    print(f"   packet {packet.sha256[:12]}…: {packet.data.identity.name}, sha256 checked")

    step("a case opened from the referral, for one of the assignable staff")
    staff = every_page(api("referrals_assignees"), receiver, referral_id=referral.id)
    check(staff, "the receiving agency has someone to assign")
    open_from = api("referrals_open_case")
    opened = call(
        open_from,
        201,
        client=receiver,
        referral_id=referral.id,
        idempotency_key=str(uuid.uuid4()),
        body=body(open_from, assigned_to=str(staff[0].id)),
    ).parsed
    print(f"   case {opened.case.number} for {staff[0].display_name}")

    step("the sender is told, without polling the referral")
    told = [
        notice
        for notice in every_page(api("notifications_list"), sender)
        if value(notice.kind) == "referral.accepted" and str(referral.id) in notice.url
    ]
    check(told, "the sender has a notification of the acceptance")
    print(f"   {told[0].text}")
    print("journey passed", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except JourneyFailed as failure:
        print(f"JOURNEY FAILED: {failure}", flush=True)
        sys.exit(1)
