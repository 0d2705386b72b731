"""Images: markup in a PNG's text chunks and after its end, in a JPEG's
comment and metadata segments and after its image."""

import struct
import zlib
from collections.abc import Iterator

from casework.services.file_checks.common import JPEG, PNG, refuse_markup

# A JPEG: in the bytes after its image ends (phones append more pictures there).
JPEG_TRAILER_BYTES = 64 * 1024
# A PNG's compressed text chunk is inflated this far, no further.
PNG_TEXT_MAX_BYTES = 1024 * 1024


def _inflate(data: bytes, limit: int, *, wbits: int = zlib.MAX_WBITS) -> bytes:
    """At most ``limit`` bytes of ``data`` inflated; b"" when it is not zlib data."""
    try:
        return zlib.decompressobj(wbits).decompress(data, limit)
    except zlib.error:
        return b""


def _png_text_parts(data: bytes) -> Iterator[bytes]:
    """The text of a PNG's text chunks, then whatever follows its end."""
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"tEXt":
            yield body
        elif kind == b"zTXt":
            keyword, _sep, rest = body.partition(b"\0")
            yield keyword
            yield _inflate(rest[1:], PNG_TEXT_MAX_BYTES)
        elif kind == b"iTXt":
            keyword, _sep, rest = body.partition(b"\0")
            compressed = rest[:1] == b"\x01"
            text = rest[2:].split(b"\0", 2)[-1]
            yield keyword
            yield _inflate(text, PNG_TEXT_MAX_BYTES) if compressed else text
        elif kind == b"IEND":
            yield data[position:]
            return


def _jpeg_text_parts(data: bytes) -> Iterator[bytes]:
    """A JPEG's comment and application segments (EXIF, XMP), then the start of
    what follows the end of its image."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker == 0xD9:
            yield data[position + 2 : position + 2 + JPEG_TRAILER_BYTES]
            return
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        segment_end = position + 2 + length
        if marker == 0xFE or 0xE0 <= marker <= 0xEF:
            yield data[position + 4 : segment_end]
        position = segment_end
        if marker == 0xDA:
            # Entropy-coded data: a 0xFF in it is followed by 0x00 or a restart marker.
            while True:
                position = data.find(b"\xff", position)
                if position == -1 or position + 1 >= len(data):
                    return
                following = data[position + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    position += 1
                    continue
                break


def check_image(data: bytes, content_type: str) -> None:
    if content_type == PNG:
        parts = _png_text_parts(data)
    elif content_type == JPEG:
        parts = _jpeg_text_parts(data)
    else:
        parts = iter(())
    for part in parts:
        refuse_markup(part, content_type)
