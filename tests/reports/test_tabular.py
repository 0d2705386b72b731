"""CSV and XLSX files safe to open in a spreadsheet: text that could start a
formula is written as text (a leading apostrophe); numbers and dates stay
numbers and dates in XLSX."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from reports.tabular import Sheet, neutralise, to_csv, to_xlsx

DANGEROUS = ["=cmd|' /C calc'!A0", "+1", "-2", "@x", "\tTAB", "\rCR", '=HYPERLINK("http://x")']


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())  # Excel reads Arabic correctly with it
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_that_starts_a_formula_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Mohammed", "محمد", "a=b", "1+1", "", 5, -3, 2.5, None])
def test_other_values_are_unchanged(value):
    assert neutralise(value) == value


def test_csv_neutralises_cells_and_headers():
    content = to_csv(["=head", "name"], [[text, "ok"] for text in DANGEROUS])
    rows = _csv_rows(content)
    assert rows[0] == ["'=head", "name"]
    assert [row[0] for row in rows[1:]] == ["'" + text for text in DANGEROUS]
    assert all(row[1] == "ok" for row in rows[1:])


def test_csv_writes_numbers_dates_lists_and_booleans_plainly():
    when = datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.UTC)
    content = to_csv(
        ["n", "day", "at", "flag", "list", "none", "arabic"],
        [[-2, datetime.date(2026, 3, 1), when, True, ["-a", "b"], None, "محمد"]],
    )
    assert _csv_rows(content)[1] == [
        "-2",  # a number, not text: nothing to neutralise
        "2026-03-01",
        "2026-03-01T08:30:00+00:00",
        "yes",
        "'-a; b",  # a list joined is text, and that text starts with "-"
        "",
        "محمد",
    ]


def test_xlsx_keeps_types_and_neutralises_text(settings):
    settings.TIME_ZONE = "UTC"
    when = datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.UTC)
    content = to_xlsx(
        [
            Sheet(
                title="Cases: [all]",
                headers=["text", "n", "x", "day", "at"],
                rows=[[text, 7, 2.5, datetime.date(2026, 3, 1), when] for text in DANGEROUS],
            )
        ]
    )
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Cases all"]
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == ("text", "n", "x", "day", "at")
    for text, row in zip(DANGEROUS, rows[1:], strict=True):
        # XML turns a carriage return into a line feed when read back.
        assert row[0] == "'" + text.replace("\r", "\n")
        assert row[1] == 7 and isinstance(row[1], int)
        assert row[2] == 2.5
        assert row[3] == datetime.datetime(2026, 3, 1)  # a date cell, read back as a datetime
        assert row[4] == datetime.datetime(2026, 3, 1, 8, 30)
    # No cell is a formula.
    assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)


def test_a_decimal_is_written_as_text_not_a_formula():
    # Not a type the tables use, but nothing passes through unneutralised.
    assert _csv_rows(to_csv(["d"], [[Decimal("-1.5")]]))[1] == ["'-1.5"]
