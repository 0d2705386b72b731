"""One code, two requests at the same moment: a backup code is spent once, and
an authenticator-app code is accepted once (TOTP remembers the last step
used). Real connections and threads, on SQLite (BEGIN IMMEDIATE) and
PostgreSQL (SELECT … FOR UPDATE)."""

import pytest
from django.db import connection
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services.second_factor import verify_code
from tests.helpers import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _required(settings):
    settings.SECOND_FACTOR_REQUIRED = True


def _verify(user, code):
    def job():
        try:
            return verify_code(user, code)
        finally:
            connection.close()

    return job


def test_a_backup_code_spent_twice_at_once_is_accepted_once(supervisor):
    device = StaticDevice.objects.create(user=supervisor, name="backup", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")
    results = run_together(_verify(supervisor, "abcd2345"), _verify(supervisor, "abcd2345"))
    accepted = [result for result in results if isinstance(result, StaticDevice)]
    assert len(accepted) == 1, results
    assert results.count(None) == 1, results
    assert not StaticToken.objects.filter(device=device).exists()


def test_an_app_code_used_twice_at_once_is_accepted_once(supervisor):
    device = TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    results = run_together(_verify(supervisor, code), _verify(supervisor, code))
    accepted = [result for result in results if isinstance(result, TOTPDevice)]
    assert len(accepted) == 1, results
    assert results.count(None) == 1, results
