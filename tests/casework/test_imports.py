"""Spreadsheet import (issue 18): the dry run reports each row as
registration would judge it, nothing is half-imported, duplicates wait for a
decision, and an undo takes back exactly what the import made."""

import io
from datetime import date

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import TestCase, override_settings
from guardian.models import GroupObjectPermission
from guardian.shortcuts import assign_perm

from accounts.audit import save_with_history
from accounts.models import AccessLog
from accounts.permissions import Perm
from casework import services
from casework.models import (
    Case,
    Client,
    ClientImport,
    ClientUserObjectPermission,
    Consent,
    IdentityDocument,
    ImportRow,
)
from casework.services.imports import (
    ImportBlocked,
    change_mapping,
    decide_duplicate,
    start_import,
    undo_blockers,
    undo_import,
    upload_import,
)
from config.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import make_client, make_consent

pytestmark = pytest.mark.django_db

HEADERS = ["Ref", "Name", "Nom (latin)", "Date of birth", "Sexe", "Nationalité", "Case type"]


def xlsx(*sheets: tuple[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def clients_file(*rows: list, headers=HEADERS) -> bytes:
    return xlsx(("Clients", [headers, *rows]))


def upload(actor, agency, data, **options):
    return upload_import(actor=actor, agency=agency, data=data, file_name="clients.xlsx", **options)


def outcomes(client_import) -> dict[int, str]:
    return dict(client_import.rows.values_list("row_number", "outcome"))


def run(actor, client_import, **options):
    # The run is queued after commit (eager without a broker).
    with TestCase.captureOnCommitCallbacks(execute=True):
        start_import(actor=actor, import_id=client_import.pk, **options)
    client_import.refresh_from_db()
    return client_import


NAMES = [
    "Amina Yusuf",
    "Dawit Haile",
    "Farid Nazari",
    "Olena Koval",
    "Tesfay Gebru",
    "Marwa Saleh",
    "Idris Musa",
]
GOOD = ["C-1", "سلمى الحسن", "Salma Al-Hassan", date(1990, 4, 2), "F", "Syrie", "Housing"]
CYRILLIC = ["C-2", "Олена Коваль", "", "12/05/1985", "жінка", "Ukraine", "legal"]
GEEZ = ["C-3", "ሰላም ተስፋይ", "Selam Tesfay", "1999", "female", "ER", "Health"]


def test_the_dry_run_reports_each_row_and_writes_nothing(supervisor, agency):
    before = (Client.objects.count(), Case.objects.count())
    data = clients_file(
        GOOD,
        CYRILLIC,
        GEEZ,
        ["C-4", "Ahmad Karimi", "", "31/02/1990", "M", "AF", "Housing"],
        ["C-5", "Yusuf Ali", "", "1980-01-01", "zz", "SY", "Housing"],
        ["C-6", "", "", "1980-01-01", "M", "SY", "Housing"],
    )
    client_import = upload(supervisor, agency, data)
    assert client_import.state == ClientImport.State.CHECKED
    assert (Client.objects.count(), Case.objects.count()) == before
    assert outcomes(client_import) == {
        2: "create",
        3: "create",
        4: "create",
        5: "error",
        6: "error",
        7: "error",
    }
    errors = {row.row_number: row.errors for row in client_import.rows.filter(outcome="error")}
    assert [(e["column"], e["code"]) for e in errors[5]] == [("Date of birth", "invalid_date")]
    assert [(e["column"], e["code"]) for e in errors[6]] == [("Sexe", "unknown_value")]
    assert [(e["column"], e["code"]) for e in errors[7]] == [("Name", "blank")]
    # No error message repeats what the cell held.
    assert all("31/02" not in e["message"] for e in errors[5])
    assert client_import.counts["create"] == 3 and client_import.counts["error"] == 3


def test_the_mapping_is_guessed_from_english_french_and_arabic_headers(supervisor, agency):
    data = clients_file(
        ["A-1", "ليلى", "Layla", "02.03.2001", "أنثى", "سوريا", "سكن"],
        headers=[
            "رقم الملف",
            "الاسم",
            "Name in Latin letters",
            "تاريخ الميلاد",
            "الجنس",
            "الجنسية",
            "نوع الحالة",
        ],
    )
    client_import = upload(supervisor, agency, data)
    columns = client_import.mapping["columns"]["Clients"]
    assert columns == {
        "رقم الملف": "reference",
        "الاسم": "name",
        "Name in Latin letters": "name_latin",
        "تاريخ الميلاد": "date_of_birth",
        "الجنس": "sex",
        "الجنسية": "nationalities",
        "نوع الحالة": "case_type",
    }
    assert outcomes(client_import) == {2: "create"}
    run(supervisor, client_import)
    client = Client.objects.get(name="ليلى")
    assert (client.sex, client.nationalities, client.date_of_birth) == (
        "female",
        ["SY"],
        date(2001, 3, 2),
    )
    assert client.cases.get().case_type == "housing"


def test_values_the_guess_does_not_know_are_mapped_by_the_user(supervisor, agency):
    data = clients_file(["C-5", "Yusuf Ali", "", "1980-01-01", "zz", "SY", "Wohnung"])
    client_import = upload(supervisor, agency, data)
    assert outcomes(client_import) == {2: "error"}
    change_mapping(
        actor=supervisor,
        import_id=client_import.pk,
        expected_version=client_import.version,
        mapping={"values": {"sex": {"zz": "unknown"}, "case_type": {"Wohnung": "housing"}}},
    )
    client_import.refresh_from_db()
    assert outcomes(client_import) == {2: "create"}


def test_one_bad_row_imports_nothing_by_default(supervisor, agency):
    data = clients_file(GOOD, ["C-4", "Ahmad Karimi", "", "31/02/1990", "M", "AF", "Housing"])
    client_import = upload(supervisor, agency, data)
    with pytest.raises(ImportBlocked) as refused:
        start_import(actor=supervisor, import_id=client_import.pk)
    assert refused.value.code == "rows_have_errors"
    assert refused.value.reasons == [{"row": 3, "code": "error"}]
    assert not Client.objects.filter(name="سلمى الحسن").exists()
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.CHECKED


def test_the_valid_rows_only_choice_imports_exactly_the_valid_ones(supervisor, agency):
    data = clients_file(
        GOOD, CYRILLIC, ["C-4", "Ahmad Karimi", "", "31/02/1990", "M", "AF", "Housing"], GEEZ
    )
    client_import = run(supervisor, upload(supervisor, agency, data), mode="valid_only")
    assert client_import.state == ClientImport.State.IMPORTED
    imported = set(Client.objects.filter(agency=agency).values_list("name", flat=True))
    assert imported == {"سلمى الحسن", "Олена Коваль", "ሰላም ተስፋይ"}
    results = dict(client_import.rows.values_list("row_number", "result"))
    assert results == {2: "created", 3: "created", 4: "skipped", 5: "created"}
    geez = Client.objects.get(name="ሰላም ተስፋይ")
    assert (geez.date_of_birth, geez.date_of_birth_estimated) == (date(1999, 1, 1), True)
    # History names the importing user and the import as the reason; the
    # import is one row of the access log.
    record = geez.history.get()
    assert (record.history_user, record.history_change_reason) == (
        supervisor,
        "imported from a spreadsheet",
    )
    assert geez.cases.get().history.get().history_change_reason == "imported from a spreadsheet"
    logged = AccessLog.objects.filter(action="import")
    assert list(logged.values_list("object_id", "actor_id")) == [
        (str(client_import.pk), supervisor.pk)
    ]


def test_a_duplicate_waits_for_a_decision(supervisor, caseworker, agency):
    existing = make_client(caseworker, agency, name="سلمى الحسن", date_of_birth=date(1990, 5, 1))
    data = clients_file(
        ["C-1", "Salma Al-Hassan", "", date(1990, 4, 2), "F", "SY", "Housing"],
        ["C-9", "Salma Al Hassan", "", date(1990, 4, 2), "F", "SY", "Health"],
        CYRILLIC,
    )
    client_import = upload(supervisor, agency, data)
    rows = {row.row_number: row for row in client_import.rows.all()}
    assert rows[2].outcome == "duplicate" and rows[2].candidates == [str(existing.pk)]
    # The second row repeats the first (and the existing client).
    assert rows[3].outcome == "duplicate" and rows[3].duplicate_of_row == 2
    with pytest.raises(ImportBlocked) as refused:
        start_import(actor=supervisor, import_id=client_import.pk)
    assert refused.value.code == "decisions_needed"
    assert {reason["row"] for reason in refused.value.reasons} == {2, 3}
    with pytest.raises(InvalidInput) as wrong:
        decide_duplicate(
            actor=supervisor,
            import_id=client_import.pk,
            row_number=2,
            decision="link",
            client_id=str(make_client(caseworker, agency, name="Someone Else").pk),
        )
    assert wrong.value.field == "client"
    decide_duplicate(
        actor=supervisor,
        import_id=client_import.pk,
        row_number=2,
        decision="link",
        client_id=str(existing.pk),
    )
    decide_duplicate(actor=supervisor, import_id=client_import.pk, row_number=3, decision="skip")
    client_import = run(supervisor, client_import)
    assert client_import.state == ClientImport.State.IMPORTED
    # Linked: the existing client got the row's case, no new person.
    assert Client.objects.filter(name__in=["Salma Al-Hassan", "Salma Al Hassan"]).count() == 0
    assert existing.cases.get().case_type == "housing"
    assert dict(client_import.rows.values_list("row_number", "result")) == {
        2: "updated",
        3: "skipped",
        4: "created",
    }


def test_import_as_a_new_person(supervisor, caseworker, agency):
    make_client(caseworker, agency, name="Salma Al-Hassan")
    client_import = upload(
        supervisor, agency, clients_file(["C-1", "Salma Al-Hassan", "", "", "F", "SY", ""])
    )
    decide_duplicate(actor=supervisor, import_id=client_import.pk, row_number=2, decision="new")
    run(supervisor, client_import)
    assert Client.objects.filter(name="Salma Al-Hassan").count() == 2


def test_undo_removes_exactly_what_was_imported(supervisor, caseworker, agency):
    existing = make_client(caseworker, agency, name="Old Client")
    other_case = services.open_case(actor=caseworker, client_id=existing.pk, case_type="health")
    counts = (Client.objects.count(), Case.objects.count(), IdentityDocument.objects.count())
    data = CONSENT_AND_DOCUMENT  # (defined below, with the undo-blocker tests)
    client_import = run(supervisor, upload(supervisor, agency, data))
    assert client_import.state == ClientImport.State.IMPORTED
    consent = Consent.objects.get(client__name="سلمى الحسن")
    assert consent.from_paper_record and consent.recorded_by == supervisor
    assert consent.data_categories == ["identity", "contact"]
    assert Client.objects.count() == counts[0] + 2
    undo_import(actor=supervisor, import_id=client_import.pk)
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.UNDONE
    assert (
        Client.objects.count(),
        Case.objects.count(),
        IdentityDocument.objects.count(),
    ) == counts
    assert Case.objects.filter(pk=other_case.pk).exists()
    assert not Consent.objects.filter(from_paper_record=True).exists()
    assert AccessLog.objects.filter(action="undo_import", outcome="ok").count() == 1
    with pytest.raises(Conflict):
        undo_import(actor=supervisor, import_id=client_import.pk)


def test_a_change_since_the_import_blocks_the_undo(supervisor, caseworker, agency):
    client_import = run(supervisor, upload(supervisor, agency, clients_file(GOOD, CYRILLIC)))
    changed = Client.objects.get(name="Олена Коваль")
    services.update_client(
        actor=supervisor, client_id=changed.pk, expected_version=1, changes={"city": "Torino"}
    )
    case = Client.objects.get(name="سلمى الحسن").cases.get()
    services.add_note(actor=supervisor, case_id=case.pk, body="Called the client.")
    with pytest.raises(ImportBlocked) as blocked:
        undo_import(actor=supervisor, import_id=client_import.pk)
    assert blocked.value.code == "undo_blocked"
    assert {(reason["record"], reason["id"]) for reason in blocked.value.reasons} >= {
        ("client", str(changed.pk))
    }
    assert Client.objects.filter(name__in=["Олена Коваль", "سلمى الحسن"]).count() == 2
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.IMPORTED


def test_a_note_added_since_blocks_the_undo(supervisor, agency):
    client_import = run(supervisor, upload(supervisor, agency, clients_file(GOOD)))
    case = Client.objects.get(name="سلمى الحسن").cases.get()
    services.add_note(actor=supervisor, case_id=case.pk, body="Called the client.")
    with pytest.raises(ImportBlocked) as blocked:
        undo_import(actor=supervisor, import_id=client_import.pk)
    assert [reason["record"] for reason in blocked.value.reasons] == ["casenote"]
    assert Case.objects.filter(pk=case.pk).exists()


def test_a_later_file_with_the_same_reference_adds_to_the_client(supervisor, agency):
    run(supervisor, upload(supervisor, agency, clients_file(GOOD)))
    again = clients_file(["C-1", "سلمى الحسن", "", "", "F", "SY", "Education"])
    client_import = upload(supervisor, agency, again)
    assert outcomes(client_import) == {2: "update"}
    run(supervisor, client_import)
    client = Client.objects.get(name="سلمى الحسن")
    assert sorted(client.cases.values_list("case_type", flat=True)) == ["education", "housing"]


def test_cases_and_documents_on_their_own_sheets(supervisor, agency):
    data = xlsx(
        ("Clients", [["ID", "Name"], ["K1", "Amina Yusuf"], ["K2", "Dawit Haile"]]),
        (
            "Cases",
            [
                ["Client ID", "Case type", "Summary"],
                ["K1", "housing", "Needs a flat"],
                ["K1", "health", ""],
                ["K2", "legal", ""],
                ["K9", "legal", ""],
            ],
        ),
        (
            "Documents",
            [
                ["Client ref", "Document type", "Document number", "Expiry"],
                ["K2", "passport", "ER998877", "2031-01-01"],
            ],
        ),
    )
    mapping = {
        "columns": {
            "Clients": {"ID": "reference", "Name": "name"},
            "Cases": {
                "Client ID": "reference",
                "Case type": "case_type",
                "Summary": "case_summary",
            },
            "Documents": {
                "Client ref": "reference",
                "Document type": "document_type",
                "Document number": "document_number",
                "Expiry": "document_expires_on",
            },
        }
    }
    client_import = upload(
        supervisor,
        agency,
        data,
        sheet="Clients",
        case_sheet="Cases",
        document_sheet="Documents",
        mapping=mapping,
    )
    assert outcomes(client_import) == {2: "create", 3: "create"}
    # The case row naming no client is an error of its own.
    assert [(e["sheet"], e["row"], e["code"]) for e in client_import.other_errors] == [
        ("Cases", 5, "unknown_reference")
    ]
    with pytest.raises(ImportBlocked):
        start_import(actor=supervisor, import_id=client_import.pk)
    run(supervisor, client_import, mode="valid_only")
    amina = Client.objects.get(name="Amina Yusuf")
    assert sorted(amina.cases.values_list("case_type", flat=True)) == ["health", "housing"]
    dawit = Client.objects.get(name="Dawit Haile")
    assert dawit.identity_documents.get().number == "ER998877"


def test_a_consent_needs_its_date_method_and_purpose(supervisor, agency):
    data = xlsx(
        (
            "Clients",
            [
                ["Name", "Consent date", "Consent method", "Consent purpose"],
                ["Amina Yusuf", "2024-01-05", "", ""],
                ["Dawit Haile", "2024-01-05", "verbal", "referral"],
            ],
        )
    )
    client_import = upload(supervisor, agency, data)
    errors = {row.row_number: row.errors for row in client_import.rows.all()}
    assert {(e["column"], e["code"]) for e in errors[2]} == {
        ("Consent method", "consent_incomplete"),
        ("Consent purpose", "consent_incomplete"),
    }
    assert [e["code"] for e in errors[3]] == ["consent_purpose_not_importable"]


def test_only_importers_of_the_agency(caseworker, agency_admin, outsider, supervisor, agency):
    with pytest.raises(Forbidden):
        upload(caseworker, agency, clients_file(GOOD))
    client_import = upload(agency_admin, agency, clients_file(GOOD))
    with pytest.raises(NotFound):
        start_import(actor=outsider, import_id=client_import.pk)
    with pytest.raises(NotFound):
        start_import(actor=caseworker, import_id=client_import.pk)
    run(agency_admin, client_import)
    assert Client.objects.get(name="سلمى الحسن").registered_by == agency_admin


def test_a_formula_looking_text_is_kept_as_text(supervisor, agency):
    data = clients_file(["C-1", "Amina Yusuf", "", "", "F", "SY", "Housing"], headers=HEADERS)
    book = openpyxl.load_workbook(io.BytesIO(data))
    book["Clients"].cell(row=1, column=8, value="City")
    book["Clients"].cell(row=2, column=8, value='=HYPERLINK("http://x")').data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    client_import = run(supervisor, upload(supervisor, agency, buffer.getvalue()))
    assert client_import.state == ClientImport.State.IMPORTED
    client = Client.objects.get(name="Amina Yusuf")
    assert client.city == '=HYPERLINK("http://x")'


@override_settings(IMPORT_BATCH_ROWS=2)
def test_a_large_file_is_written_in_batches_and_resumes(supervisor, agency):
    rows = [[f"R-{n}", name, "", "", "F", "SY", "Housing"] for n, name in enumerate(NAMES)]
    client_import = upload(supervisor, agency, clients_file(*rows))
    # A run that stopped after two batches: the next delivery writes the rest once.
    from casework.services.imports.running import run_import

    with transaction.atomic():
        ClientImport.objects.filter(pk=client_import.pk).update(
            state=ClientImport.State.RUNNING, run_by=supervisor
        )
    run_import(client_import.pk)
    run_import(client_import.pk)
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.IMPORTED and client_import.progress == 100
    assert Client.objects.filter(name__in=NAMES).count() == 7
    assert client_import.rows.filter(result="created").count() == 7


@override_settings(IMPORT_BATCH_ROWS=1)
def test_a_row_no_longer_valid_fails_the_whole_import_and_leaves_nothing(
    supervisor, caseworker, agency
):
    rows = [[f"R-{n}", name, "", "", "F", "SY", "Housing"] for n, name in enumerate(NAMES[:3])]
    client_import = upload(supervisor, agency, clients_file(*rows))
    # Registered between the dry run and the run: the third row is now a possible duplicate.
    make_client(caseworker, agency, name=NAMES[2], date_of_birth=None)
    client_import = run(supervisor, client_import)
    assert client_import.state == ClientImport.State.FAILED
    assert client_import.error_code == "row_changed"
    assert Client.objects.filter(name__in=NAMES).count() == 1  # the one registered


def test_a_file_that_is_not_a_spreadsheet_is_refused_naming_the_file(supervisor, agency):
    with pytest.raises(InvalidInput) as refused:
        upload_import(actor=supervisor, agency=agency, data=b"%PDF-1.4\n", file_name="clients.xlsx")
    assert refused.value.field == "file"
    assert not ClientImport.objects.exists()


def test_a_mapping_without_the_name_column_is_refused(supervisor, agency):
    with pytest.raises(InvalidInput) as refused:
        upload(
            supervisor,
            agency,
            clients_file(GOOD),
            mapping={"columns": {"Clients": {"Ref": "reference"}}},
        )
    assert (refused.value.field, refused.value.code) == ("mapping.columns", "name_column_required")
    assert not ImportRow.objects.exists()


def test_a_reference_of_another_person_is_a_duplicate_to_decide(supervisor, agency):
    run(supervisor, upload(supervisor, agency, clients_file(GOOD)))
    # Another file numbers its people the same way: C-1 is someone else here.
    other = clients_file(["C-1", "Dawit Haile", "", "", "M", "ER", "Health"])
    client_import = upload(supervisor, agency, other)
    [row] = client_import.rows.all()
    earlier = Client.objects.get(name=GOOD[1])
    assert (row.outcome, row.candidates) == ("duplicate", [str(earlier.pk)])


def test_a_value_mapping_names_a_known_code(supervisor, agency):
    with pytest.raises(InvalidInput) as refused:
        upload(
            supervisor,
            agency,
            clients_file(GOOD),
            mapping={"values": {"sex": {"zz": "bogus"}}},
        )
    assert (refused.value.field, refused.value.code) == ("mapping.values.sex", "invalid_choice")


def test_a_cases_sheet_needs_its_reference_column(supervisor, agency):
    data = xlsx(("Clients", [["ID", "Name"], ["K1", "Amina Yusuf"]]), ("Cases", [["X"], ["K1"]]))
    client_import = upload(supervisor, agency, data)
    with pytest.raises(InvalidInput) as refused:
        change_mapping(
            actor=supervisor,
            import_id=client_import.pk,
            expected_version=client_import.version,
            case_sheet="Cases",
        )
    assert refused.value.code == "reference_column_required"


def test_a_number_that_is_no_whole_number_is_a_cell_error():
    from casework.services.imports.fields import CellError, as_int

    for text in ("inf", "NaN", "sNaN", "1e999999999", "2.5"):
        with pytest.raises(CellError):
            as_int(text)
    assert as_int("٣") == 3


def test_an_unexpected_error_fails_the_run_and_leaves_nothing(supervisor, agency, monkeypatch):
    from casework.services.imports import running

    client_import = upload(supervisor, agency, clients_file(GOOD, CYRILLIC))
    calls = []

    real_write_row = running._write_row

    def write_row(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real_write_row(*args, **kwargs)

    monkeypatch.setattr(running, "_write_row", write_row)
    client_import = run(supervisor, client_import)
    assert (client_import.state, client_import.error_code) == ("failed", "run_error")
    assert not Client.objects.filter(name__in=[GOOD[1], CYRILLIC[1]]).exists()


# --- What changed since the import blocks the undo -------------------------------------

CONSENT_AND_DOCUMENT = xlsx(
    (
        "Clients",
        [
            [
                "Ref",
                "Name",
                "Case type",
                "Document type",
                "Document number",
                "Consent date",
                "Consent method",
                "Consent purpose",
            ],
            [
                "C-1",
                "سلمى الحسن",
                "housing",
                "passport",
                "N123456",
                "2024-01-05",
                "verbal",
                "case_management",
            ],
            ["C-2", "Олена Коваль", "legal", "", "", "", "", ""],
        ],
    )
)


def imported_with_consent_and_document(supervisor, agency) -> ClientImport:
    client_import = run(supervisor, upload(supervisor, agency, CONSENT_AND_DOCUMENT))
    assert client_import.state == ClientImport.State.IMPORTED
    assert undo_blockers(client_import) == []
    return client_import


def assert_undo_blocked(supervisor, client_import, expected: tuple) -> list[dict]:
    """The undo refuses, naming ``expected`` (record, id, code), shows it
    beforehand too, and removes nothing."""
    counts = (
        Client.objects.count(),
        Case.objects.count(),
        IdentityDocument.objects.count(),
        Consent.objects.count(),
    )
    shown = {(r["record"], r["id"], r["code"]) for r in undo_blockers(client_import)}
    assert expected in shown
    with pytest.raises(ImportBlocked) as blocked:
        undo_import(actor=supervisor, import_id=client_import.pk)
    assert blocked.value.code == "undo_blocked"
    reasons = blocked.value.reasons
    assert expected in {(r["record"], r["id"], r["code"]) for r in reasons}
    # A record, never a person's data.
    assert all(set(reason) == {"row", "record", "id", "label", "code"} for reason in reasons)
    assert (
        Client.objects.count(),
        Case.objects.count(),
        IdentityDocument.objects.count(),
        Consent.objects.count(),
    ) == counts
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.IMPORTED
    return reasons


def test_a_withdrawn_imported_consent_blocks_the_undo(supervisor, agency):
    client_import = imported_with_consent_and_document(supervisor, agency)
    consent = Consent.objects.get(from_paper_record=True)
    services.withdraw_consent(actor=supervisor, consent_id=consent.pk, reason="Asked to.")
    reasons = assert_undo_blocked(
        supervisor, client_import, ("consent", str(consent.pk), "consent_changed")
    )
    assert [reason["row"] for reason in reasons] == [2]
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def test_an_edited_imported_document_blocks_the_undo(supervisor, agency):
    client_import = imported_with_consent_and_document(supervisor, agency)
    document = IdentityDocument.objects.get(number="N123456")
    document.expires_on = date(2031, 1, 1)
    save_with_history(document, actor=supervisor, reason="expiry corrected")
    reasons = assert_undo_blocked(
        supervisor, client_import, ("identitydocument", str(document.pk), "document_changed")
    )
    assert "N123456" not in str(reasons)
    assert IdentityDocument.objects.get(pk=document.pk).expires_on == date(2031, 1, 1)


def test_a_share_since_the_import_blocks_the_undo(supervisor, outsider, agency):
    client_import = run(supervisor, upload(supervisor, agency, clients_file(GOOD, CYRILLIC)))
    shared_client = Client.objects.get(name="سلمى الحسن")
    assign_perm(Perm.VIEW_CLIENT.codename, outsider, shared_client)
    assert ClientUserObjectPermission.objects.filter(content_object=shared_client).exists()
    assert_undo_blocked(supervisor, client_import, ("client", str(shared_client.pk), "shared"))
    # The share is still there (deleting the client would have cascaded to it).
    assert ClientUserObjectPermission.objects.filter(content_object=shared_client).count() == 1


def test_a_share_in_guardians_generic_table_blocks_the_undo(supervisor, outsider, agency):
    client_import = run(supervisor, upload(supervisor, agency, clients_file(GOOD, CYRILLIC)))
    case = Client.objects.get(name="Олена Коваль").cases.get()
    GroupObjectPermission.objects.create(
        group=outsider.groups.first(),
        permission=Permission.objects.get(
            content_type__app_label="casework", codename=Perm.VIEW_CASE.codename
        ),
        content_type=ContentType.objects.get_for_model(Case),
        object_pk=str(case.pk),
    )
    reasons = assert_undo_blocked(supervisor, client_import, ("case", str(case.pk), "shared"))
    assert [reason["label"] for reason in reasons] == [case.number]


def test_a_consent_recorded_since_on_an_imported_client_blocks_the_undo(
    supervisor, caseworker, agency
):
    client_import = imported_with_consent_and_document(supervisor, agency)
    client = Client.objects.get(name="Олена Коваль")
    later = make_consent(caseworker, client, purpose="statistics")
    counts = (Client.objects.count(), Consent.objects.count())
    with pytest.raises(ImportBlocked) as blocked:
        undo_import(actor=supervisor, import_id=client_import.pk)
    assert blocked.value.code == "undo_blocked"
    assert ("consent", str(later.pk), "referred_to") in {
        (r["record"], r["id"], r["code"]) for r in blocked.value.reasons
    }
    assert (Client.objects.count(), Consent.objects.count()) == counts
    # The import's own consent was not taken back either (the undo is all or nothing).
    assert Consent.objects.filter(from_paper_record=True).exists()
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.IMPORTED


# --- Changing the mode alone --------------------------------------------------------------


def test_changing_only_the_mode_keeps_the_report_and_the_decisions(supervisor, caseworker, agency):
    existing = make_client(caseworker, agency, name="Salma Al-Hassan")
    client_import = upload(
        supervisor, agency, clients_file(["C-1", "Salma Al-Hassan", "", "", "F", "SY", ""], GEEZ)
    )
    decide_duplicate(
        actor=supervisor,
        import_id=client_import.pk,
        row_number=2,
        decision="link",
        client_id=str(existing.pk),
    )
    client_import.refresh_from_db()
    version = client_import.version
    rows = dict(client_import.rows.values_list("row_number", "pk"))
    changed = change_mapping(
        actor=supervisor,
        import_id=client_import.pk,
        expected_version=version,
        mode="valid_only",
    )
    assert (changed.mode, changed.version) == ("valid_only", version + 1)
    assert dict(changed.rows.values_list("row_number", "pk")) == rows
    row = changed.rows.get(row_number=2)
    assert (row.decision, row.linked_client_id) == ("link", existing.pk)
    # The same mapping sent again with the mode changes nothing else either.
    changed = change_mapping(
        actor=supervisor,
        import_id=client_import.pk,
        expected_version=version + 1,
        mapping={"columns": changed.mapping["columns"]},
        mode="all",
    )
    assert (changed.mode, changed.version) == ("all", version + 2)
    assert changed.rows.get(row_number=2).decision == "link"
    # A new mapping checks every row again: the decision goes with the old rows.
    changed = change_mapping(
        actor=supervisor,
        import_id=client_import.pk,
        expected_version=version + 2,
        mapping={"day_first": False},
    )
    assert changed.version == version + 3
    assert changed.rows.get(row_number=2).decision == ""
    assert dict(changed.rows.values_list("row_number", "pk")) != rows


@override_settings(IMPORT_BATCH_ROWS=1)
def test_a_row_repeating_a_row_of_an_earlier_batch_adds_to_its_client(supervisor, agency):
    data = clients_file(
        ["C-1", "Salma Al-Hassan", "", date(1990, 4, 2), "F", "SY", "Housing"],
        ["C-9", "Salma Al Hassan", "", date(1990, 4, 2), "F", "SY", "Health"],
    )
    client_import = upload(supervisor, agency, data)
    assert client_import.rows.get(row_number=3).duplicate_of_row == 2
    decide_duplicate(actor=supervisor, import_id=client_import.pk, row_number=3, decision="link")
    client_import = run(supervisor, client_import)
    assert client_import.state == ClientImport.State.IMPORTED
    [client] = Client.objects.filter(name__startswith="Salma")
    assert sorted(client.cases.values_list("case_type", flat=True)) == ["health", "housing"]
