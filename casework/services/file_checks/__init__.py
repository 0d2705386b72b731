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

Every refusal is an ``InvalidInput`` naming ``file``, with its code and a
message that says why. Pure functions over the bytes: no database, no storage.

``common`` holds the types, the name check and the markup search; ``pdf``,
``images`` and ``archives`` the checks of each kind (``pdf``'s docstring says
how a PDF is read without a PDF library). docs/security.md lists every
refusal for users.
"""

from casework.services.file_checks.archives import (
    ARCHIVE_MAX_ENTRIES,
    ARCHIVE_RATIO_MAX,
    check_archive,
    expanded_limit,
)
from casework.services.file_checks.common import (
    DOCX,
    NAME_EXTENSIONS,
    ODT,
    PDF,
    TYPE_NAMES,
    WINDOW_BYTES,
    check_name_extension,
    find_markup,
    refuse_hidden_zip,
    refuse_markup,
    refuse_markup_file,
    refuse_pdf_header_inside,
)
from casework.services.file_checks.images import check_image
from casework.services.file_checks.pdf import PDF_STRUCTURE_MAX_BYTES, check_pdf

__all__ = [
    "ARCHIVE_MAX_ENTRIES",
    "ARCHIVE_RATIO_MAX",
    "NAME_EXTENSIONS",
    "PDF_STRUCTURE_MAX_BYTES",
    "TYPE_NAMES",
    "check_document",
    "check_name_extension",
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
