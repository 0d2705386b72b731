"""Documents and report files in an S3-compatible store (``S3_BUCKET``),
against moto's in-process S3: what a caseworker uploads lands in the private
bucket under a server-made name, leaves only through the permission-checked
views (streamed, never a link to the bucket); a report job's file too;
/readyz lists the bucket."""

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto import mock_aws

from casework import services
from casework.models import Document

pytestmark = pytest.mark.django_db

BUCKET = "sanad-private"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def bucket(settings, monkeypatch):
    """The settings S3_BUCKET makes, on a moto bucket."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-south-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-south-1")
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-south-1"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "region_name": "eu-south-1",
                    "default_acl": None,
                    "file_overwrite": False,
                    "querystring_auth": True,
                },
            },
        }
        yield s3


def keys(s3) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_a_document_is_stored_in_the_bucket_and_leaves_through_the_view(
    bucket, client_as, caseworker, case, outsider
):
    document = services.upload_document(
        actor=caseworker,
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile("Maryam passport.pdf", PDF),
        category="legal",
    )
    [key] = keys(bucket)
    assert key == document.file.name
    assert "Maryam" not in key  # a server-made name
    assert bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read() == PDF
    # Private: the owner's grant alone, no grant to everyone.
    grants = bucket.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert all("URI" not in grant["Grantee"] for grant in grants), grants

    address = reverse("casework:document_download", args=[case.pk, document.pk])
    response = client_as(caseworker).get(address)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"
    assert "amazonaws" not in response.get("Location", "")
    assert client_as(outsider).get(address).status_code == 404
    assert Document.objects.get(pk=document.pk).file.name == key


def test_a_report_file_is_stored_in_the_bucket(
    bucket, client_as, caseworker, case, django_capture_on_commit_callbacks
):
    from reports.models import ReportJob
    from reports.services.jobs import request_report

    with django_capture_on_commit_callbacks(execute=True):
        job = request_report(
            actor=caseworker,
            kind="case_file",
            format="pdf",
            parameters={"case": str(case.pk)},
            language="en",
        )
    job.refresh_from_db()
    assert job.state == ReportJob.State.DONE, (job.error_code, job.error)
    assert keys(bucket) == [job.file.name]
    response = client_as(caseworker).get(reverse("reports:job_download", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_readiness_lists_the_bucket(bucket, client):
    assert client.get("/readyz").json()["checks"]["storage"] == "ok"
    bucket.delete_bucket(Bucket=BUCKET)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "unavailable"
