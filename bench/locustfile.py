"""The load of ``bench.throughput``: caseworkers of eight agencies at work.

Run by ``bench.throughput`` (which starts the servers and writes the plan);
not on its own. Each simulated user signs in with the bearer token of one
bench caseworker and, without pause, lists cases (50 %), opens a case (25 %),
searches for a client (15 %) or writes a note on one of their own cases
(10 %). Every answer is checked as it comes: the status, the JSON, and
every case id it names and every client id a search answers is kept, by
user, so that
``bench.throughput`` checks each of them against the database's own rows
(the agencies' cases and clients, written in SQL, not through Sanad's
selectors) once the run is over. The check is after the run so that
it does not eat into the two cores the servers are measured on.

Reads ``SANAD_THROUGHPUT_PLAN`` (the plan's JSON) and writes the ids seen to
``SANAD_THROUGHPUT_SEEN`` when the run stops.
"""

import itertools
import json
import os
import random
from urllib.parse import quote

from locust import FastHttpUser, events, task

with open(os.environ["SANAD_THROUGHPUT_PLAN"], encoding="utf-8") as plan_file:
    PLAN = json.load(plan_file)

# The mix: weights of the list, a case, a search and a note (--mix of bench.throughput).
LIST, DETAIL, SEARCH, NOTE = (
    int(weight) for weight in os.environ["SANAD_THROUGHPUT_MIX"].split(",")
)

# user index → {"cases": set, "clients": set}
SEEN: dict[int, dict[str, set]] = {}
NEXT_USER = itertools.count()


@events.test_stop.add_listener
def _write_seen(environment, **kwargs):
    seen = {
        str(index): {kind: sorted(ids) for kind, ids in kinds.items()}
        for index, kinds in SEEN.items()
    }
    with open(os.environ["SANAD_THROUGHPUT_SEEN"], "w", encoding="utf-8") as seen_file:
        json.dump(seen, seen_file)


class Caseworker(FastHttpUser):
    """One bench caseworker, chosen in turn from the plan's users."""

    def on_start(self):
        self.index = next(NEXT_USER) % len(PLAN["users"])
        self.me = PLAN["users"][self.index]
        self.headers = {
            "Authorization": f"Bearer {self.me['token']}",
            "Accept": "application/json",
        }
        self.seen = SEEN.setdefault(self.index, {"cases": set(), "clients": set()})
        self.random = random.Random(self.index)

    def _get(self, path, name, expect=200):
        with self.client.get(
            path, headers=self.headers, name=name, catch_response=True
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return None
            try:
                body = response.json()
            except ValueError:
                response.failure("not JSON")
                return None
            response.success()
            return body

    @task(LIST)
    def case_list(self):
        body = self._get("/api/v1/cases/?page_size=50", "GET /api/v1/cases/")
        if body is not None:
            for case in body["results"]:
                self.seen["cases"].add(case["id"])

    @task(DETAIL)
    def case_detail(self):
        case_id = self.random.choice(self.me["cases"])
        body = self._get(f"/api/v1/cases/{case_id}/", "GET /api/v1/cases/{id}/")
        if body is not None:
            self.seen["cases"].add(body["id"])

    @task(SEARCH)
    def search(self):
        term = self.random.choice(self.me["terms"])
        # The term goes in the query string, as the API takes it; the name
        # the statistics group it by never carries it.
        body = self._get(f"/api/v1/search/?q={quote(term)}", "GET /api/v1/search/?q=")
        if body is not None:
            for client in body["clients"]:
                self.seen["clients"].add(client["id"])
            for case in body["cases"]:
                self.seen["cases"].add(case["id"])

    @task(NOTE)
    def write_note(self):
        case_id = self.random.choice(self.me["own_cases"])
        with self.client.post(
            f"/api/v1/cases/{case_id}/notes/",
            json={"body": "Called the client about the appointment; confirmed for Tuesday."},
            headers=self.headers,
            name="POST /api/v1/cases/{id}/notes/",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
            else:
                response.success()
