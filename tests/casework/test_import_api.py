"""The spreadsheet import through the API: upload and dry run, rows,
decisions, run, report, undo — and every error names its field."""

import csv
import io
import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from casework.models import Client, ClientImport
from tests.casework.test_imports import CYRILLIC, GOOD, clients_file
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def xlsx_upload(data: bytes, name: str = "clients.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_an_import_from_upload_to_undo(as_user, supervisor, caseworker, agency):
    existing = make_client(caseworker, agency, name="سلمى الحسن", date_of_birth=date(1990, 5, 1))
    api = as_user(supervisor)
    bad = ["C-4", "Ahmad Karimi", "", "31/02/1990", "M", "AF", "Housing"]
    response = api.post(
        "/api/v1/imports/",
        {"file": xlsx_upload(clients_file(GOOD, CYRILLIC, bad))},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"].endswith(f"/api/v1/imports/{body['id']}/")
    assert body["state"] == "checked"
    assert body["counts"]["duplicate"] == 1 and body["counts"]["error"] == 1
    assert body["sheets"][0]["name"] == "Clients"

    rows = api.get(f"/api/v1/imports/{body['id']}/rows/").json()["results"]
    duplicate = next(row for row in rows if row["outcome"] == "duplicate")
    assert [c["id"] for c in duplicate["candidates"]] == [str(existing.pk)]
    error = next(row for row in rows if row["outcome"] == "error")
    assert (error["errors"][0]["column"], error["errors"][0]["code"]) == (
        "Date of birth",
        "invalid_date",
    )

    refused = api.post(f"/api/v1/imports/{body['id']}/run/", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "rows_have_errors"
    assert refused.json()["reasons"] == [{"row": 4, "code": "error"}]

    decided = api.post(
        f"/api/v1/imports/{body['id']}/decisions/",
        {"row": duplicate["row"], "decision": "link", "client": str(existing.pk)},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["decision"] == "link"

    with TestCase.captureOnCommitCallbacks(execute=True):
        started = api.post(
            f"/api/v1/imports/{body['id']}/run/", {"mode": "valid_only"}, format="json"
        )
    assert started.status_code == 202
    done = api.get(f"/api/v1/imports/{body['id']}/").json()
    assert done["state"] == "imported" and done["progress"] == 100
    assert done["counts"]["created"] == 1 and done["counts"]["updated"] == 1
    assert done["undo_blockers"] == []
    assert Client.objects.filter(name="Олена Коваль").exists()

    report = api.get(f"/api/v1/imports/{body['id']}/report.csv")
    assert report.status_code == 200
    lines = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert {(line["row"], line["result"], line["code"]) for line in lines} == {
        ("2", "updated", ""),
        ("3", "created", ""),
        ("4", "skipped", "invalid_date"),
    }

    undone = api.post(f"/api/v1/imports/{body['id']}/undo/")
    assert undone.status_code == 200 and undone.json()["state"] == "undone"
    assert not Client.objects.filter(name="Олена Коваль").exists()
    assert existing.cases.count() == 0


def test_bad_input_names_the_field(as_user, supervisor):
    api = as_user(supervisor)
    not_a_sheet = api.post(
        "/api/v1/imports/",
        {"file": xlsx_upload(b"%PDF-1.7\n", "clients.xlsx")},
        format="multipart",
    )
    assert not_a_sheet.status_code == 400
    assert not_a_sheet.json()["errors"][0]["field"] == "file"
    bad_json = api.post(
        "/api/v1/imports/",
        {"file": xlsx_upload(clients_file(GOOD)), "mapping": "{not json"},
        format="multipart",
    )
    assert (bad_json.status_code, bad_json.json()["errors"][0]["field"]) == (400, "mapping")
    unknown_column = api.post(
        "/api/v1/imports/",
        {
            "file": xlsx_upload(clients_file(GOOD)),
            "mapping": json.dumps({"columns": {"Clients": {"Nope": "name"}}}),
        },
        format="multipart",
    )
    assert unknown_column.status_code == 400
    assert unknown_column.json()["errors"][0]["code"] == "unknown_column"
    assert not ClientImport.objects.exists()


def test_the_mapping_changes_with_if_match(as_user, supervisor):
    api = as_user(supervisor)
    created = api.post(
        "/api/v1/imports/", {"file": xlsx_upload(clients_file(GOOD))}, format="multipart"
    ).json()
    url = f"/api/v1/imports/{created['id']}/"
    assert api.patch(url, {"mode": "valid_only"}, format="json").status_code == 428
    etag = api.get(url)["ETag"]
    changed = api.patch(url, {"mode": "valid_only"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["mode"] == "valid_only"
    stale = api.patch(url, {"mode": "all"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412


def test_only_the_agencys_importers(as_user, supervisor, caseworker, outsider, agency_admin):
    created = (
        as_user(supervisor)
        .post("/api/v1/imports/", {"file": xlsx_upload(clients_file(GOOD))}, format="multipart")
        .json()
    )
    url = f"/api/v1/imports/{created['id']}/"
    assert as_user(caseworker).get(url).status_code == 404
    assert as_user(outsider).get(url).status_code == 404
    assert as_user(agency_admin).get(url).status_code == 200
    refused = as_user(caseworker).post(
        "/api/v1/imports/", {"file": xlsx_upload(clients_file(GOOD))}, format="multipart"
    )
    assert refused.status_code == 403


def test_patching_only_the_mode_keeps_the_decisions(as_user, supervisor, caseworker, agency):
    existing = make_client(caseworker, agency, name="Salma Al-Hassan")
    api = as_user(supervisor)
    created = api.post(
        "/api/v1/imports/",
        {"file": xlsx_upload(clients_file(["C-1", "Salma Al-Hassan", "", "", "F", "SY", ""]))},
        format="multipart",
    ).json()
    url = f"/api/v1/imports/{created['id']}/"
    decided = api.post(
        f"{url}decisions/",
        {"row": 2, "decision": "link", "client": str(existing.pk)},
        format="json",
    )
    assert decided.status_code == 200
    etag = api.get(url)["ETag"]
    changed = api.patch(url, {"mode": "valid_only"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200, changed.content
    assert changed.json()["mode"] == "valid_only"
    assert changed["ETag"] != etag
    rows = api.get(f"{url}rows/").json()["results"]
    assert [(row["row"], row["decision"], row["linked_client"]) for row in rows] == [
        (2, "link", str(existing.pk))
    ]


def test_an_undo_blocked_by_a_share_names_the_record(as_user, supervisor, outsider, agency):
    from guardian.shortcuts import assign_perm

    api = as_user(supervisor)
    created = api.post(
        "/api/v1/imports/", {"file": xlsx_upload(clients_file(GOOD))}, format="multipart"
    ).json()
    with TestCase.captureOnCommitCallbacks(execute=True):
        started = api.post(f"/api/v1/imports/{created['id']}/run/", {}, format="json")
    assert started.status_code == 202
    client = Client.objects.get(name=GOOD[1])
    assign_perm("view_client", outsider, client)
    url = f"/api/v1/imports/{created['id']}/"
    expected = {"row": 2, "record": "client", "id": str(client.pk), "label": "", "code": "shared"}
    assert api.get(url).json()["undo_blockers"] == [expected]
    refused = api.post(f"{url}undo/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "undo_blocked"
    assert refused.json()["reasons"] == [expected]
    assert Client.objects.filter(pk=client.pk).exists()


def test_a_mapping_saved_through_the_api_reads_the_next_file(as_user, supervisor, caseworker):
    api = as_user(supervisor)
    headers = ["Who", "Kind"]
    mapping = {"columns": {"Clients": {"Who": "name", "Kind": "case_type"}}}
    first = api.post(
        "/api/v1/imports/",
        {
            "file": xlsx_upload(clients_file(["Amira Haddad", "housing"], headers=headers)),
            "mapping": json.dumps(mapping),
        },
        format="multipart",
    ).json()
    saved = api.post(
        f"/api/v1/imports/{first['id']}/save-mapping/", {"name": "Monthly"}, format="json"
    )
    assert saved.status_code == 200 and saved.json()["shape"] == {"Clients": headers}
    listed = api.get("/api/v1/import-mappings/").json()["results"]
    assert [each["name"] for each in listed] == ["Monthly"]
    # Someone who may not import sees none, and cannot save one.
    assert as_user(caseworker).get("/api/v1/import-mappings/").json()["results"] == []
    refused = as_user(caseworker).post(
        f"/api/v1/imports/{first['id']}/save-mapping/", {"name": "Mine"}, format="json"
    )
    assert refused.status_code == 404

    api = as_user(supervisor)
    second = api.post(
        "/api/v1/imports/",
        {"file": xlsx_upload(clients_file(["Omar Haddad", "legal"], headers=headers))},
        format="multipart",
    )
    assert second.status_code == 201
    assert second.json()["saved_mapping"] == saved.json()["id"]
    assert second.json()["counts"]["create"] == 1

    other = api.post(
        "/api/v1/imports/",
        {
            "file": xlsx_upload(clients_file(["Lina"], headers=["Name"])),
            "saved_mapping": saved.json()["id"],
        },
        format="multipart",
    )
    assert other.status_code == 400
    assert other.json()["errors"][0]["field"] == "saved_mapping"
    assert other.json()["errors"][0]["code"] == "mapping_does_not_fit"
