"""The service directory as the running app serves it, against HSDS 3.0.

Run by .ci/client against the live demo on 127.0.0.1: downloads the HSDS
export of the API (every service, then each agency, each category and each
status filter), validates each file against HSDS 3.0's own
``service.json`` and the ``Page`` envelope of its ``openapi.json`` (copies in
referrals/standards/hsds-3.0) with the format checker on, and prints the error
count per file. Then it sends HSDS documents that are not services (an
organization, a taxonomy) to the import and checks that they are refused with
nothing written. Exit 1 on any error. (The web page's download is the same
file, checked by tests/referrals/test_hsds_schema.py: a page under DEBUG off
needs collected static files, which this run does not make.)

Environment: SANAD_URL, SANAD_PASSWORD.
"""

import json
import os
import sys
from pathlib import Path

import httpx
from jsonschema import Draft202012Validator

BASE_URL = os.environ["SANAD_URL"]
PASSWORD = os.environ["SANAD_PASSWORD"]
SCHEMAS = Path(__file__).resolve().parents[1] / "referrals" / "standards" / "hsds-3.0"
ADMIN = "agency_admin@amal.example"


def validator(name: str, component: str | None = None) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    if component:
        schema = schema["components"]["schemas"][component]
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


PAGE = validator("openapi.json", "Page")
SERVICE = validator("service.json")


def errors_of(page: dict) -> list[str]:
    found = [
        f"page/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in PAGE.iter_errors(page)
    ]
    for index, service in enumerate(page.get("contents", [])):
        found += [
            f"contents/{index}/{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in SERVICE.iter_errors(service)
        ]
    return found


def main() -> int:
    api = httpx.Client(base_url=BASE_URL, timeout=60)
    issued = api.post("/api/v1/auth/token/", json={"email": ADMIN, "password": PASSWORD})
    issued.raise_for_status()
    api.headers["Authorization"] = f"Bearer {issued.json()['token']}"
    schema = api.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    components = schema.json()["components"]["schemas"]

    exports = [("API, every service", {})]
    agencies = api.get("/api/v1/agencies/", params={"page_size": 100}).json()["results"]
    exports += [(f"API, agency={a['slug']}", {"agency": a["slug"]}) for a in agencies]
    exports += [
        (f"API, category={c}", {"category": c}) for c in components["ServiceCategory"]["enum"]
    ]
    exports += [(f"API, status={s}", {"status": s}) for s in components["ServiceStatus"]["enum"]]

    status, total = 0, 0
    for label, params in exports:
        answer = api.get("/api/v1/services/export.hsds.json", params=params)
        answer.raise_for_status()
        page = answer.json()
        errors = errors_of(page)
        total += len(page["contents"])
        print(f"   {label:40} {len(page['contents']):3} services, {len(errors)} errors")
        for error in errors[:10]:
            print(f"      {error}")
        status |= bool(errors)

    # Documents that are not services: refused, nothing written.
    before = api.get("/api/v1/services/", params={"agency": "amal", "page_size": 100}).json()
    organization = {
        "id": "4f5e6d7c-0000-4000-8000-000000000001",
        "name": "Amal Partners",
        "description": "An organisation",
        "services": [],
    }
    taxonomy = {
        "id": "4f5e6d7c-0000-4000-8000-000000000002",
        "name": "Legal",
        "description": "A taxonomy",
    }
    for label, document in (("organization", organization), ("taxonomy", taxonomy)):
        answer = api.post("/api/v1/services/import/", json={"agency": "amal", "services": document})
        problem = answer.json()
        print(
            f"   import of an HSDS {label}: {answer.status_code} {problem.get('code')}: "
            f"{problem.get('detail')}"
        )
        for error in problem.get("errors", [])[:3]:
            print(f"      {error['field']}: {error['code']}: {error['detail']}")
        status |= answer.status_code != 400
    after = api.get("/api/v1/services/", params={"agency": "amal", "page_size": 100}).json()
    unchanged = [s["id"] for s in before["results"]] == [s["id"] for s in after["results"]]
    print(f"   the directory after the refusals: {'unchanged' if unchanged else 'CHANGED'}")
    status |= not unchanged
    print("HSDS check passed" if not status else "HSDS CHECK FAILED", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
