"""Spreadsheets to import (issue 18): ``check_spreadsheet`` reads the format
from the bytes and refuses what may not be imported; ``read_workbook`` turns
an XLSX, ODS or CSV into sheets of rows, values only, with the spreadsheet's
own row numbers. Every file is built here, in memory: XLSX with openpyxl,
ODS by hand (a ZIP of a mimetype, a manifest and content.xml)."""

import datetime
import io
import zipfile
from xml.sax.saxutils import escape, quoteattr

import openpyxl
import pytest

from casework.services.file_checks import check_spreadsheet, decode_text
from casework.services.imports.reading import MAX_CELLS, Workbook, read_workbook
from config.errors import InvalidInput

ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
LIMIT = 20 * 1024 * 1024
# Arabic, Cyrillic and Ge'ez (Tigrinya).
NAMES = ["أمينة يوسف", "Иван Петров", "ሰላም ተስፋይ"]


# --- Files --------------------------------------------------------------------------------


def xlsx(*sheets: tuple[str, list[list]]) -> bytes:
    """A workbook of (title, rows); None leaves a cell (or a whole row) empty."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row_number, row in enumerate(rows, 1):
            for column, value in enumerate(row, 1):
                if value is not None:
                    sheet.cell(row=row_number, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(data: bytes, *, replace=None, add=None, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """``data``'s ZIP with parts replaced (name: function of the old bytes) and added."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename in replace:
                content = replace[info.filename](content)
            target.writestr(info, content, compress_type=info.compress_type)
        for name, content in add.items():
            target.writestr(name, content, compress_type=compression)
    return out.getvalue()


def _ods_cell(value) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        '<table:table-cell office:value-type="string">'
        f"<text:p>{escape(value)}</text:p></table:table-cell>"
    )


def ods(*sheets: tuple[str, list[list]], extra_rows: str = "", parts=None) -> bytes:
    """An OpenDocument spreadsheet of (name, rows), written by hand as LibreOffice
    does: the mimetype first and stored, then the manifest and content.xml.
    ``extra_rows`` is raw XML added to the first sheet after its rows."""
    tables = []
    for index, (name, rows) in enumerate(sheets):
        body = "".join(
            "<table:table-row>" + "".join(_ods_cell(value) for value in row) + "</table:table-row>"
            for row in rows
        )
        if index == 0:
            body += extra_rows
        tables.append(f"<table:table table:name={quoteattr(name)}>{body}</table:table>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        "<office:body><office:spreadsheet>"
        + "".join(tables)
        + "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_TYPE}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_TYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
        for name, part in (parts or {}).items():
            archive.writestr(name, part)
    return out.getvalue()


def refused(*, data: bytes, name: str, max_bytes: int = LIMIT) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check_spreadsheet(data=data, name=name, max_bytes=max_bytes)
    assert caught.value.field == "file"
    return caught.value


def read(data: bytes, fmt: str, name: str = "") -> Workbook:
    """``read_workbook`` of a file that has passed the checks."""
    assert check_spreadsheet(data=data, name=name or f"file.{fmt}", max_bytes=LIMIT) == fmt
    return read_workbook(data, fmt, name=name)


# --- XLSX ---------------------------------------------------------------------------------


def test_an_xlsx_keeps_arabic_cyrillic_and_geez_and_its_values():
    born = datetime.datetime(1990, 5, 17)
    data = xlsx(
        (
            "Clients",
            [
                [" Name ", "Born", "Children", "Consent", None, None],
                [NAMES[0], born, 3, True],
                [NAMES[1], None, 2.5, False],
                [NAMES[2]],
            ],
        )
    )

    workbook = read(data, "xlsx")

    assert workbook.format == "xlsx"
    [sheet] = workbook.sheets
    assert (sheet.name, sheet.header_row) == ("Clients", 1)
    assert sheet.headers == ("Name", "Born", "Children", "Consent")
    assert list(sheet.rows()) == [
        (2, (NAMES[0], born, 3, True)),
        (3, (NAMES[1], None, 2.5, False)),
        (4, (NAMES[2], None, None, None)),
    ]
    assert workbook.sheet("Clients") is sheet


def test_an_xlsx_formula_gives_its_saved_value_never_its_text():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Saved", "Not saved", "Text"])
    sheet["A2"] = "=1+2"
    sheet["B2"] = "=SUM(1,2)"
    sheet["C2"] = "=1+2"
    sheet["C2"].data_type = "s"  # a text cell that begins with "="
    out = io.BytesIO()
    book.save(out)
    # openpyxl saves no value with a formula; a spreadsheet program would have saved 3.
    data = rezip(
        out.getvalue(),
        replace={
            "xl/worksheets/sheet1.xml": lambda xml: xml.replace(
                b'<c r="A2"><f>1+2</f><v /></c>', b'<c r="A2"><f>1+2</f><v>3</v></c>'
            )
        },
    )
    assert b"<v>3</v>" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")

    [sheet] = read(data, "xlsx").sheets

    assert list(sheet.rows()) == [(2, (3, None, "=1+2"))]


def test_empty_rows_are_skipped_and_rows_keep_the_spreadsheets_numbers():
    data = xlsx(
        (
            "Empty",
            [[None], ["   "]],  # a cell of spaces counts as empty
        ),
        (
            "Cases",
            [
                [],
                [None, None],
                ["Ref", None, "Type", "  ", None],
                ["C-1", "x", "Housing", "beyond", "the", "headers"],
                [],
                ["   ", None, "\t"],
                [None, None, "Legal"],
            ],
        ),
    )

    workbook = read(data, "xlsx")

    assert [sheet.name for sheet in workbook.sheets] == ["Cases"]
    sheet = workbook.sheet("Cases")
    assert sheet.header_row == 3
    assert sheet.headers == ("Ref", "", "Type")
    assert list(sheet.rows()) == [(4, ("C-1", "x", "Housing")), (7, (None, None, "Legal"))]
    # Each call reads the file again.
    assert list(sheet.rows()) == list(sheet.rows())
    with pytest.raises(KeyError):
        workbook.sheet("Empty")


def test_an_xlsx_row_far_below_the_header_is_read_with_its_number():
    data = xlsx(("Sheet", [["Name"]]))
    book = openpyxl.load_workbook(io.BytesIO(data))
    book.active.cell(row=20_000, column=1, value=NAMES[2])
    out = io.BytesIO()
    book.save(out)

    [sheet] = read(out.getvalue(), "xlsx").sheets

    assert list(sheet.rows()) == [(20_000, (NAMES[2],))]


def test_an_xlsx_the_checks_let_through_but_that_cannot_be_read_is_damaged():
    data = rezip(
        xlsx(("Sheet", [["Name"], ["A"]])),
        replace={"xl/worksheets/sheet1.xml": lambda xml: xml[: len(xml) // 2]},
    )
    assert check_spreadsheet(data=data, name="broken.xlsx", max_bytes=LIMIT) == "xlsx"

    with pytest.raises(InvalidInput) as caught:
        workbook = read_workbook(data, "xlsx")
        for _sheet in workbook.sheets:
            list(_sheet.rows())

    assert (caught.value.code, caught.value.field) == ("damaged_file", "file")


# --- ODS ----------------------------------------------------------------------------------


def test_an_ods_is_read_with_its_sheets_in_order():
    data = ods(
        ("Clients", [[], [], ["Name", "Age", None, "Note"], [NAMES[0], 34, None, "=1+2"]]),
        ("Nothing", [[None, None]]),
        ("Cases", [["Ref", "Client"], ["C-1", NAMES[1]], [None], ["C-2", NAMES[2]]]),
    )

    workbook = read(data, "ods")

    assert workbook.format == "ods"
    assert [sheet.name for sheet in workbook.sheets] == ["Clients", "Cases"]
    clients = workbook.sheet("Clients")
    assert (clients.header_row, clients.headers) == (3, ("Name", "Age", "", "Note"))
    # calamine reads every number as a float; the import converts it.
    assert list(clients.rows()) == [(4, (NAMES[0], 34.0, None, "=1+2"))]
    assert list(workbook.sheet("Cases").rows()) == [(2, ("C-1", NAMES[1])), (4, ("C-2", NAMES[2]))]


def test_an_ods_that_repeats_a_cell_a_hundred_million_times_is_refused_before_it_is_laid_out():
    repeated = (
        '<table:table-row table:number-rows-repeated="100000">'
        '<table:table-cell table:number-columns-repeated="1000" office:value-type="string">'
        "<text:p>x</text:p></table:table-cell></table:table-row>"
    )
    data = ods(("Sheet", [["Name"]]), extra_rows=repeated)
    assert len(data) < 2000

    with pytest.raises(InvalidInput) as caught:
        read(data, "ods")

    assert (caught.value.code, caught.value.field) == ("spreadsheet_too_large", "file")


def test_an_ods_may_repeat_empty_cells_as_libreoffice_does():
    # LibreOffice writes the formatted remainder of a sheet as repeated empty cells.
    empty_rest = (
        '<table:table-row table:number-rows-repeated="1048570">'
        '<table:table-cell table:style-name="ce1" table:number-columns-repeated="16384"/>'
        "</table:table-row>"
    )
    rows = [["Name"]] + [[f"{NAMES[2]} {number}"] for number in range(3)]
    data = ods(("Sheet", rows), extra_rows=empty_rest)

    [sheet] = read(data, "ods").sheets

    assert [number for number, _values in sheet.rows()] == [2, 3, 4]
    assert MAX_CELLS >= 50_000 * 40


# --- CSV ----------------------------------------------------------------------------------

CSV_TEXT = f"Name,Town\r\n{NAMES[0]},Amman\r\n{NAMES[1]},Kyiv\r\n{NAMES[2]},Asmara\r\n"
CSV_ROWS = [(2, (NAMES[0], "Amman")), (3, (NAMES[1], "Kyiv")), (4, (NAMES[2], "Asmara"))]


@pytest.mark.parametrize(
    "data",
    [
        CSV_TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"),
        CSV_TEXT.encode("utf-16"),  # with its byte-order mark
        b"\xfe\xff" + CSV_TEXT.encode("utf-16-be"),
        CSV_TEXT.encode("utf-16-le"),  # no mark: the zero bytes show the order
        CSV_TEXT.encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8 with mark", "utf-16", "utf-16-be with mark", "utf-16-le", "utf-16-be"],
)
def test_a_csv_is_read_in_utf8_or_utf16(data):
    workbook = read(data, "csv", name="Clients 2024.csv")

    [sheet] = workbook.sheets
    assert (sheet.name, sheet.header_row, sheet.headers) == ("Clients 2024", 1, ("Name", "Town"))
    assert list(sheet.rows()) == CSV_ROWS


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_a_csvs_delimiter_is_recognised_despite_decimal_commas(delimiter):
    text = f"Name{delimiter}Amount\r\n{NAMES[0]}{delimiter}1,5\r\n{NAMES[2]}{delimiter}2,25\r\n"

    [sheet] = read(text.encode(), "csv", name="amounts.tsv").sheets

    assert sheet.headers == ("Name", "Amount")
    assert list(sheet.rows()) == [(2, (NAMES[0], "1,5")), (3, (NAMES[2], "2,25"))]


def test_a_csv_of_one_column_is_read_as_one_column():
    [sheet] = read(f"Name\n{NAMES[1]}\n".encode(), "csv", name="names.csv").sheets

    assert (sheet.headers, list(sheet.rows())) == (("Name",), [(2, (NAMES[1],))])


def test_a_csv_keeps_quoted_lines_and_spaces_and_numbers_its_rows_as_records():
    text = (
        "\n"
        "Name,Note,Code\n"
        f'"{NAMES[2]}","first line\nsecond line", 007 \n'
        " , ,\n"
        f'{NAMES[0]},"a ""quoted"" word",\n'
    )

    [sheet] = read(text.encode(), "csv", name="notes.csv").sheets

    assert (sheet.header_row, sheet.headers) == (2, ("Name", "Note", "Code"))
    assert list(sheet.rows()) == [
        (3, (NAMES[2], "first line\nsecond line", " 007 ")),
        (5, (NAMES[0], 'a "quoted" word', None)),
    ]


def test_a_csv_without_a_name_is_one_sheet_named_csv():
    workbook = read_workbook(b"Name\nA\n", "csv")

    assert [sheet.name for sheet in workbook.sheets] == ["CSV"]
    assert read_workbook(b" \n\n", "csv").sheets == ()


def test_a_csv_the_reader_cannot_parse_is_damaged():
    data = b'Name,Note\nA,"' + b"x" * 200_000 + b'"\n'

    [sheet] = read_workbook(data, "csv", name="notes.csv").sheets
    with pytest.raises(InvalidInput) as caught:
        list(sheet.rows())

    assert (caught.value.code, caught.value.field) == ("damaged_file", "file")


def test_text_in_neither_utf8_nor_utf16_is_refused_by_the_reader_too():
    with pytest.raises(InvalidInput) as caught:
        read_workbook("Name\nJosé\n".encode("latin-1"), "csv", name="x.csv")
    assert (caught.value.code, caught.value.field) == ("encoding", "file")
    assert decode_text("Name\nJosé\n".encode()) == "Name\nJosé\n"


# --- What the checks refuse ---------------------------------------------------------------


def test_the_format_is_read_from_the_bytes_whatever_the_extensions_case():
    assert check_spreadsheet(data=xlsx(("S", [["a"]])), name="A.XLSX", max_bytes=LIMIT) == "xlsx"
    assert check_spreadsheet(data=ods(("S", [["a"]])), name="b.Ods", max_bytes=LIMIT) == "ods"
    for name in ("c.csv", "c.TSV", "c.txt"):
        assert check_spreadsheet(data=b"a,b\n1,2\n", name=name, max_bytes=LIMIT) == "csv"


@pytest.mark.parametrize(
    ("data", "name", "found"),
    [
        (xlsx(("S", [["a"]])), "clients.csv", "Excel workbook"),
        (xlsx(("S", [["a"]])), "clients.xlsm", "Excel workbook"),
        (xlsx(("S", [["a"]])), "clients", "Excel workbook"),
        (ods(("S", [["a"]])), "clients.xlsx", "OpenDocument spreadsheet"),
        (b"Name,Town\nA,B\n", "clients.xlsx", "CSV"),
        (b"Name,Town\nA,B\n", "clients.xls", "CSV"),
        (b"Name,Town\nA,B\n", "clients.pdf", "CSV"),
    ],
)
def test_a_name_whose_extension_disagrees_with_the_content_is_refused(data, name, found):
    error = refused(data=data, name=name)

    assert error.code == "extension_mismatch"
    assert found in str(error.message)


def test_an_excel_workbook_with_macros_is_refused():
    data = rezip(xlsx(("S", [["a"]])), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macros" * 10})

    # Whatever the name: the macros are what the uploader must hear about.
    assert refused(data=data, name="clients.xlsx").code == "active_content"
    assert refused(data=data, name="clients.xlsm").code == "active_content"


def test_an_excel_workbook_with_excel_4_macro_sheets_or_controls_is_refused():
    base = xlsx(("S", [["a"]]))
    for part in ("xl/macrosheets/sheet1.xml", "xl/activeX/activeX1.bin", "xl/embeddings/x.bin"):
        assert refused(data=rezip(base, add={part: b"<x/>"}), name="a.xlsx").code == (
            "active_content"
        )


def test_an_ods_with_macros_is_refused():
    data = ods(("S", [["a"]]), parts={"Basic/Standard/Module1.xml": "<script/>"})

    assert refused(data=data, name="a.ods").code == "active_content"


def test_an_old_excel_workbook_is_refused_with_advice_to_save_it_as_xlsx():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)

    error = refused(data=data, name="clients.xls")

    assert error.code == "unsupported_file_type"
    assert ".xlsx" in str(error.message)


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "a.csv", "empty_file"),
        (b"a,b\n" * 300_000, "a.csv", "file_too_large"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "damaged_file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "photo.png", "unsupported_file_type"),
    ],
)
def test_empty_too_large_damaged_and_other_files_are_refused(data, name, code):
    assert refused(data=data, name=name, max_bytes=1024 * 1024).code == code


def test_a_zip_that_is_not_a_spreadsheet_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")

    assert refused(data=out.getvalue(), name="a.xlsx").code == "unsupported_file_type"


@pytest.mark.parametrize(
    "data",
    [
        b"\x81\x82Name,Town\n",  # not UTF-8, and no zero byte for UTF-16
        b"\x81\xff\xfe\x00abc",  # an odd number of bytes cannot be UTF-16
        "Name,Town\n".encode("utf-32"),  # UTF-16's mark, then zero characters
    ],
)
def test_text_that_cannot_be_decoded_is_refused(data):
    error = refused(data=data, name="clients.csv")

    assert error.code == "encoding"
    assert "UTF-8 or UTF-16" in str(error.message)


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        "<html><body>Name,Town</body></html>".encode("utf-16"),
        b'\xef\xbb\xbf<svg xmlns="http://www.w3.org/2000/svg"/>',
    ],
)
def test_a_web_page_named_csv_is_refused(data):
    assert refused(data=data, name="clients.csv").code == "active_content"


def test_a_workbook_that_unpacks_a_hundredfold_is_refused():
    # A 2 MB part of zeros packs to about 2 KB.
    data = rezip(xlsx(("S", [["a"]])), add={"xl/worksheets/sheet2.xml": bytes(2 * 1024 * 1024)})
    assert len(data) < 20_000

    assert refused(data=data, name="clients.xlsx").code == "compression_ratio_too_high"
