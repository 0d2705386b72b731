"""Saved mappings: an import's mapping kept under a name, to reuse for the
next file of the same shape (the same sheets, with the headers it maps).

A saved mapping holds the columns' fields, the value mappings (the texts the
user chose codes for) and the sheets' roles; never a cell of the file
otherwise. An upload names one to start from, or the newest whose shape the
file has is taken; a mapping that does not fit the file is refused, naming
the field.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import agencies_where
from casework.models import ClientImport, ImportMapping
from config.errors import Forbidden, InvalidInput, NotFound


def mappings_visible_to(actor: User):
    """The saved mappings of the agencies where ``actor`` may import, by name."""
    return (
        ImportMapping.objects.filter(agency_id__in=agencies_where(actor, Perm.IMPORT_CLIENTS))
        .select_related("agency")
        .order_by("name", "id")
    )


def _shape(client_import: ClientImport) -> dict[str, list[str]]:
    """The headers of the sheets the import's mapping uses (what a file must have)."""
    used = {client_import.sheet, client_import.case_sheet, client_import.document_sheet} - {""}
    columns = (client_import.mapping or {}).get("columns", {})
    return {
        sheet["name"]: [header for header in sheet["headers"] if header]
        for sheet in client_import.sheets
        if sheet["name"] == client_import.sheet
        or (sheet["name"] in used and any(columns.get(sheet["name"], {}).values()))
    }


def fits(saved: ImportMapping, sheets: list[dict]) -> bool:
    """Whether a file of these sheets ([{"name", "headers"}]) has the saved
    mapping's shape: each of its sheets, with each header it maps."""
    headers_of = {sheet["name"]: set(sheet["headers"]) for sheet in sheets}
    for sheet_name in {saved.sheet, saved.case_sheet, saved.document_sheet} - {""}:
        if sheet_name not in headers_of:
            return False
        mapped = {
            header
            for header, field in saved.mapping.get("columns", {}).get(sheet_name, {}).items()
            if field
        }
        if not mapped <= headers_of[sheet_name]:
            return False
    return True


def matching_mapping(agency: Agency, sheets: list[dict]) -> ImportMapping | None:
    """The most recently saved mapping of ``agency`` a file of these sheets fits."""
    for saved in ImportMapping.objects.filter(agency=agency).order_by("-updated_at", "-id"):
        if fits(saved, sheets):
            return saved
    return None


def get_mapping_for(agency: Agency, mapping_id: UUID | str | None) -> ImportMapping:
    """The agency's saved mapping ``mapping_id``; InvalidInput naming
    ``saved_mapping`` when there is none such."""
    try:
        return ImportMapping.objects.get(agency=agency, pk=mapping_id)
    except (ImportMapping.DoesNotExist, ValidationError, ValueError, TypeError):
        raise InvalidInput(
            _("Choose one of the agency's saved mappings."),
            code="does_not_exist",
            field="saved_mapping",
        ) from None


def save_mapping(*, actor: User, import_id: UUID | str, name: Any) -> ImportMapping:
    """Keep the import's mapping (columns, values, day-first, sheets) under
    ``name`` for the agency: a mapping of that name is replaced."""
    from casework.services.imports.running import get_import_for

    name = " ".join(str(name or "").split())
    if not name:
        raise InvalidInput(_("Give the mapping a name."), code="required", field="name")
    if len(name) > 100:
        raise InvalidInput(
            _("At most %(count)s characters.") % {"count": 100}, code="max_length", field="name"
        )
    with transaction.atomic():
        client_import = get_import_for(actor, import_id)
        if not actor.has_perm(Perm.IMPORT_CLIENTS, client_import.agency):
            raise Forbidden()
        stored = client_import.mapping or {}
        values = {
            "shape": _shape(client_import),
            "sheet": client_import.sheet,
            "case_sheet": client_import.case_sheet,
            "document_sheet": client_import.document_sheet,
            "mapping": {
                "columns": stored.get("columns", {}),
                "values": stored.get("values", {}),
                "day_first": stored.get("day_first", True),
            },
            "updated_at": timezone.now(),
        }
        try:
            with transaction.atomic():
                saved, created = ImportMapping.objects.select_for_update().get_or_create(
                    agency=client_import.agency,
                    name=name,
                    defaults={**values, "created_by": actor},
                )
        except IntegrityError:
            # Saved under the same name at the same moment: replace that one.
            saved = ImportMapping.objects.select_for_update().get(
                agency=client_import.agency, name=name
            )
            created = False
        if not created:
            for key, value in values.items():
                setattr(saved, key, value)
            saved.save()
        client_import.saved_mapping = saved
        client_import.save(update_fields=["saved_mapping"])
    return saved


@transaction.atomic
def delete_mapping(*, actor: User, mapping_id: UUID | str) -> None:
    """Forget a saved mapping (imports made with it keep their own copy)."""
    saved = (
        ImportMapping.objects.select_for_update(of=("self",))
        .select_related("agency")
        .filter(pk=mapping_id)
        .first()
    )
    if saved is None or not actor.has_perm(Perm.IMPORT_CLIENTS, saved.agency):
        raise NotFound()
    saved.delete()
