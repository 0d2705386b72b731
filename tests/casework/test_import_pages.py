"""The spreadsheet import through the pages: an agency admin brings Amal's
sample spreadsheet in (upload, the report, the mapping page, the duplicate
decision, the run, the undo), a saved mapping is reused for the next file,
and who may see these pages."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import AccessLog, User
from casework import services
from casework.demo.sample_import import PATH
from casework.models import Client, ClientImport, ImportMapping

pytestmark = pytest.mark.django_db


def _upload(client, data: bytes, name: str, **extra):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("casework:import_list"), {"file": upload, **extra})


def _form_data(form) -> dict:
    """What the browser would send for ``form`` as shown (its initial values)."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data


@pytest.fixture
def amal(db):
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    admin = User.objects.get(email="agency_admin@amal.example")
    return admin, admin.memberships.get().agency


def test_an_agency_admin_brings_the_sample_in_through_the_pages(amal, client):
    admin, agency = amal
    client.force_login(admin)
    karimi = Client.objects.get(agency=agency, name_latin="Fereshteh Karimi")
    before = Client.objects.filter(agency=agency).count()

    # Home → the imports page, with the upload form.
    assert reverse("casework:import_list") in client.get(reverse("accounts:home")).text
    page = client.get(reverse("casework:import_list"))
    assert page.status_code == 200 and 'type="file"' in page.text

    answer = _upload(client, PATH.read_bytes(), PATH.name)
    client_import = ClientImport.objects.get(agency=agency)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("casework:import_detail", args=[client_import.pk])
    assert Client.objects.filter(agency=agency).count() == before

    report = client.get(answer["Location"])
    assert report.status_code == 200
    text = report.text
    assert client_import.sha256 in text and "amal-caseload.xlsx" in text
    # Each error at its row and column; the duplicate with what it may be.
    assert "Date de naissance" in text and "نوع الحالة" in text and "Caseworker" in text
    errors = client.get(answer["Location"], {"outcome": "error"}).text
    assert [int(n) for n in re.findall(r'<tr id="row-(\d+)"', errors)] == [5, 8, 10]
    duplicates = client.get(answer["Location"], {"outcome": "duplicate"})
    assert [row.row_number for row in duplicates.context["page"].rows] == [12]
    # An agency admin does not see the candidate's name, only that one exists.
    assert "Karimi" not in duplicates.text and "1 client you cannot see" in duplicates.text

    # Running all rows is refused while rows have errors: nothing is written.
    refused = client.post(
        reverse("casework:import_run", args=[client_import.pk]),
        {"mode": "all", "version": client_import.version},
    )
    assert refused.status_code == 409
    assert "Row 5" in refused.text
    assert Client.objects.filter(agency=agency).count() == before

    # The mapping page: the columns guessed, the first rows as read, and
    # "Wohnung" marked as a case type Sanad does not know.
    mapping_url = reverse("casework:import_mapping", args=[client_import.pk])
    mapping_page = client.get(mapping_url)
    assert mapping_page.status_code == 200
    form = mapping_page.context["form"]
    assert "Wohnung" in mapping_page.text and "not known" in mapping_page.text
    assert "Nom" in mapping_page.text
    data = _form_data(form)
    [wohnung_key] = [
        key
        for text, key in form.values[[v[1] for v in form.values].index("case_type")][2]
        if text.text == "Wohnung"
    ]
    data[wohnung_key] = "housing"
    data["save_as"] = "Amal caseload"
    saved = client.post(mapping_url, data)
    assert saved.status_code == 302, saved.context["form"].errors
    client_import.refresh_from_db()
    assert client_import.mapping["values"]["case_type"]["Wohnung"] == "housing"
    assert client_import.rows.get(row_number=8).outcome == "create"
    assert ImportMapping.objects.get(agency=agency, name="Amal caseload")

    # The duplicate: it is Karimi (the one candidate).
    decided = client.post(
        reverse("casework:import_decide", args=[client_import.pk, 12]),
        {"row12-choice": f"link:{karimi.pk}", "row12-version": client_import.version},
    )
    assert decided.status_code == 302
    row = client_import.rows.get(row_number=12)
    assert (row.decision, row.linked_client_id) == ("link", karimi.pk)

    # Only the valid rows (5 and 10 stay wrong): 8 people are created.
    client_import.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        ran = client.post(
            reverse("casework:import_run", args=[client_import.pk]),
            {"mode": "valid_only", "version": client_import.version},
        )
    assert ran.status_code == 302
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.IMPORTED
    assert Client.objects.filter(agency=agency).count() == before + 8
    done = client.get(ran["Location"])
    assert "Undo this import" in done.text and "8 clients created" in done.text
    assert "1 existing client added to" in done.text and "2 rows skipped" in done.text

    undone = client.post(reverse("casework:import_undo", args=[client_import.pk]))
    assert undone.status_code == 302
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.UNDONE
    assert Client.objects.filter(agency=agency).count() == before
    assert AccessLog.objects.filter(action="undo_import", actor_id=admin.pk).count() == 1


def test_an_undo_blocked_by_an_edit_names_the_record(amal, client):
    _admin, agency = amal
    supervisor = User.objects.get(email="supervisor@amal.example")
    client.force_login(supervisor)
    answer = _upload(client, PATH.read_bytes(), PATH.name)
    client_import = ClientImport.objects.get(agency=agency)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse("casework:import_run", args=[client_import.pk]),
            {"mode": "valid_only", "version": client_import.version},
        )
    row = client_import.rows.filter(created_client=True).first()
    services.update_client(
        actor=supervisor, client_id=row.client_id, expected_version=1, changes={"city": "Torino"}
    )

    page = client.get(answer["Location"])
    assert "can no longer be undone" in page.text
    assert reverse("casework:client_detail", args=[row.client_id]) in page.text
    refused = client.post(reverse("casework:import_undo", args=[client_import.pk]))
    assert refused.status_code == 409
    assert Client.objects.filter(pk=row.client_id).exists()


def _xlsx(headers, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "People"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_saved_mapping_reads_the_next_file_of_the_same_shape(agency, supervisor, client):
    client.force_login(supervisor)
    headers = ["Who", "Land", "Kind"]
    first = _xlsx(headers, [["Amira Haddad", "Sirien", "Wohnen"]])
    answer = _upload(client, first, "march.xlsx")
    client_import = ClientImport.objects.get(file_name="march.xlsx")
    # No header is recognised: the import is kept, its one error the mapping's.
    assert client_import.counts["other_errors"] == 1 and client_import.counts["rows"] == 0
    assert client_import.other_errors[0]["code"] == "name_column_required"
    assert "Check or change the mapping" in client.get(answer["Location"]).text
    mapping_url = reverse("casework:import_mapping", args=[client_import.pk])
    form = client.get(mapping_url).context["form"]
    data = _form_data(form)
    fields = {column.header: key for _sheet, rows in form.columns for column, key in rows}
    data.update(
        {fields["Who"]: "name", fields["Land"]: "nationalities", fields["Kind"]: "case_type"}
    )
    data["save_as"] = "Monthly list"
    assert client.post(mapping_url, data).status_code == 302
    # The texts are known now only as the user says: map them.
    form = client.get(mapping_url).context["form"]
    data = _form_data(form)
    for _label, _field_name, rows, _more in form.values:
        for text, key in rows:
            data[key] = {"Sirien": "SY", "Wohnen": "housing"}[text.text]
    data["save_as"] = "Monthly list"
    assert client.post(mapping_url, data).status_code == 302
    client_import.refresh_from_db()
    assert client_import.counts["create"] == 1

    second = _xlsx(headers, [["Omar Haddad", "Sirien", "Wohnen"], ["Lina Saleh", "Sirien", ""]])
    answer = _upload(client, second, "april.xlsx")
    april = ClientImport.objects.get(file_name="april.xlsx")
    assert answer.status_code == 302
    assert april.saved_mapping.name == "Monthly list"
    assert april.counts["create"] == 2 and april.counts["error"] == 0
    assert "Monthly list" in client.get(answer["Location"]).text

    # A file of another shape is refused when that mapping is asked for.
    other = _xlsx(["Name"], [["Somebody"]])
    saved = ImportMapping.objects.get(name="Monthly list")
    refused = _upload(client, other, "other.xlsx", saved_mapping=str(saved.pk))
    assert refused.status_code == 400
    assert "does not have the sheets and columns" in refused.text
    assert not ClientImport.objects.filter(file_name="other.xlsx").exists()


def test_a_bad_file_is_refused_on_the_form_naming_the_field(supervisor, client):
    client.force_login(supervisor)
    answer = _upload(client, b"MZ\x90\x00 not a spreadsheet", "people.xlsx")
    assert answer.status_code == 400
    assert answer.context["form"].errors["file"]
    assert not ClientImport.objects.exists()


def test_the_pages_are_for_importers_only(agency, supervisor, caseworker, outsider_admin, client):
    client.force_login(supervisor)
    _upload(client, _xlsx(["Name"], [["Amira Haddad"]]), "one.xlsx")
    client_import = ClientImport.objects.get()
    detail = reverse("casework:import_detail", args=[client_import.pk])
    client.force_login(caseworker)
    assert client.get(reverse("casework:import_list")).status_code == 403
    assert client.get(detail).status_code == 404
    assert reverse("casework:import_list") not in client.get(reverse("accounts:home")).text
    client.force_login(outsider_admin)
    assert client.get(detail).status_code == 404
    run_url = reverse("casework:import_run", args=[client_import.pk])
    assert client.post(run_url, {"mode": "all", "version": 1}).status_code == 404
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.CHECKED


def test_the_mapping_page_takes_a_cases_sheet_and_shows_its_columns(supervisor, client):
    from tests.casework.test_imports import xlsx

    client.force_login(supervisor)
    data = xlsx(
        ("Clients", [["ID", "Name"], ["K1", "Amina Yusuf"], ["K2", "Dawit Haile"]]),
        ("Cases", [["Client ID", "Case type"], ["K1", "housing"], ["K2", "legal"]]),
    )
    _upload(client, data, "two-sheets.xlsx")
    client_import = ClientImport.objects.get()
    mapping_url = reverse("casework:import_mapping", args=[client_import.pk])
    data = _form_data(client.get(mapping_url).context["form"])
    data["case_sheet"] = "Cases"
    answer = client.post(mapping_url, data)
    # Back on the mapping page, the cases sheet's columns guessed, to check.
    assert answer.status_code == 302 and answer["Location"] == mapping_url
    page = client.get(mapping_url)
    [cases] = [sheet for sheet, _rows in page.context["form"].columns if sheet.role == "cases"]
    assert {column.header: column.field for column in cases.columns} == {
        "Client ID": "reference",
        "Case type": "case_type",
    }
    client_import.refresh_from_db()
    assert client_import.case_sheet == "Cases"
    assert client_import.counts["create"] == 2 and client_import.counts["other_errors"] == 0


def test_a_mapping_saved_by_someone_else_meanwhile_is_not_overwritten(
    supervisor, agency_admin, client
):
    client.force_login(supervisor)
    _upload(client, _xlsx(["Name", "Sexe"], [["Amira Haddad", "W"]]), "one.xlsx")
    client_import = ClientImport.objects.get()
    mapping_url = reverse("casework:import_mapping", args=[client_import.pk])
    form = client.get(mapping_url).context["form"]
    mine = _form_data(form)
    [(_label, _name, [(_text, key)], _more)] = form.values
    # The agency admin maps "W" first, from the same page.
    client.force_login(agency_admin)
    theirs = dict(mine, **{key: "female"})
    first = client.post(mapping_url, theirs)
    assert first.status_code == 302, first.context["form"].errors
    client.force_login(supervisor)
    stale = client.post(mapping_url, dict(mine, **{key: "male"}))
    assert stale.status_code == 412
    client_import.refresh_from_db()
    assert client_import.mapping["values"] == {"sex": {"W": "female"}}


def test_a_run_from_a_page_showing_an_older_report_is_refused(supervisor, agency_admin, client):
    client.force_login(supervisor)
    _upload(client, _xlsx(["Name", "Sexe"], [["Amira Haddad", "F"]]), "one.xlsx")
    client_import = ClientImport.objects.get()
    shown = client_import.version
    # The agency admin remaps meanwhile (the sex column left out).
    client.force_login(agency_admin)
    mapping_url = reverse("casework:import_mapping", args=[client_import.pk])
    form = client.get(mapping_url).context["form"]
    data = _form_data(form)
    [sex_key] = [key for _sheet, rows in form.columns for c, key in rows if c.header == "Sexe"]
    data[sex_key] = ""
    assert client.post(mapping_url, data).status_code == 302
    client.force_login(supervisor)
    refused = client.post(
        reverse("casework:import_run", args=[client_import.pk]),
        {"mode": "all", "version": shown},
    )
    assert refused.status_code == 412
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.CHECKED
    assert not Client.objects.filter(name="Amira Haddad").exists()


def test_codes_of_texts_the_page_does_not_show_are_kept(supervisor, client, monkeypatch):
    from casework.services.imports import change_mapping, preview

    monkeypatch.setattr(preview, "MAX_TEXTS", 1)
    client.force_login(supervisor)
    rows = [["Amira Haddad", "Wohnen"], ["Lina Saleh", "Arbeit"]]
    _upload(client, _xlsx(["Name", "Case type"], rows), "two.xlsx")
    client_import = ClientImport.objects.get()
    change_mapping(
        actor=supervisor,
        import_id=client_import.pk,
        expected_version=client_import.version,
        mapping={"values": {"case_type": {"Arbeit": "employment"}}},
    )
    mapping_url = reverse("casework:import_mapping", args=[client_import.pk])
    page = client.get(mapping_url)
    form = page.context["form"]
    [(_label, _name, [(text, key)], more)] = form.values
    # "Wohnen" is the one not known, shown first; "Arbeit" is past the limit.
    assert (text.text, more) == ("Wohnen", 1)
    data = _form_data(form)
    data[key] = "housing"
    assert client.post(mapping_url, data).status_code == 302
    client_import.refresh_from_db()
    assert client_import.mapping["values"] == {
        "case_type": {"Arbeit": "employment", "Wohnen": "housing"}
    }
    assert client_import.counts["create"] == 2


def test_a_new_sheet_whose_columns_are_not_recognised_can_be_mapped_next(supervisor, client):
    from tests.casework.test_imports import xlsx

    client.force_login(supervisor)
    data = xlsx(
        ("Clients", [["ID", "Name"], ["K1", "Amina Yusuf"]]),
        ("Dossiers", [["Qui", "Quoi"], ["K1", "housing"]]),
    )
    _upload(client, data, "two-sheets.xlsx")
    client_import = ClientImport.objects.get()
    mapping_url = reverse("casework:import_mapping", args=[client_import.pk])
    data = _form_data(client.get(mapping_url).context["form"])
    data["case_sheet"] = "Dossiers"
    assert client.post(mapping_url, data)["Location"] == mapping_url
    client_import.refresh_from_db()
    assert client_import.case_sheet == "Dossiers"
    assert client_import.other_errors[0]["code"] == "reference_column_required"
    form = client.get(mapping_url).context["form"]
    data = _form_data(form)
    keys = {(sheet.name, c.header): key for sheet, rows in form.columns for c, key in rows}
    data[keys[("Dossiers", "Qui")]] = "reference"
    data[keys[("Dossiers", "Quoi")]] = "case_type"
    assert client.post(mapping_url, data).status_code == 302
    client_import.refresh_from_db()
    assert client_import.counts["create"] == 1 and client_import.counts["other_errors"] == 0


def test_following_the_progress_writes_no_access_log_row(supervisor, client):
    client.force_login(supervisor)
    _upload(client, _xlsx(["Name"], [["Amira Haddad"]]), "one.xlsx")
    client_import = ClientImport.objects.get()
    detail = reverse("casework:import_detail", args=[client_import.pk])
    before = AccessLog.objects.count()
    polled = client.get(detail, headers={"HX-Request": "true", "X-Sanad-Poll": "1"})
    assert polled.status_code == 200 and 'id="import-state"' in polled.text
    assert "<table" not in polled.text
    assert AccessLog.objects.count() == before
    client.get(detail)
    assert AccessLog.objects.count() == before + 1
