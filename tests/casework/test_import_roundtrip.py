"""Property (issue 18): rows in any script, written to an .xlsx as an export
writes them and imported, come back unchanged."""

import contextlib
import io
from datetime import date

import openpyxl
import pytest
from django.db import transaction
from django.test import TestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework.models import Client
from casework.services.imports import start_import, undo_import, upload_import

pytestmark = pytest.mark.django_db

# Letters and marks of the scripts clients write their names in, digits, spaces
# and the punctuation of names and addresses.
SCRIPTS = st.sampled_from(
    [
        (0x0041, 0x005A),  # Latin
        (0x0061, 0x007A),
        (0x00C0, 0x00FF),  # Latin-1 letters
        (0x0621, 0x064A),  # Arabic
        (0x067E, 0x06CC),  # Farsi letters
        (0x0410, 0x044F),  # Cyrillic
        (0x0454, 0x0457),  # Ukrainian є і ї
        (0x1200, 0x1357),  # Ge'ez
        (0x4E00, 0x4E50),  # CJK
    ]
)


@st.composite
def words(draw, max_words=3):
    count = draw(st.integers(1, max_words))
    result = []
    for _ in range(count):
        low, high = draw(SCRIPTS)
        letters = st.characters(min_codepoint=low, max_codepoint=high, categories=["L", "M"])
        word = draw(st.text(letters, min_size=1, max_size=12))
        if not word[0].isalpha():
            word = "a" + word
        result.append(word)
    return " ".join(result)


ROW = st.fixed_dictionaries(
    {
        "name": words(),
        "preferred_name": st.one_of(st.just(""), words(1)),
        "date_of_birth": st.dates(min_value=date(1920, 1, 1), max_value=date(2025, 12, 31)),
        "sex": st.sampled_from(["female", "male", "other", "unknown"]),
        "nationalities": st.lists(
            st.sampled_from(["SY", "AF", "UA", "ER", "IR", "SD"]),
            min_size=1,
            max_size=2,
            unique=True,
        ),
        "languages": st.lists(
            st.sampled_from(["ar", "fa", "uk", "ti", "fr", "ps"]),
            min_size=1,
            max_size=2,
            unique=True,
        ),
        "interpreter_needed": st.booleans(),
        "phone": st.from_regex(r"\A\+?[0-9]{6,14}\Z"),
        "city": words(2),
        "address": st.one_of(st.just(""), st.tuples(words(3), words(2)).map("\n".join)),
        "dependants": st.integers(0, 20),
        "legal_status_note": st.one_of(
            st.just(""), words(3), words(2).map(lambda text: "=" + text)
        ),
    }
)


def export(rows: list[dict]) -> bytes:
    headers = list(rows[0])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for index, row in enumerate(rows, start=2):
        for column, header in enumerate(headers, start=1):
            value = row[header]
            if isinstance(value, list):
                value = ", ".join(value)
            cell = sheet.cell(row=index, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, even when it starts with "="
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(row=ROW)
def test_a_row_in_any_script_round_trips(row, supervisor, agency):
    # Each example in a savepoint rolled back: a failing one leaves nothing
    # behind for the next one's duplicate check.
    with contextlib.suppress(_Rollback), transaction.atomic():
        _round_trip(row, supervisor, agency)
        raise _Rollback


class _Rollback(Exception):
    pass


def _round_trip(row, supervisor, agency):
    client_import = upload_import(
        actor=supervisor, agency=agency, data=export([row]), file_name="export.xlsx"
    )
    outcomes = list(client_import.rows.values_list("outcome", "errors"))
    assert outcomes == [("create", [])], outcomes
    with TestCase.captureOnCommitCallbacks(execute=True):
        start_import(actor=supervisor, import_id=client_import.pk)
    client = Client.objects.get(pk=client_import.rows.get().client_id)
    for field, value in row.items():
        assert getattr(client, field) == value, field
    undo_import(actor=supervisor, import_id=client_import.pk)
    assert not Client.objects.filter(pk=client.pk).exists()
