"""What every check shares: the types, refusing, the name, browser markup, text."""

import io
import os
import re
import zipfile
from typing import NoReturn

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.errors import InvalidInput

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
# Spreadsheets are imported, never accepted as documents (not in NAME_EXTENSIONS).
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
CSV = "text/csv"

# The extensions a file's name may end in, by the type its bytes show.
NAME_EXTENSIONS = {
    PDF: ("pdf",),
    JPEG: ("jpg", "jpeg", "jpe", "jfif"),
    PNG: ("png",),
    "image/webp": ("webp",),
    "image/tiff": ("tif", "tiff"),
    "image/heic": ("heic", "heif"),
    DOCX: ("docx",),
    ODT: ("odt",),
}

TYPE_NAMES = {
    PDF: gettext_lazy("a PDF"),
    JPEG: gettext_lazy("a JPEG image"),
    PNG: gettext_lazy("a PNG image"),
    "image/webp": gettext_lazy("a WebP image"),
    "image/tiff": gettext_lazy("a TIFF image"),
    "image/heic": gettext_lazy("a HEIC image"),
    DOCX: gettext_lazy("a Word document"),
    ODT: gettext_lazy("an OpenDocument text"),
    XLSX: gettext_lazy("an Excel workbook (XLSX)"),
    ODS: gettext_lazy("an OpenDocument spreadsheet (ODS)"),
    CSV: gettext_lazy("a text file (CSV)"),
}

# Every file: markup is looked for in its first and last bytes.
WINDOW_BYTES = 4096
INFLATE_CHUNK_BYTES = 64 * 1024

MEGABYTE = 1024 * 1024


def refuse(message, code: str) -> NoReturn:
    raise InvalidInput(message, code=code, field="file")


def kind(content_type: str) -> str:
    return str(TYPE_NAMES.get(content_type, content_type))


# --- The name ---------------------------------------------------------------------------


def name_extension(name: str) -> str:
    """The extension of an uploaded file's name, lower case, without the dot."""
    return os.path.splitext(os.path.basename(name or ""))[1].lstrip(".").lower()


def check_name_extension(
    name: str, content_type: str, allowed: tuple[str, ...] | None = None
) -> None:
    """The name must end in an extension of the type the bytes show
    (``allowed``, by default that type's ``NAME_EXTENSIONS``): a PNG named
    ``.pdf``, or a name with no extension, is refused (``extension_mismatch``)."""
    extension = name_extension(name)
    allowed = allowed or NAME_EXTENSIONS[content_type]
    if extension in allowed:
        return
    expected = ", ".join(f".{each}" for each in allowed)
    if extension:
        message = _(
            "The file's name ends in “.%(extension)s” but its content is %(kind)s. "
            "Rename it to end in %(expected)s and upload it again."
        ) % {"extension": extension[:20], "kind": kind(content_type), "expected": expected}
    else:
        message = _(
            "The file's name has no extension but its content is %(kind)s. "
            "Rename it to end in %(expected)s and upload it again."
        ) % {"kind": kind(content_type), "expected": expected}
    refuse(message, "extension_mismatch")


# --- Markup a browser would run ----------------------------------------------------------

# Tags count when a space, "/" or ">" follows (``<style:style`` in ODT XML does not).
_MARKUP_TAGS = tuple(
    b"<" + tag
    for tag in (
        b"!doctype", b"html", b"head", b"body", b"script", b"svg", b"iframe", b"frame",
        b"frameset", b"object", b"embed", b"img", b"style", b"form", b"meta",
    )
)  # fmt: skip
_MARKUP_WORDS = (b"<?xml-stylesheet", b"javascript:", b"vbscript:")
_TAG_ENDS = frozenset(b"\t\n\x0c\r />")


def find_markup(data: bytes) -> str | None:
    """The first browser markup in ``data`` (``<script``, ``<svg``, ``javascript:``…),
    case-insensitive. A search per marker over the lowered bytes: a regular
    expression of them all took 90 ms per MB."""
    lowered = data.lower()
    first: tuple[int, bytes] | None = None
    for marker in _MARKUP_TAGS + _MARKUP_WORDS:
        position = lowered.find(marker)
        while position != -1 and (first is None or position < first[0]):
            end = position + len(marker)
            if marker in _MARKUP_WORDS or (end < len(lowered) and lowered[end] in _TAG_ENDS):
                first = (position, marker)
                break
            position = lowered.find(marker, position + 1)
    return first[1].decode("ascii") if first else None


_MARKUP_FILE = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:[!?]|[a-z])", re.I | re.S)


def refuse_markup_file(data: bytes) -> None:
    """A file of no accepted type that is a web page, an SVG drawing or other
    markup is refused as active content (it can carry scripts), with a
    clearer message than "not accepted"."""
    head = data[:WINDOW_BYTES]
    if not _MARKUP_FILE.match(head):
        return
    lowered = head.lower()
    if b"<svg" in lowered:
        message = _(
            "SVG drawings are not accepted: they can carry scripts that run when the file "
            "is opened. Upload the drawing as a PDF or a PNG image."
        )
    else:
        message = _(
            "Web pages and other markup files are not accepted: they can carry scripts "
            "that run when the file is opened. Print the page to a PDF and upload that."
        )
    refuse(message, "active_content")


def refuse_markup(data: bytes, content_type: str) -> None:
    found = find_markup(data)
    if found is not None:
        refuse(
            _(
                "This file's content is %(kind)s, but it also carries web-page markup "
                "(“%(found)s”) that a browser could run. Files that can be read as two "
                "types are refused: save or scan the document again and upload the new file."
            )
            % {"kind": kind(content_type), "found": found},
            "polyglot_file",
        )


def refuse_hidden_zip(data: bytes, content_type: str) -> None:
    """An image or PDF that a ZIP tool also opens (an archive appended to it)."""
    if b"PK\x05\x06" not in data[-(65536 + 22) :]:
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return
    if names:
        refuse(
            _(
                "This file's content is %(kind)s, but it also holds a ZIP archive. Files "
                "that can be read as two types are refused: upload the document on its own."
            )
            % {"kind": kind(content_type)},
            "polyglot_file",
        )


def refuse_pdf_header_inside(data: bytes, content_type: str) -> None:
    """PDF readers accept a header anywhere in the first kilobyte."""
    if b"%PDF-" in data[:1024]:
        refuse(
            _(
                "This file's content is %(kind)s, but it also carries a PDF header near its "
                "start. Files that can be read as two types are refused: save or scan the "
                "document again and upload the new file."
            )
            % {"kind": kind(content_type)},
            "polyglot_file",
        )


# --- Text --------------------------------------------------------------------------------

_UTF8_MARK = b"\xef\xbb\xbf"
_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def text_of(data: bytes) -> str | None:
    """``data`` as text, or None when it is not text: UTF-8, with or without
    its byte-order mark, or UTF-16 with its mark or, without one, in the byte
    order its zero bytes show (ASCII letters in UTF-16 have a zero byte on one
    side). Text holding a NUL character is not text."""
    try:
        if data.startswith(_UTF8_MARK):
            text = data[len(_UTF8_MARK) :].decode("utf-8")
        elif data.startswith(_UTF16_MARKS):
            text = data.decode("utf-16")
        elif b"\x00" not in data:
            text = data.decode("utf-8")
        elif len(data) % 2 == 0:
            sample = data[:WINDOW_BYTES]
            little_endian = sample[1::2].count(0) >= sample[0::2].count(0)
            text = data.decode("utf-16-le" if little_endian else "utf-16-be")
        else:
            return None
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def decode_text(data: bytes) -> str:
    """``data`` as text (see ``text_of``); refused (``encoding``) when it is not."""
    text = text_of(data)
    if text is None:
        refuse(
            _(
                "This file's text cannot be read. Save the file as UTF-8 or UTF-16 text "
                "(in Excel: “CSV UTF-8”) and upload it again."
            ),
            "encoding",
        )
    return text
