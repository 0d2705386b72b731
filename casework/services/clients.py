"""Client services: register, update, special-category section, identity documents."""

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_countries import countries

from accounts.audit import save_with_history
from accounts.models import Agency, User
from accounts.permissions import Perm
from casework.models import (
    Client,
    ClientSensitive,
    IdentityDocument,
)
from casework.names import document_number_key
from casework.selectors import (
    find_possible_duplicates,
    get_client_for,
)
from casework.services.common import (
    CLIENT_FIELDS,
    SENSITIVE_FIELDS,
    ExpectedVersion,
    PossibleDuplicate,
    check_version,
    prefixed,
    require_caller_transaction,
    require_mapping,
    unknown_fields,
    validated_client,
)
from config.errors import Forbidden, InvalidInput


@transaction.atomic
def register_client(
    *,
    actor: User,
    agency: Agency,
    data: dict[str, Any],
    documents: list[dict[str, Any]] | None = None,
    sensitive: dict[str, Any] | None = None,
    confirmed_not_duplicate: bool = False,
) -> Client:
    """Register a client in ``agency`` (needs ADD_CLIENT there), with identity
    documents. Possible duplicates among the clients the actor can see raise
    PossibleDuplicate unless ``confirmed_not_duplicate``. Special-category data
    needs VIEW_SENSITIVE in the agency."""
    if not actor.has_perm(Perm.ADD_CLIENT, agency):
        raise Forbidden()
    documents = _checked_input(data, documents)
    if sensitive and not actor.has_perm(Perm.VIEW_SENSITIVE, agency):
        raise Forbidden(_("Your role may not record special-category data for this client."))
    client, identity_documents = _validated_new_client(actor, agency, data, documents)
    if not confirmed_not_duplicate:
        candidates = find_possible_duplicates(
            actor,
            name=client.name,
            name_latin=client.name_latin,
            date_of_birth=client.date_of_birth,
            document_numbers=[document.number for document in identity_documents],
        )
        if candidates:
            raise PossibleDuplicate(candidates)
    save_with_history(client, actor=actor, reason=gettext_noop("client registered"))
    for document in identity_documents:
        save_with_history(document, actor=actor, reason=gettext_noop("identity document recorded"))
    if sensitive:
        _save_sensitive(actor, client, sensitive, reason=gettext_noop("recorded at registration"))
    return client


def save_new_client(
    *,
    actor: User,
    agency: Agency,
    data: dict[str, Any],
    reason: str,
    documents: list[dict[str, Any]] | None = None,
    sensitive: dict[str, Any] | None = None,
) -> Client:
    """Write a new client of ``agency`` as ``register_client`` validates one,
    with identity documents and the special-category section, every row saved
    with history under ``reason``. No permission and no duplicate check: for
    a use case that decided both itself (referrals' intake registers the
    client a packet describes under RESPOND_REFERRAL on the referral). Call
    inside its transaction."""
    require_caller_transaction()
    documents = _checked_input(data, documents)
    client, identity_documents = _validated_new_client(actor, agency, data, documents)
    save_with_history(client, actor=actor, reason=reason)
    for document in identity_documents:
        save_with_history(document, actor=actor, reason=reason)
    if sensitive:
        _save_sensitive(actor, client, sensitive, reason=reason)
    return client


def validate_new_client(
    *,
    actor: User,
    agency: Agency,
    data: dict[str, Any],
    documents: list[dict[str, Any]],
    trusted_links: bool = False,
) -> tuple[Client, list[IdentityDocument]]:
    """The client and identity documents ``register_client`` would write,
    validated exactly as it validates them, unsaved: a ValidationError naming
    every field that is wrong (the spreadsheet import's dry run). No
    permission and no duplicate check; ``trusted_links``: see
    ``common.TRUSTED_LINKS``."""
    return _validated_new_client(
        actor, agency, data, _checked_input(data, documents), trusted_links=trusted_links
    )


def _checked_input(data, documents) -> list:
    """The shape of a registration: known client fields, a list of documents."""
    unknown_fields(require_mapping(data, "data"), CLIENT_FIELDS)
    documents = documents or []
    if not isinstance(documents, list):
        raise InvalidInput(_("Expected a list."), code="invalid", field="documents")
    return documents


def _validated_new_client(
    actor: User, agency: Agency, data: dict[str, Any], documents: list, *, trusted_links=False
) -> tuple[Client, list[IdentityDocument]]:
    client = validated_client(
        Client(agency=agency, registered_by=actor, **data), trusted_links=trusted_links
    )
    # Validate every document before anything is written or compared.
    identity_documents = [
        _identity_document(
            client, document, prefix=f"documents.{index}.", trusted_links=trusted_links
        )
        for index, document in enumerate(documents)
    ]
    return client, identity_documents


@transaction.atomic
def update_client(
    *,
    actor: User,
    client_id: UUID | str,
    expected_version: ExpectedVersion,
    changes: dict[str, Any],
    reason: str = "",
) -> Client:
    """Change a client's identity and contact fields. Needs CHANGE_CLIENT; a
    stale ``expected_version`` raises PreconditionFailed (412), changing nothing."""
    unknown_fields(require_mapping(changes, "changes"), CLIENT_FIELDS)
    client = get_client_for(actor, client_id, Perm.CHANGE_CLIENT, lock=True)
    check_version(client, expected_version)
    for name, value in changes.items():
        setattr(client, name, value)
    validated_client(client)
    client.version += 1
    save_with_history(client, actor=actor, reason=reason or gettext_noop("client updated"))
    return client


def _save_sensitive(actor: User, client: Client, changes: dict[str, Any], reason: str):
    unknown_fields(require_mapping(changes, "sensitive"), SENSITIVE_FIELDS)
    section = ClientSensitive.objects.filter(client=client).first() or ClientSensitive(
        client=client
    )
    for name, value in changes.items():
        setattr(section, name, value)
    allowed = set(ClientSensitive.Vulnerability.values)
    vulnerabilities = section.vulnerabilities
    if not isinstance(vulnerabilities, list) or not all(
        isinstance(item, str) and item in allowed for item in vulnerabilities
    ):
        raise ValidationError({"vulnerabilities": _("Choose from the listed vulnerabilities.")})
    save_with_history(section, actor=actor, reason=reason)
    return section


@transaction.atomic
def update_client_sensitive(
    *, actor: User, client_id: UUID | str, changes: dict[str, Any], reason: str = ""
) -> ClientSensitive:
    """Write the special-category section. Needs VIEW_SENSITIVE (supervisors,
    or the caseworker assigned to one of the client's cases) and CHANGE_CLIENT."""
    client = get_client_for(actor, client_id, Perm.CHANGE_CLIENT, lock=True)
    if not actor.has_perm(Perm.VIEW_SENSITIVE, client):
        raise Forbidden(_("Only the assigned caseworker and supervisors may change this section."))
    return _save_sensitive(
        actor, client, changes, reason or gettext_noop("special-category data updated")
    )


def _identity_document(
    client: Client, data, prefix: str = "", *, trusted_links: bool = False
) -> IdentityDocument:
    """A validated, unsaved identity document (errors name ``prefix`` + field)."""
    if not isinstance(data, dict):
        raise InvalidInput(
            _("Expected an object with fields."),
            code="invalid",
            field=prefix.rstrip(".") or "document",
        )
    unknown_fields(data, ("type", "number", "issuing_country", "expires_on"), prefix)
    document = IdentityDocument(client=client, **data)
    try:
        document.full_clean(exclude=["client", "number_key"], validate_unique=not trusted_links)
    except ValidationError as error:
        raise prefixed(error, prefix) from error
    document.number = document.number.strip()
    document.number_key = document_number_key(document.number)
    if not document.number_key:
        raise ValidationError({f"{prefix}number": [_("Give the document number.")]})
    document.issuing_country = document.issuing_country.upper()
    if document.issuing_country and document.issuing_country not in dict(countries):
        raise ValidationError({f"{prefix}issuing_country": [_("Use a country code such as SY.")]})
    return document


def add_identity_document_of(
    *, actor: User, client: Client, data: dict[str, Any], reason: str
) -> IdentityDocument:
    """Write an identity document of ``client``, validated as
    ``add_identity_document`` validates one, under ``reason``. No permission
    check: for a use case that checked (the spreadsheet import). Call inside
    its transaction."""
    require_caller_transaction()
    document = _identity_document(client, data)
    save_with_history(document, actor=actor, reason=reason)
    return document


@transaction.atomic
def add_identity_document(
    *, actor: User, client_id: UUID | str, data: dict[str, Any]
) -> IdentityDocument:
    """Record an identity document of a client. Needs CHANGE_CLIENT."""
    client = get_client_for(actor, client_id, Perm.CHANGE_CLIENT, lock=True)
    document = _identity_document(client, data)
    save_with_history(document, actor=actor, reason=gettext_noop("identity document recorded"))
    return document
