"""What an uploaded document's bytes may not be, checked before it is stored.

``upload_document`` reads the type from the bytes (``sniff_content_type``);
``check_document`` then refuses what that type alone does not rule out:

- a name whose extension says another type (``extension_mismatch``);
- web pages and SVG drawings (``active_content``, ``refuse_markup_file``);
- a file that is also something else: browser markup inside an image, a PDF
  or a ZIP document, bytes before a PDF's header, a PDF header inside another
  type, a ZIP archive behind an image or PDF, data after a ZIP document's end
  (``polyglot_file``);
- PDFs with scripts, actions, attached files, rich media or XFA forms, unless
  the agency accepts them (``active_content``); PDFs whose structure is
  encrypted or packed in a way that cannot be checked (``pdf_not_checkable``);
- Word documents with macros, ActiveX, OLE objects or a template fetched from
  elsewhere, OpenDocument texts with macros (``active_content``);
- ZIP-based documents (DOCX, ODT) that hold too many parts
  (``archive_too_many_entries``), unpack too far (``archive_too_large``,
  ``compression_ratio_too_high``), have parts that point outside the
  document, are encrypted, links, overlap or nest another archive
  (``archive_unsafe_entry``), or are not the document they claim to be
  (``damaged_file``).

``check_spreadsheet`` reads the format of a spreadsheet to import (XLSX, ODS
or CSV) from its bytes and refuses the same dangers, with the same bounded
unpacking for the ZIP-based ones, and text it cannot decode (``encoding``).

Every refusal is an ``InvalidInput`` naming ``file``, with its code and a
message that says why. Pure functions over the bytes: no database, no storage.

``common`` holds the types, the name check and the markup search; ``pdf``,
``images`` and ``archives`` the checks of each kind (``pdf``'s docstring says
how a PDF is read without a PDF library). docs/security.md lists every
refusal for users.
"""

from typing import NoReturn

from django.utils.translation import gettext as _

from casework.services.file_checks.archives import (
    ARCHIVE_MAX_ENTRIES,
    ARCHIVE_RATIO_MAX,
    check_archive,
    expanded_limit,
    spreadsheet_type,
)
from casework.services.file_checks.common import (
    CSV,
    DOCX,
    MEGABYTE,
    NAME_EXTENSIONS,
    ODS,
    ODT,
    PDF,
    TYPE_NAMES,
    WINDOW_BYTES,
    XLSX,
    check_name_extension,
    decode_text,
    find_markup,
    name_extension,
    refuse,
    refuse_hidden_zip,
    refuse_markup,
    refuse_markup_file,
    refuse_pdf_header_inside,
    text_of,
)
from casework.services.file_checks.images import check_image
from casework.services.file_checks.pdf import PDF_STRUCTURE_MAX_BYTES, check_pdf

__all__ = [
    "ARCHIVE_MAX_ENTRIES",
    "ARCHIVE_RATIO_MAX",
    "NAME_EXTENSIONS",
    "PDF_STRUCTURE_MAX_BYTES",
    "SPREADSHEET_EXTENSIONS",
    "TYPE_NAMES",
    "check_document",
    "check_name_extension",
    "check_spreadsheet",
    "decode_text",
    "expanded_limit",
    "find_markup",
    "refuse_markup_file",
]


def check_document(*, data: bytes, name: str, content_type: str, allow_active_pdf: bool) -> None:
    """Refuse ``data`` (of the accepted ``content_type`` its bytes show, named
    ``name`` by the uploader) unless its name agrees with its type, it is not
    also another type, carries no active content (a PDF's scripts and attached
    files pass when ``allow_active_pdf``) and, for a DOCX or ODT, unpacks
    within bounds. Each refusal: ``InvalidInput`` at ``file`` with its code."""
    check_name_extension(name, content_type)
    refuse_markup(data[:WINDOW_BYTES], content_type)
    refuse_markup(data[-WINDOW_BYTES:], content_type)
    if content_type == PDF:
        check_pdf(data, allow_active_pdf=allow_active_pdf)
        return
    refuse_pdf_header_inside(data, content_type)
    if content_type in (DOCX, ODT):
        check_archive(data, content_type)
        return
    refuse_hidden_zip(data, content_type)
    check_image(data, content_type)


# The extensions a spreadsheet's name may end in, by the format its bytes show.
SPREADSHEET_EXTENSIONS = {"xlsx": ("xlsx",), "ods": ("ods",), "csv": ("csv", "tsv", "txt")}
_SPREADSHEET_TYPES = {"xlsx": XLSX, "ods": ODS, "csv": CSV}
_OLE_HEADER = b"\xd0\xcf\x11\xe0"
_ZIP_LOCAL = b"PK\x03\x04"


def _refuse_unsupported_spreadsheet() -> NoReturn:
    refuse(
        _(
            "This kind of file cannot be imported. Upload an Excel workbook (.xlsx), an "
            "OpenDocument spreadsheet (.ods) or a CSV file (.csv)."
        ),
        "unsupported_file_type",
    )


def check_spreadsheet(*, data: bytes, name: str, max_bytes: int) -> str:
    """The format ("xlsx", "ods" or "csv") of an uploaded spreadsheet, read
    from its bytes; InvalidInput at ``file`` otherwise.

    Refused: an empty file (``empty_file``) or one over ``max_bytes``
    (``file_too_large``); old binary Excel workbooks and every other kind of
    file (``unsupported_file_type``); an XLSX or ODS that is also another type
    (``polyglot_file``), has macros, embedded programs or active links
    (``active_content``) or does not unpack within bounds (the ``archive_*``
    codes, ``compression_ratio_too_high``, ``damaged_file``); web pages and
    other markup (``active_content``); text that is neither UTF-8 nor UTF-16
    (``encoding``); a name whose extension disagrees with the format
    (``extension_mismatch``), judged last so that a workbook with macros
    named ``.xlsm`` hears about its macros."""
    if not data:
        refuse(_("The file is empty."), "empty_file")
    if len(data) > max_bytes:
        refuse(
            _("The file is too large (at most %(mb)s MB).") % {"mb": max_bytes // MEGABYTE},
            "file_too_large",
        )
    if data.startswith(_ZIP_LOCAL):
        content_type = spreadsheet_type(data)
        if content_type is None:
            _refuse_unsupported_spreadsheet()
        refuse_markup(data[:WINDOW_BYTES], content_type)
        refuse_markup(data[-WINDOW_BYTES:], content_type)
        refuse_pdf_header_inside(data, content_type)
        check_archive(data, content_type)
        file_format = "xlsx" if content_type == XLSX else "ods"
    elif data.startswith(_OLE_HEADER):
        refuse(
            _(
                "This is an old-style Excel workbook (.xls), which cannot be imported. Open "
                "it in your spreadsheet program, save it as an Excel workbook (.xlsx) and "
                "upload that."
            ),
            "unsupported_file_type",
        )
    else:
        refuse_markup_file(data)
        text = text_of(data)
        if text is None:
            if name_extension(name) not in SPREADSHEET_EXTENSIONS["csv"]:
                _refuse_unsupported_spreadsheet()
            decode_text(data)
        # UTF-16 markup has zero bytes between its letters: looked for again in the text.
        refuse_markup_file(text[:WINDOW_BYTES].encode("utf-8"))
        file_format = "csv"
    check_name_extension(name, _SPREADSHEET_TYPES[file_format], SPREADSHEET_EXTENSIONS[file_format])
    return file_format
