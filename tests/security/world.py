"""The world the permission matrix runs in: three agencies, the personas of
``permission_matrix.toml`` and, in the owning agency, one bundle of records per
*relation*: an ordinary case (its referral to the partner still a draft), a
restricted one, and cases whose referral to the partner is sent, accepted and
declined.

Every free-text field of every record holds its own canary,
``CANARY-<uuid4 hex>``, tagged ``<bundle>.<kind>`` (``sent.client.contact``,
``restricted.note``, ``casa.case``…). The data file says which tags each
persona may see; every other canary must never appear in a response to them.

Built once per test module (``build_world``), through the services, as the
agencies' own staff would.
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Membership, User
from accounts.permissions import Role
from accounts.services import deactivate_member, issue_api_token, notify_users
from tests.factories import (
    PDF,
    AgencyFactory,
    agree_emergency_access,
    make_member,
    make_service,
)

CANARY_PREFIX = "CANARY-"
# "CANARY-" + 32 hex digits: 39 characters, short enough for a phone field.
CANARY_PATTERN = r"CANARY-[0-9a-f]{32}"

# The bundles of the owning agency, by relation (the relation axis of the matrix).
RELATIONS = ("own", "restricted", "sent", "accepted", "declined")


class Canaries:
    """Every canary of the world and its tag."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {}

    def new(self, tag: str) -> str:
        value = f"{CANARY_PREFIX}{uuid.uuid4().hex}"
        self.tags[value] = tag
        return value


@dataclass
class Bundle:
    """The records of one relation: a client, their case and everything in it."""

    relation: str
    client: object = None
    case: object = None
    consent: object = None
    document: object = None
    follow_up: object = None
    note: object = None
    confidential_note: object = None
    referral: object = None
    legal_hold: object = None
    goal: object = None
    plan_action: object = None


@dataclass
class World:
    agency: object
    partner_agency: object
    other_agency: object
    users: dict[str, User]  # persona (the data file's short name) -> user; not "anon"
    tokens: dict[str, str]  # persona -> plain bearer token
    bundles: dict[str, Bundle]
    canaries: Canaries
    # Single objects the other URL arguments point to.
    objects: dict[str, object] = field(default_factory=dict)
    # Where the documents' files are (the test sets the storage there).
    location: object = None

    def fresh(self, persona: str) -> User:
        """The persona's user read anew (a user object caches its roles and
        scope for one request)."""
        return User.objects.get(pk=self.users[persona].pk)


def _client_data(canaries: Canaries, tag: str) -> dict:
    def c(kind):
        return canaries.new(f"{tag}.client.{kind}")

    return {
        "name": c("identity"),
        "name_latin": c("identity"),
        "preferred_name": c("identity"),
        "gender_identity": c("identity"),
        "date_of_birth": "1990-04-02",
        "sex": "female",
        "nationalities": ["SY"],
        "languages": ["ar"],
        "phone": c("contact"),
        "email": f"{c('contact')}@test.example",
        "address": c("contact"),
        "city": c("contact"),
        "legal_status": "asylum_seeker",
        "legal_status_note": c("legal_status"),
        "family_situation": c("family"),
        "education": c("education_employment"),
        "employment": c("education_employment"),
    }


def _sensitive_data(canaries: Canaries, tag: str) -> dict:
    fields = ("health", "disability", "protection_concerns", "ethnicity", "religion")
    data = {name: canaries.new(f"{tag}.sensitive") for name in fields}
    data["sexual_orientation"] = canaries.new(f"{tag}.sensitive")
    return data


def _document(canaries: Canaries, tag: str) -> SimpleUploadedFile:
    # The file itself carries a canary too (a comment in the PDF): a download
    # by someone who may not see it must not happen at all.
    content = PDF.replace(b"%%EOF", f"% {canaries.new(f'{tag}.document')}\n%%EOF".encode())
    return SimpleUploadedFile("scan.pdf", content, content_type="application/pdf")


def _bundle(
    world: World,
    relation: str,
    *,
    restricted: bool = False,
    referral_categories: tuple[str, ...] = ("identity", "contact"),
) -> Bundle:
    """One client of the owning agency with one case assigned to the caseworker,
    and in it a note, a confidential note (by the supervisor), a follow-up, a
    document, a do-not-disclose entry, a consent to share with the partner, an
    integration plan (a goal, its action for the partner), a legal hold and a
    referral to the partner (a draft, sent from here on)."""
    from casework import services as casework
    from privacy.services import place_legal_hold
    from referrals import services as referrals

    canaries = world.canaries
    caseworker, supervisor = world.fresh("cw"), world.fresh("sup")
    bundle = Bundle(relation=relation)
    bundle.client = casework.register_client(
        actor=supervisor,
        agency=world.agency,
        data=_client_data(canaries, relation),
        documents=[
            {
                "type": "passport",
                "number": canaries.new(f"{relation}.identity_document"),
                "issuing_country": "SY",
            }
        ],
        sensitive=_sensitive_data(canaries, relation),
        confirmed_not_duplicate=True,
    )
    bundle.case = casework.open_case(
        actor=supervisor,
        client_id=bundle.client.pk,
        case_type="gbv" if restricted else "housing",
        risk_level="high",
        summary=canaries.new(f"{relation}.case"),
        assigned_to=caseworker,
        is_restricted=restricted,
    )
    case_id = bundle.case.pk
    # The actors cache their scope: read them anew now that the case is theirs.
    caseworker, supervisor = world.fresh("cw"), world.fresh("sup")
    bundle.note = casework.add_note(
        actor=caseworker, case_id=case_id, body=canaries.new(f"{relation}.note")
    )
    bundle.confidential_note = casework.add_note(
        actor=supervisor,
        case_id=case_id,
        body=canaries.new(f"{relation}.confidential_note"),
        is_confidential=True,
    )
    bundle.follow_up = casework.schedule_follow_up(
        actor=caseworker,
        case_id=case_id,
        title=canaries.new(f"{relation}.follow_up"),
        due_on=timezone.now().date() + timedelta(days=7),
    )
    bundle.document = casework.upload_document(
        actor=caseworker,
        case_id=case_id,
        uploaded_file=_document(canaries, relation),
        category="legal",
        description=canaries.new(f"{relation}.document"),
    )
    casework.add_do_not_disclose(
        actor=caseworker,
        case_id=case_id,
        person_name=canaries.new(f"{relation}.do_not_disclose"),
        reason=canaries.new(f"{relation}.do_not_disclose"),
    )
    bundle.consent = casework.record_consent(
        actor=caseworker,
        client_id=bundle.client.pk,
        purpose="referral",
        lawful_basis="consent",
        data_categories=["identity", "contact", "case_notes"],
        given_by="guardian",
        given_by_name=canaries.new(f"{relation}.consent"),
        method="verbal",
        notice_version="2026-01",
        explanation_language="ar",
        recipient_agencies=[world.partner_agency],
    )
    # The integration plan: a goal (not about health) with one action.
    bundle.goal = casework.add_goal(
        actor=caseworker,
        case_id=case_id,
        domain="language",
        statement=canaries.new(f"{relation}.plan"),
        statement_client=canaries.new(f"{relation}.plan"),
    )
    bundle.plan_action = casework.add_action(
        actor=caseworker,
        case_id=case_id,
        goal_id=bundle.goal.pk,
        description=canaries.new(f"{relation}.plan"),
        responsible="partner",
        responsible_agency=world.partner_agency.pk,
    )
    bundle.legal_hold = place_legal_hold(
        actor=world.fresh("dpo"),
        client_id=bundle.client.pk,
        reason=canaries.new(f"{relation}.legal_hold"),
    )
    bundle.referral = referrals.create_referral(
        actor=caseworker,
        case_id=case_id,
        to_agency_id=world.partner_agency.pk,
        purpose=canaries.new(f"{relation}.referral"),
        respond_by=timezone.now().date() + timedelta(days=14),
        message=canaries.new(f"{relation}.referral"),
        data_categories=list(referral_categories),
    )
    return bundle


def _send(world: World, bundle: Bundle) -> None:
    from referrals import services as referrals

    bundle.referral = referrals.send_referral(
        actor=world.fresh("cw"), referral_id=bundle.referral.pk
    )
    referrals.post_referral_message(
        actor=world.fresh("cw"),
        referral_id=bundle.referral.pk,
        body=world.canaries.new(f"{bundle.relation}.referral_message"),
    )


def build_world() -> World:
    """Agencies, personas, bundles and the single objects, through the services."""
    from casework import services as casework
    from casework.services.imports import save_mapping, upload_import
    from referrals import services as referrals
    from reports.services import request_report, run_report_job

    canaries = Canaries()
    agency = AgencyFactory(slug="amal", name="Amal Refugee Support", languages=["ar", "en"])
    partner = AgencyFactory(slug="casa", name="Casa Comune", languages=["it", "en"])
    other = AgencyFactory(
        slug="city",
        name="City Social Services Office",
        kind="public_office",
        is_public_authority=True,
    )
    admin = make_member(agency, Role.AGENCY_ADMIN, display_name="Karim Admin")
    users = {
        "admin": admin,
        "cw": make_member(agency, Role.CASEWORKER, display_name="Layla Caseworker"),
        "cw2": make_member(agency, Role.CASEWORKER, display_name="Nour Unassigned"),
        "sup": make_member(agency, Role.SUPERVISOR, display_name="Omar Supervisor"),
        "ro": make_member(agency, Role.REFERRAL_OFFICER, display_name="Rami Referrals"),
        "dpo": make_member(agency, Role.DPO, display_name="Hana DPO"),
        "p_ro": make_member(partner, Role.REFERRAL_OFFICER, display_name="Chiara Referrals"),
        "p_cw": make_member(partner, Role.CASEWORKER, display_name="Marco Partner"),
        "out": make_member(other, Role.CASEWORKER, display_name="Paolo Outsider"),
        "off": make_member(agency, Role.CASEWORKER, display_name="Dana Deactivated"),
        "otp": make_member(agency, Role.SUPERVISOR, display_name="Sami Second Factor"),
    }
    # Issued before the deactivation below, which revokes it: a bearer token
    # of a deactivated user.
    tokens = {name: issue_api_token(actor=user)[1] for name, user in users.items()}
    world = World(
        agency=agency,
        partner_agency=partner,
        other_agency=other,
        users=users,
        tokens=tokens,
        bundles={},
        canaries=canaries,
    )

    # A service of each agency of the referrals; the directory's routes name the
    # owning agency's (its administrator edits it, everyone reads it).
    world.objects["service"] = make_service(agency, name="Housing desk", category="housing")
    make_service(partner)

    bundles = world.bundles
    bundles["own"] = _bundle(world, "own")  # its referral stays a draft
    bundles["restricted"] = _bundle(
        world, "restricted", restricted=True, referral_categories=("identity",)
    )
    bundles["sent"] = _bundle(
        world, "sent", referral_categories=("identity", "contact", "case_notes")
    )
    bundles["accepted"] = _bundle(world, "accepted")
    bundles["declined"] = _bundle(world, "declined")
    for relation in ("restricted", "sent", "accepted", "declined"):
        _send(world, bundles[relation])

    officer = world.fresh("p_ro")
    bundles["accepted"].referral = referrals.accept_referral(
        actor=officer,
        referral_id=bundles["accepted"].referral.pk,
        note=canaries.new("accepted.referral"),
    )
    # The partner opens its own case from it, for its caseworker (who may then
    # read the packet), and writes in it: the owning agency must never see that.
    received = referrals.open_case_from_referral(
        actor=officer,
        referral_id=bundles["accepted"].referral.pk,
        assigned_to=users["p_cw"],
    )
    casework.add_note(
        actor=world.fresh("p_cw"), case_id=received.pk, body=canaries.new("casa.note")
    )
    world.objects["received_case"] = received
    bundles["declined"].referral = referrals.decline_referral(
        actor=world.fresh("p_ro"),
        referral_id=bundles["declined"].referral.pk,
        reason=canaries.new("declined.decline_reason"),
    )

    # The outsider agency's own client and case: only its members see them.
    outsider = users["out"]
    city_client = casework.register_client(
        actor=outsider,
        agency=other,
        data=_client_data(canaries, "city"),
        confirmed_not_duplicate=True,
    )
    city_case = casework.open_case(
        actor=outsider,
        client_id=city_client.pk,
        case_type="housing",
        summary=canaries.new("city.case"),
    )
    casework.add_note(
        actor=world.fresh("out"), case_id=city_case.pk, body=canaries.new("city.note")
    )

    # The single objects of the other URL arguments.
    caseworker = users["cw"]
    world.objects["membership"] = Membership.objects.get(user=caseworker, agency=agency)
    world.objects["agreement"] = agree_emergency_access(agency, other)
    world.objects["token"] = caseworker.api_tokens.first()
    [world.objects["notice"]] = notify_users(
        [caseworker],
        kind="case_assigned",
        text="Case %(number)s was assigned to you.",
        values={"number": bundles["own"].case.number},
        url=f"/cases/{bundles['own'].case.pk}/",
        email=False,
    )
    for format in ("csv", "xlsx"):
        job = request_report(
            actor=caseworker, kind="case_list", format=format, parameters={}, language="en"
        )
        run_report_job(job.pk)
        world.objects[f"job_{format}"] = job

    world.objects["client_import"] = upload_import(
        actor=users["sup"], agency=agency, data=clients_xlsx(), file_name="clients.xlsx"
    )
    world.objects["import_mapping"] = save_mapping(
        actor=users["sup"], import_id=world.objects["client_import"].pk, name="Clients"
    )

    # Deactivated last: its membership and token exist, and are ended.
    deactivated = users["off"]
    deactivate_member(
        actor=admin,
        agency=agency,
        membership_id=Membership.objects.get(user=deactivated, agency=agency).pk,
    )
    users["off"] = User.objects.get(pk=deactivated.pk)
    return world


def clients_xlsx() -> bytes:
    """A spreadsheet of one client, made up (no canary: an import's rows hold
    no record's text)."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Name", "Date of birth", "Case type"])
    book.active.append(["Tesfay Gebremariam", "1988-02-11", "housing"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
