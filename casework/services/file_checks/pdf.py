"""PDFs, read without a PDF library (none is a run-time dependency).

Names are compared after their ``#xx`` escapes are decoded
(``/J#61vaScript`` is ``/JavaScript``). The decisive names (``/JavaScript``,
``/Launch``, ``/EmbeddedFile``…) are looked for in every byte of the file, so
no trick that confuses where a stream starts or ends can hide them; the short
ones (``/JS``, ``/AA``), which turn up by chance in binary data, only outside
stream bodies. Streams whose inflated content starts with two integers, as an
object stream's does, are inflated (a bounded amount in all) and read the same
way. An object stream that cannot be read (an encrypted PDF, LZW or run-length
packing) makes the PDF not checkable. Markup is looked for outside stream
bodies and in uncompressed text streams, not in compressed or binary data.
"""

import base64
import binascii
import re
import zlib
from collections.abc import Iterator
from typing import NoReturn

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.services.file_checks.common import (
    INFLATE_CHUNK_BYTES,
    MEGABYTE,
    PDF,
    refuse,
    refuse_hidden_zip,
    refuse_markup,
)

# A PDF's streams that start like an object stream (object streams, and page
# contents that start with numbers), inflated, may weigh this much in all.
PDF_STRUCTURE_MAX_BYTES = 128 * 1024 * 1024

_NAME_DELIMITER = rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)"

# Found anywhere: these name what runs or what is carried.
DECISIVE_PDF_NAMES = {
    "JavaScript": gettext_lazy("scripts"),
    "Launch": gettext_lazy("an action that starts a program"),
    "SubmitForm": gettext_lazy("an action that sends data away"),
    "ImportData": gettext_lazy("an action that loads data"),
    "GoToE": gettext_lazy("a link into an attached file"),
    "EmbeddedFile": gettext_lazy("attached files"),
    "EmbeddedFiles": gettext_lazy("attached files"),
    "FileAttachment": gettext_lazy("attached files"),
    "RichMedia": gettext_lazy("interactive media"),
    "XFA": gettext_lazy("an XFA form, which can carry scripts"),
}
# Found only where PDF objects are written: short names that binary data holds by chance.
STRUCTURE_PDF_NAMES = {
    "JS": gettext_lazy("scripts"),
    "AA": gettext_lazy("actions that run on their own"),
}


def _name_pattern(names) -> re.Pattern:
    """``/Name`` for each of ``names``, each character also as its ``#xx`` escape."""
    alternatives = []
    for name in sorted(names, key=len, reverse=True):
        characters = []
        for character in name:
            code = f"{ord(character):02x}"
            escaped = b"#" + b"".join(
                f"[{digit.upper()}{digit}]".encode() if digit.isalpha() else digit.encode()
                for digit in code
            )
            characters.append(b"(?:" + re.escape(character.encode()) + b"|" + escaped + b")")
        alternatives.append(b"".join(characters))
    return re.compile(b"/(?:" + b"|".join(alternatives) + b")" + _NAME_DELIMITER)


_DECISIVE_NAMES = _name_pattern(DECISIVE_PDF_NAMES)
_ALL_ACTIVE_NAMES = _name_pattern({**DECISIVE_PDF_NAMES, **STRUCTURE_PDF_NAMES})
_UNREADABLE_PACKING = _name_pattern({"Encrypt", "LZWDecode", "RunLengthDecode"})
_OBJECT_STREAM = _name_pattern({"ObjStm"})
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM_KEYWORD = re.compile(rb"\bstream(?:\r\n|\r|\n)")
_OBJECT_STREAM_START = re.compile(rb"\A(?:\s|%[^\r\n]*)*\d+\s+\d+\s")


def _decoded_name(raw: bytes) -> str:
    return _ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), raw).decode("latin-1")


def _pdf_sections(data: bytes) -> tuple[bytes, list[bytes]]:
    """Everything outside stream bodies (objects, cross-reference, trailer,
    comments), and the stream bodies. A body ends at the first ``endstream``:
    a stream whose /Length says otherwise only makes more of the file count as
    structure, never less."""
    structure, bodies = [], []
    position = 0
    while True:
        start = _STREAM_KEYWORD.search(data, position)
        if start is None:
            structure.append(data[position:])
            break
        structure.append(data[position : start.start()])
        end = data.find(b"endstream", start.end())
        if end == -1:
            bodies.append(data[start.end() :])
            break
        bodies.append(data[start.end() : end])
        position = end + len(b"endstream")
    return b"\n".join(structure), bodies


_PRINTABLE = bytes(range(0x20, 0x7F)) + b"\t\n\x0c\r"


def _is_text(sample: bytes) -> bool:
    return bool(sample) and len(sample.translate(None, _PRINTABLE)) <= len(sample) // 10


def _looks_zlib(body: bytes) -> bool:
    return len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0


def _unwrapped(body: bytes) -> bytes:
    """A body with an ASCIIHex or ASCII85 layer taken off (the zlib data under
    it, usually); the body itself otherwise."""
    text = body.strip()
    try:
        if text.endswith(b"~>"):
            return base64.a85decode(text, adobe=True, ignorechars=b" \t\n\r\x0c\x00")
        if text.endswith(b">") and re.fullmatch(rb"[0-9A-Fa-f\s]*>", text):
            digits = re.sub(rb"\s", b"", text[:-1])
            return binascii.unhexlify(digits + b"0" * (len(digits) % 2))
    except ValueError:
        return body
    return body


def _inflated_chunks(body: bytes) -> Iterator[bytes]:
    """``body`` inflated a chunk at a time (never more than one chunk held);
    stops quietly where the data is not zlib data."""
    inflater = zlib.decompressobj()
    pending = body
    try:
        while not inflater.eof:
            chunk = inflater.decompress(pending, INFLATE_CHUNK_BYTES)
            progressed = chunk or len(inflater.unconsumed_tail) < len(pending)
            pending = inflater.unconsumed_tail
            if chunk:
                yield chunk
            if not progressed:
                return
    except zlib.error:
        return


def _object_stream_names(bodies: list[bytes]) -> Iterator[str]:
    """The active names in the PDF's object streams (inflated, bounded)."""
    budget = PDF_STRUCTURE_MAX_BYTES
    for body in bodies:
        body = _unwrapped(body)
        if not _looks_zlib(body):
            if _OBJECT_STREAM_START.match(body[:256]):
                for found in _ALL_ACTIVE_NAMES.finditer(body):
                    yield _decoded_name(found.group(0)[1:])
            continue
        carried = b""
        for index, chunk in enumerate(_inflated_chunks(body)):
            if index == 0 and not _OBJECT_STREAM_START.match(chunk[:256]):
                break
            budget -= len(chunk)
            if budget < 0:
                refuse(
                    _(
                        "This PDF unpacks to more than %(mb)s MB of structure, far more than "
                        "a document needs. Print it to a new PDF and upload that."
                    )
                    % {"mb": PDF_STRUCTURE_MAX_BYTES // MEGABYTE},
                    "compression_ratio_too_high",
                )
            text = carried + chunk
            for found in _ALL_ACTIVE_NAMES.finditer(text):
                yield _decoded_name(found.group(0)[1:])
            carried = text[-256:]


def _refuse_active_pdf(name: str) -> NoReturn:
    what = {**DECISIVE_PDF_NAMES, **STRUCTURE_PDF_NAMES}[name]
    refuse(
        _(
            "This PDF contains %(what)s (/%(name)s), which can run or open something when it "
            "is opened. Your agency does not accept such PDFs: print it to a new PDF and "
            "upload that, or ask your agency's administrator."
        )
        % {"what": what, "name": name},
        "active_content",
    )


def check_pdf(data: bytes, *, allow_active_pdf: bool) -> None:
    if not data.startswith(b"%PDF-"):
        refuse(
            _(
                "This PDF does not start with its header: %(count)s bytes of other content "
                "come before “%%PDF-”, a sign of a file made to be read as two types. Save or "
                "print it again as a PDF and upload that."
            )
            % {"count": data.find(b"%PDF-")},
            "polyglot_file",
        )
    structure, bodies = _pdf_sections(data)
    refuse_markup(structure, PDF)
    for body in bodies:
        if not _looks_zlib(body) and _is_text(body[:1024]):
            refuse_markup(body, PDF)
    refuse_hidden_zip(data, PDF)
    if allow_active_pdf:
        return
    found = _DECISIVE_NAMES.search(data) or _ALL_ACTIVE_NAMES.search(structure)
    if found is not None:
        _refuse_active_pdf(_decoded_name(found.group(0)[1:]))
    for name in _object_stream_names(bodies):
        _refuse_active_pdf(name)
    if _OBJECT_STREAM.search(data) and _UNREADABLE_PACKING.search(data):
        refuse(
            _(
                "This PDF is encrypted or packs its structure in a way Sanad cannot check "
                "for scripts and attached files. Print it to a new PDF (or save a copy without "
                "password protection) and upload that, or ask your agency's administrator."
            ),
            "pdf_not_checkable",
        )
