"""The README's import walkthrough: Amal's supervisor brings in the sample
spreadsheet of the demo (three scripts, deliberate errors, one duplicate)."""

import pytest
from django.core.management import call_command
from django.test import TestCase

from accounts.models import User
from casework.demo.sample_import import HEADERS, PATH, ROWS
from casework.models import Client, ClientImport
from casework.services.imports import (
    change_mapping,
    decide_duplicate,
    start_import,
    undo_import,
    upload_import,
)
from casework.services.imports.fields import as_text
from casework.services.imports.reading import read_workbook

pytestmark = pytest.mark.django_db


def test_the_file_in_the_repository_holds_the_rows_of_the_generator():
    workbook = read_workbook(PATH.read_bytes(), "xlsx", name=PATH.name)
    [sheet] = workbook.sheets
    assert list(sheet.headers) == HEADERS
    read = [[as_text(value) for value in values] for _row, values in sheet.rows()]
    assert read == [[as_text(value) for value in row] for row in ROWS]


def test_the_walkthrough_imports_the_sample(settings):
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    supervisor = User.objects.get(email="supervisor@amal.example")
    agency = supervisor.memberships.get().agency
    karimi = Client.objects.get(agency=agency, name_latin="Fereshteh Karimi")
    before = Client.objects.filter(agency=agency).count()
    karimis_cases = set(karimi.cases.values_list("pk", flat=True))

    client_import = upload_import(
        actor=supervisor, agency=agency, data=PATH.read_bytes(), file_name=PATH.name
    )
    rows = {row.row_number: row for row in client_import.rows.all()}
    assert {n for n, row in rows.items() if row.outcome == "error"} == {5, 8, 10}
    assert [e["column"] for e in rows[5].errors] == ["Date de naissance"]
    assert [e["column"] for e in rows[8].errors] == ["نوع الحالة"]
    assert [e["column"] for e in rows[10].errors] == ["Caseworker"]
    assert rows[12].outcome == "duplicate" and rows[12].candidates == [str(karimi.pk)]
    assert {n for n, row in rows.items() if row.outcome == "create"} == {2, 3, 4, 6, 7, 9, 11}

    # The user maps the case type the guess did not know; the row is valid now.
    change_mapping(
        actor=supervisor,
        import_id=client_import.pk,
        expected_version=client_import.version,
        mapping={"values": {"case_type": {"Wohnung": "housing"}}},
    )
    decide_duplicate(
        actor=supervisor,
        import_id=client_import.pk,
        row_number=12,
        decision="link",
        client_id=str(karimi.pk),
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        start_import(actor=supervisor, import_id=client_import.pk, mode="valid_only")
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.IMPORTED
    assert Client.objects.filter(agency=agency).count() == before + 8
    [added] = karimi.cases.exclude(pk__in=karimis_cases)
    assert added.case_type == "education"
    tekle = Client.objects.get(name="ሚኪኤል ተኽለ")
    assert (tekle.nationalities, tekle.languages, tekle.date_of_birth_estimated) == (
        ["ER"],
        ["ti"],
        True,
    )
    assert Client.objects.get(name="Богдан Савчук").languages == ["uk", "ru"]

    undo_import(actor=supervisor, import_id=client_import.pk)
    assert Client.objects.filter(agency=agency).count() == before
    assert set(karimi.cases.values_list("pk", flat=True)) == karimis_cases
