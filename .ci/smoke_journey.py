"""The journey of .ci/smoke: Sanad as production runs it, several processes
sharing PostgreSQL, Redis and an S3 store.

- a referral is sent through one gunicorn (port A) and accepted through the
  other (port B): the second process reads what the first wrote;
- a case file is asked for through port A, built by the Celery worker (not
  in the request), stored in the bucket, and downloaded through port B;
- a document is uploaded through port B, lands in the bucket under a
  server-made name, and is downloaded through port A byte for byte;
- /readyz of each process says every check is ok.

Environment: SMOKE_A and SMOKE_B (base URLs), SANAD_PASSWORD (the demo
users'), S3_BUCKET, S3_ENDPOINT_URL and the AWS variables (to look in the
bucket). Exits 1 with the failed step's message.
"""

import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import requests

A = os.environ["SMOKE_A"]
B = os.environ["SMOKE_B"]
PASSWORD = os.environ["SANAD_PASSWORD"]
SENDER = "caseworker@amal.example"
RECEIVER = "referral_officer@casa.example"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
# The worker builds a case file in a second or two; a stuck queue fails the step.
JOB_WAIT_SECONDS = 60


class SmokeFailed(Exception):
    pass


def check(condition, message: str) -> None:
    if not condition:
        raise SmokeFailed(message)


def step(text: str) -> None:
    print(f"-- {text}", flush=True)


class Api:
    """One user's token against one process."""

    def __init__(self, base: str, email: str):
        self.base = base
        answer = requests.post(
            f"{base}/api/v1/auth/token/",
            json={"email": email, "password": PASSWORD, "name": "smoke"},
            timeout=30,
        )
        check(answer.status_code == 201, f"token for {email}: {answer.status_code} {answer.text}")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def on(self, base: str) -> "Api":
        """The same token, against another process."""
        other = object.__new__(Api)
        other.base, other.session = base, self.session
        return other

    def call(self, method: str, path: str, expected: int, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if method in ("POST", "PUT", "PATCH"):
            headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        answer = self.session.request(
            method, f"{self.base}/api/v1/{path}", headers=headers, timeout=60, **kwargs
        )
        check(
            answer.status_code == expected,
            f"{method} {path} on {self.base}: {answer.status_code}, not {expected}: "
            f"{answer.text[:500]}",
        )
        return answer


def bucket_keys() -> set[str]:
    s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"])
    listed = s3.list_objects_v2(Bucket=os.environ["S3_BUCKET"])
    return {item["Key"] for item in listed.get("Contents", [])}


def main() -> int:
    for base in (A, B):
        step(f"{base}/readyz")
        ready = requests.get(f"{base}/readyz", timeout=10)
        check(ready.status_code == 200, f"{base}/readyz: {ready.status_code} {ready.text}")
        checks = ready.json()["checks"]
        check(set(checks.values()) == {"ok"}, f"{base}/readyz: {checks}")

    sender = Api(A, SENDER)
    step(f"on A: a client, a case, a consent naming Casa, a referral sent ({SENDER})")
    client = sender.call(
        "POST",
        "clients/",
        201,
        json={
            "name": "Smoke Client " + uuid.uuid4().hex[:8],
            "name_latin": "Smoke Client",
            "date_of_birth": "1990-02-03",
            "sex": "female",
            "confirmed_not_duplicate": True,
        },
    ).json()
    case = sender.call(
        "POST",
        "cases/",
        201,
        json={"client": client["id"], "case_type": "asylum_legal", "summary": "Appeal"},
    ).json()
    agencies = sender.call("GET", "agencies/?page_size=100", 200).json()["results"]
    casa = next(agency for agency in agencies if agency["slug"] == "casa")
    services = sender.call("GET", "services/?agency=casa&page_size=100", 200).json()["results"]
    service = next(s for s in services if s["accepts_referrals"] and s["status"] == "active")
    sender.call(
        "POST",
        f"clients/{client['id']}/consents/",
        201,
        json={
            "purpose": "referral",
            "lawful_basis": "consent",
            "data_categories": ["identity", "contact"],
            "recipient_agencies": [casa["id"]],
            "given_by": "client",
            "method": "verbal",
            "notice_version": "2026-01",
            "explanation_language": "en",
            "expires_at": (datetime.now(UTC) + timedelta(days=180)).isoformat(),
        },
    )
    referral = sender.call(
        "POST",
        "referrals/",
        201,
        json={
            "case": case["id"],
            "service": service["id"],
            "purpose": "Legal advice",
            "respond_by": (datetime.now(UTC) + timedelta(days=14)).date().isoformat(),
            "urgency": "routine",
            "data_categories": ["identity", "contact"],
        },
    ).json()
    check(referral["state"] == "sent", f"the referral is {referral['state']}")
    print(f"   {referral['reference']} sent through {A}")

    receiver = Api(B, RECEIVER)
    step(f"on B: the partner accepts it ({RECEIVER})")
    accepted = receiver.call("POST", f"referrals/{referral['id']}/accept/", 200).json()
    check(accepted["state"] == "accepted", f"accepted: {accepted['state']}")
    seen = sender.call("GET", f"referrals/{referral['id']}/", 200).json()
    check(seen["state"] == "accepted", f"A sees the acceptance: {seen['state']}")
    print(f"   accepted through {B}; {A} reads it accepted")

    step("on A: a case file asked for; the worker builds it into the bucket")
    before = bucket_keys()
    job = sender.call(
        "POST",
        "reports/jobs/",
        202,
        json={"kind": "case_file", "format": "pdf", "parameters": {"case": case["id"]}},
    ).json()
    check(job["state"] == "queued", f"the request only queues the job: {job['state']}")
    deadline = time.monotonic() + JOB_WAIT_SECONDS
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = sender.on(B).call("GET", f"reports/jobs/{job['id']}/", 200).json()
    check(job["state"] == "done", f"the worker finished the job: {job['state']}")
    new_keys = bucket_keys() - before
    check(len(new_keys) == 1, f"one file in the bucket for the job: {sorted(new_keys)}")
    download = sender.on(B).call("GET", f"reports/jobs/{job['id']}/download/", 200)
    check(download.content.startswith(b"%PDF"), "the case file is a PDF")
    print(f"   built by the worker, stored as {sorted(new_keys)[0]}, downloaded through {B}")

    step("on B: a document uploaded into the bucket; on A: downloaded")
    before = bucket_keys()
    document = (
        sender.on(B)
        .call(
            "POST",
            f"cases/{case['id']}/documents/",
            201,
            files={"file": ("Smoke passport.pdf", PDF, "application/pdf")},
            data={"category": "legal"},
        )
        .json()
    )
    new_keys = bucket_keys() - before
    check(len(new_keys) == 1, f"one file in the bucket for the document: {sorted(new_keys)}")
    check("Smoke" not in next(iter(new_keys)), "the stored name is the server's")
    body = sender.call("GET", f"cases/{case['id']}/documents/{document['id']}/download/", 200)
    check(body.content == PDF, "the same bytes come back")
    print(f"   {len(PDF)} bytes through {B}, the same {len(body.content)} back through {A}")
    print("smoke journey passed", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (SmokeFailed, StopIteration, KeyError, requests.RequestException) as failure:
        print(f"SMOKE FAILED: {failure!r}", flush=True)
        sys.exit(1)
