"""Reading what the app answered, shared by the test modules: problem documents,
the fields a 400 names, result ids, API addresses and the text of a page.
Personas and fixtures live in ``conftest.py``, records in ``factories.py``."""

import re
import threading

from django.db import connection


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is an RFC 9457 problem with ``status`` (and ``code`` when given)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code
    return body


def error_fields(response) -> set:
    """The fields a 400 problem names (fails unless the response is one)."""
    return {error["field"] for error in assert_problem(response, 400)["errors"]}


def ids(response) -> list[str]:
    """The ids of a page of results, in the order given."""
    return [row["id"] for row in response.json()["results"]]


def client_url(client, suffix: str = "") -> str:
    return f"/api/v1/clients/{client.pk}/{suffix}"


def case_url(case, suffix: str = "") -> str:
    return f"/api/v1/cases/{case.pk}/{suffix}"


def page(response) -> str:
    return response.content.decode()


def field_errors(content: str, auto_id: str) -> str:
    """The error list shown next to one field ("" when there is none)."""
    match = re.search(
        rf'<ul class="errorlist" id="{re.escape(auto_id)}_errors?">(.*?)</ul>', content, re.S
    )
    return match.group(1) if match else ""


def run_together(*jobs):
    """Runs the jobs in threads released at the same moment; returns what each
    returned or raised, in order."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def runner(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as error:  # the outcome is what the test compares
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
