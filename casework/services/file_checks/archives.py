"""DOCX and ODT, and the XLSX and ODS spreadsheets that are imported: ZIP
packages judged by their directory, then unpacked a chunk at a time with the
bytes that come out counted."""

import io
import re
import struct
import zipfile
import zlib
from typing import NoReturn

from django.conf import settings
from django.utils.translation import gettext as _

from casework.services.file_checks.common import (
    DOCX,
    INFLATE_CHUNK_BYTES,
    MEGABYTE,
    ODS,
    XLSX,
    kind,
    refuse,
)

ARCHIVE_MAX_ENTRIES = 1000
# Unpacked, a DOCX or ODT may weigh this much or twice the upload limit, whichever is larger.
ARCHIVE_MIN_EXPANDED_BYTES = 50 * 1024 * 1024
# A part, or the whole, may unpack to at most this many times its packed size…
ARCHIVE_RATIO_MAX = 100
# …once it unpacks to more than this (small parts of repetitive XML pack very well).
ARCHIVE_RATIO_FLOOR_BYTES = 1024 * 1024

_ZIP_END = b"PK\x05\x06"
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"
# Office packages a Word document may embed (a chart's workbook); no macro-enabled ones.
_EMBEDDED_PACKAGES = (".xlsx", ".docx", ".pptx")
# A workbook's links to other files; a DDE or OLE link runs a program when it is updated.
_XLSX_EXTERNAL_LINKS = "xl/externallinks/"
_XLSX_ACTIVE_LINK = re.compile(rb"<(?:\w+:)?(?:ddeLink|oleLink)\b", re.IGNORECASE)
_EXTERNAL_ACTIVE_RELATION = re.compile(
    rb"<Relationship\b[^>]*?(?:"
    rb"Type=\"[^\"]*/(?:attachedTemplate|oleObject|subDocument|frame)\"[^>]*TargetMode=\"External\""
    rb"|TargetMode=\"External\"[^>]*Type=\"[^\"]*/(?:attachedTemplate|oleObject|subDocument|frame)\""
    rb")",
    re.IGNORECASE,
)


def _short(entry_name: str) -> str:
    return entry_name if len(entry_name) <= 80 else entry_name[:77] + "…"


def expanded_limit() -> int:
    """How much a DOCX or ODT may weigh unpacked: 50 MB or twice the upload
    limit, whichever is larger."""
    return max(ARCHIVE_MIN_EXPANDED_BYTES, 2 * settings.DOCUMENT_MAX_BYTES)


def spreadsheet_expanded_limit() -> int:
    """How much an XLSX or ODS may weigh unpacked: a 50,000-row caseload of
    thirty columns unpacks to about 80 MB; ten times the import's upload
    limit (200 MB by default), never less than a document's."""
    return max(expanded_limit(), 10 * settings.IMPORT_MAX_BYTES)


def _refuse_unsafe(message) -> NoReturn:
    refuse(message, "archive_unsafe_entry")


def _refuse_damaged(content_type: str) -> NoReturn:
    refuse(
        _(
            "This file's first bytes say it is %(kind)s, but it is damaged or incomplete. "
            "Save it again and upload it."
        )
        % {"kind": kind(content_type)},
        "damaged_file",
    )


def _refuse_too_many_entries(limit: int) -> NoReturn:
    refuse(
        _(
            "This document is a package of more than %(limit)s parts, more than a document "
            "needs; such files are built to overwhelm the server. Save it again from your "
            "word processor, or as a PDF."
        )
        % {"limit": limit},
        "archive_too_many_entries",
    )


def _refuse_too_large(limit: int) -> NoReturn:
    refuse(
        _(
            "This document unpacks to more than %(mb)s MB. Save it again with smaller "
            "pictures, or as a PDF."
        )
        % {"mb": limit // MEGABYTE},
        "archive_too_large",
    )


def _find_end_record(data: bytes) -> tuple[int, int, int, int] | None:
    """(where the end record starts, number of parts, size of the directory,
    length of the comment), or None when the end record is missing or damaged."""
    start = data.rfind(_ZIP_END, max(0, len(data) - 65536 - 22))
    if start == -1 or start + 22 > len(data):
        return None
    entries, directory_size, _offset, comment_length = struct.unpack(
        "<HIIH", data[start + 10 : start + 22]
    )
    locator = data[start - 20 : start] if start >= 20 else b""
    if locator.startswith(_ZIP64_LOCATOR):
        (record_offset,) = struct.unpack("<Q", locator[8:16])
        record = data[record_offset : record_offset + 56]
        if len(record) < 56 or not record.startswith(_ZIP64_END):
            return None
        entries, directory_size = struct.unpack("<QQ", record[32:48])
    return start, entries, directory_size, comment_length


def _end_record(data: bytes, content_type: str) -> tuple[int, int]:
    """(number of parts, size of the directory) from the end record; the end
    record and its comment must end the file."""
    found = _find_end_record(data)
    if found is None:
        _refuse_damaged(content_type)
    start, entries, directory_size, comment_length = found
    if start + 22 + comment_length != len(data):
        refuse(
            _(
                "This file's content is %(kind)s, but other data follows the end of the "
                "document. Files that can be read as two types are refused: save the document "
                "again and upload the new file."
            )
            % {"kind": kind(content_type)},
            "polyglot_file",
        )
    return entries, directory_size


def _check_entry_names(infos: list[zipfile.ZipInfo]) -> None:
    seen = set()
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
            _refuse_unsafe(
                _(
                    "This document has a part named “%(entry)s” that points outside the "
                    "document; such files are built to write where they should not."
                )
                % {"entry": _short(name)}
            )
        if name in seen:
            _refuse_unsafe(
                _("This document has two parts named “%(entry)s”.") % {"entry": _short(name)}
            )
        seen.add(name)
        if info.flag_bits & 0x1:
            _refuse_unsafe(
                _(
                    "This document is encrypted, so it cannot be checked. Save a copy "
                    "without a password and upload that."
                )
            )
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            _refuse_unsafe(
                _("This document has a part (“%(entry)s”) that is a link to another file.")
                % {"entry": _short(name)}
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            _refuse_unsafe(
                _(
                    "This document packs a part (“%(entry)s”) in a way word processors do "
                    "not use. Save it again from your word processor."
                )
                % {"entry": _short(name)}
            )


def _check_entry_layout(data: bytes, infos: list[zipfile.ZipInfo], content_type: str) -> None:
    """Parts may not share bytes (one packed part listed many times is a ZIP bomb)."""
    previous_end = 0
    for info in sorted(infos, key=lambda each: each.header_offset):
        start = info.header_offset
        header = data[start : start + 30]
        if len(header) < 30 or not header.startswith(_ZIP_LOCAL):
            _refuse_damaged(content_type)
        if start < previous_end:
            _refuse_unsafe(
                _(
                    "This document's parts overlap, a sign of a file built to overwhelm the "
                    "server. Save it again from your word processor."
                )
            )
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        previous_end = start + 30 + name_length + extra_length + info.compress_size


def _check_entry_sizes(data: bytes, infos: list[zipfile.ZipInfo], limit: int) -> None:
    """What the directory claims, before anything is unpacked."""
    total = sum(info.file_size for info in infos)
    if total > limit:
        _refuse_too_large(limit)
    for info in infos:
        if info.file_size > ARCHIVE_RATIO_FLOOR_BYTES and info.file_size > ARCHIVE_RATIO_MAX * max(
            info.compress_size, 1
        ):
            refuse(
                _(
                    "A part of this document (“%(entry)s”) unpacks to %(ratio)s times its "
                    "packed size; at most %(limit)s times is accepted. Such files are built to "
                    "overwhelm the server."
                )
                % {
                    "entry": _short(info.filename),
                    "ratio": info.file_size // max(info.compress_size, 1),
                    "limit": ARCHIVE_RATIO_MAX,
                },
                "compression_ratio_too_high",
            )
    if total > ARCHIVE_RATIO_FLOOR_BYTES and total > ARCHIVE_RATIO_MAX * len(data):
        refuse(
            _(
                "This document unpacks to %(ratio)s times its size; at most %(limit)s times "
                "is accepted. Such files are built to overwhelm the server."
            )
            % {"ratio": total // len(data), "limit": ARCHIVE_RATIO_MAX},
            "compression_ratio_too_high",
        )


def _is_kept_whole(name: str) -> bool:
    return (
        name.endswith(".rels")
        or name in ("mimetype", "META-INF/manifest.xml")
        or name.lower().startswith(_XLSX_EXTERNAL_LINKS)
    )


def _unpack(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limit: int, content_type: str
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Unpack every part a chunk at a time, counting the bytes that come out
    (whatever the directory claims): (the parts checked whole — relationships,
    manifest, mimetype —, the first bytes of each part). A part's CRC is
    checked as its end is read."""
    kept, heads = {}, {}
    remaining = limit
    try:
        for info in infos:
            pieces, size = [], 0
            with archive.open(info) as entry:
                while chunk := entry.read(INFLATE_CHUNK_BYTES):
                    size += len(chunk)
                    remaining -= len(chunk)
                    if remaining < 0:
                        _refuse_too_large(limit)
                    if not pieces or _is_kept_whole(info.filename):
                        pieces.append(chunk)
            joined = b"".join(pieces)
            heads[info.filename] = joined[:8]
            if _is_kept_whole(info.filename):
                kept[info.filename] = joined
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError):
        _refuse_damaged(content_type)
    return kept, heads


def _refuse_macros(entry_name: str) -> NoReturn:
    refuse(
        _(
            "This document contains macros (“%(entry)s”), which can run code when it is "
            "opened. Save it as a document without macros (.docx or .odt) and upload that."
        )
        % {"entry": _short(entry_name)},
        "active_content",
    )


def _refuse_embedded_program(entry_name: str) -> NoReturn:
    refuse(
        _(
            "This document contains an embedded object or control (“%(entry)s”), which can "
            "run code when it is opened. Remove it, or save the document as a PDF, and "
            "upload that."
        )
        % {"entry": _short(entry_name)},
        "active_content",
    )


def _check_office_open(
    names: list[str], kept: dict[str, bytes], heads: dict[str, bytes], content_type: str
) -> None:
    """A Word document (``word/``) or an Excel workbook (``xl/``)."""
    folder, main_part = (
        ("word/", "word/document.xml") if content_type == DOCX else ("xl/", "xl/workbook.xml")
    )
    if "[Content_Types].xml" not in names or main_part not in names:
        _refuse_damaged(content_type)
    for name in names:
        lowered = name.lower()
        if lowered.endswith("vbaproject.bin") or lowered.endswith("vbadata.xml"):
            _refuse_macros(name)
        # Excel 4.0 macros live in macro sheets, without any VBA project.
        if content_type == XLSX and lowered.startswith("xl/macrosheets/"):
            _refuse_macros(name)
        if lowered.startswith(folder + "activex/") or (
            lowered.startswith(folder + "embeddings/") and lowered.endswith(".bin")
        ):
            _refuse_embedded_program(name)
    for name, content in kept.items():
        external_link = content_type == XLSX and name.lower().startswith(_XLSX_EXTERNAL_LINKS)
        if external_link and _XLSX_ACTIVE_LINK.search(content):
            refuse(
                _(
                    "This workbook runs a program to update a link when it is opened "
                    "(“%(entry)s”). Remove the link, save the workbook again and upload it."
                )
                % {"entry": _short(name)},
                "active_content",
            )
        if name.endswith(".rels") and _EXTERNAL_ACTIVE_RELATION.search(content):
            refuse(
                _(
                    "This document loads a template or object from elsewhere when it is "
                    "opened (“%(entry)s”). Save it again as a plain document and upload that."
                )
                % {"entry": _short(name)},
                "active_content",
            )
    for name, head in heads.items():
        embedded_package = name.lower().startswith(
            folder + "embeddings/"
        ) and name.lower().endswith(_EMBEDDED_PACKAGES)
        if head.startswith(_ZIP_LOCAL) and not embedded_package:
            _refuse_nested(name)


def _refuse_nested(name: str) -> NoReturn:
    _refuse_unsafe(
        _("This document holds another archive (“%(entry)s”). Upload the documents one by one.")
        % {"entry": _short(name)}
    )


def _check_open_document(
    infos: list[zipfile.ZipInfo], kept: dict[str, bytes], heads: dict[str, bytes], content_type: str
) -> None:
    """An OpenDocument text or spreadsheet."""
    names = [info.filename for info in infos]
    if (
        infos[0].filename != "mimetype"
        or kept.get("mimetype") != content_type.encode()
        or "content.xml" not in names
        or "META-INF/manifest.xml" not in kept
    ):
        _refuse_damaged(content_type)
    for name in names:
        if name.startswith(("Basic/", "Scripts/")):
            _refuse_macros(name)
    if b"encryption-data" in kept["META-INF/manifest.xml"]:
        _refuse_unsafe(
            _(
                "This document is encrypted, so it cannot be checked. Save a copy without a "
                "password and upload that."
            )
        )
    for name, head in heads.items():
        if head.startswith(_ZIP_LOCAL):
            _refuse_nested(name)


def check_archive(data: bytes, content_type: str) -> None:
    """Refuse a DOCX, ODT, XLSX or ODS package (``content_type``) that holds
    too many parts, unpacks too far, has unsafe parts, macros or embedded
    programs, or is not the package it claims to be."""
    limit = spreadsheet_expanded_limit() if content_type in (XLSX, ODS) else expanded_limit()
    entries, directory_size = _end_record(data, content_type)
    # Judged before the directory is read: each listed part costs memory.
    if entries > ARCHIVE_MAX_ENTRIES or directory_size > ARCHIVE_MAX_ENTRIES * 1024:
        _refuse_too_many_entries(ARCHIVE_MAX_ENTRIES)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        _refuse_damaged(content_type)
    with archive:
        infos = archive.infolist()
        if len(infos) > ARCHIVE_MAX_ENTRIES:
            _refuse_too_many_entries(ARCHIVE_MAX_ENTRIES)
        if not infos:
            _refuse_damaged(content_type)
        _check_entry_names(infos)
        _check_entry_layout(data, infos, content_type)
        _check_entry_sizes(data, infos, limit)
        kept, heads = _unpack(archive, infos, limit, content_type)
    if content_type in (DOCX, XLSX):
        _check_office_open([info.filename for info in infos], kept, heads, content_type)
    else:
        _check_open_document(infos, kept, heads, content_type)


def _refuse_unreadable_spreadsheet() -> NoReturn:
    refuse(
        _("This spreadsheet cannot be read: it is damaged or not a spreadsheet."), "damaged_file"
    )


def spreadsheet_type(data: bytes) -> str | None:
    """XLSX or ODS, as the directory of the ZIP package ``data`` shows (an
    ``xl/workbook.xml`` part; a ``mimetype`` part saying ODS), or None for
    another package. The parts are counted from the end record before the
    directory is read (``archive_too_many_entries``); a package whose
    directory cannot be read is refused (``damaged_file``). Only
    ``check_archive`` says whether the package is safe."""
    found = _find_end_record(data)
    if found is None:
        _refuse_unreadable_spreadsheet()
    _start, entries, directory_size, _comment_length = found
    if entries > ARCHIVE_MAX_ENTRIES or directory_size > ARCHIVE_MAX_ENTRIES * 1024:
        _refuse_too_many_entries(ARCHIVE_MAX_ENTRIES)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    if entry.read(len(ODS) + 1) == ODS.encode():
                        return ODS
            return XLSX if "xl/workbook.xml" in names else None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        ValueError,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
    ):
        _refuse_unreadable_spreadsheet()
