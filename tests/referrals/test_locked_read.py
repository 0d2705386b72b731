"""A referral locked for a state change is read with its related rows as they
are after the lock. On PostgreSQL, a transaction that waited for the row lock
re-reads the locked row but not rows joined to it: the referral's consent,
given by a send that committed during the wait, came back as None beside a
consent id. Real connections and threads; PostgreSQL only (SQLite takes the
write lock when the transaction begins, so a waiting reader reads afterwards)."""

import threading
import time

import pytest
from django.db import connection, transaction

from accounts.permissions import Perm
from referrals import selectors, services
from referrals.models import Referral
from tests.factories import make_referral

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
]


def wait_until_someone_waits_for_a_lock(timeout: float = 10) -> None:
    """Until another connection is blocked on a row lock (seen from this one)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the activity view is a snapshot: take a new one.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("nobody waited for the lock")


def test_a_referral_locked_after_a_send_committed_has_the_consent_it_relies_on(
    caseworker, case, consent, partner_agency
):
    draft = make_referral(caseworker, case, partner_agency, send=False)
    sent = threading.Event()
    outcome: dict = {}

    def sender():
        try:
            with transaction.atomic():
                services.send_referral(actor=caseworker, referral_id=draft.pk)
                sent.set()
                # Hold the row lock until the reader waits for it, then commit.
                wait_until_someone_waits_for_a_lock()
        except Exception as error:  # the outcome is what the test compares
            outcome["sender"] = error
            sent.set()
        finally:
            connection.close()

    def reader():
        try:
            assert sent.wait(10)
            with transaction.atomic():
                referral = selectors.get_referral_for(
                    caseworker, draft.pk, Perm.SEND_REFERRAL, lock=True
                )
                outcome["reader"] = (referral.state, referral.consent_id, referral.consent)
        except Exception as error:
            outcome["reader"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=sender), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert "sender" not in outcome, outcome
    state, consent_id, related = outcome["reader"]
    assert state == Referral.State.SENT
    assert consent_id == consent.pk
    # The consent row itself, read after the lock: not the empty join of the draft.
    assert related is not None and related.pk == consent.pk
