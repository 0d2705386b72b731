import pytest
from django.core.management import CommandError, call_command

from accounts.models import Agency, Membership, User
from accounts.permissions import Role

pytestmark = pytest.mark.django_db


def counts():
    return (
        Agency.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Membership.history.count(),
    )


def test_seed_demo_is_idempotent_and_has_every_role(client):
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    first = counts()
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    assert counts() == first

    assert set(Agency.objects.values_list("slug", flat=True)) >= {"amal", "casa", "city"}
    assert Agency.objects.get(slug="city").is_public_authority
    for slug in ("amal", "casa", "city"):
        for role in Role:
            user = User.objects.get(email=f"{role}@{slug}.example")
            assert Membership.objects.filter(
                user=user, agency__slug=slug, role=role, is_active=True
            ).exists()

    response = client.post(
        "/accounts/login/", {"username": "supervisor@amal.example", "password": "demo pass phrase"}
    )
    assert response.status_code == 302


def test_seed_demo_records_one_emergency_access_agreement(client):
    from accounts.models import EmergencyAccessAgreement

    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    agreement = EmergencyAccessAgreement.objects.get()
    assert (agreement.agency.slug, agreement.partner.slug, agreement.is_active) == (
        "amal",
        "city",
        True,
    )
    assert agreement.recorded_by.email == "agency_admin@amal.example"


def test_seed_demo_needs_a_password_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--password"):
        call_command("seed_demo", "--quiet")


def test_create_agency_command_registers_agency_and_invites_its_admin(
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    from tests.factories import platform_operator

    operator = platform_operator()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_agency",
            "--operator",
            operator.email,
            "--slug",
            "dar",
            "--name",
            "Dar Assistance",
            "--kind",
            "ngo",
            "--country",
            "FR",
            "--admin-email",
            "Admin@Dar.example",
            "--admin-name",
            "Nadia",
        )
    agency = Agency.objects.get(slug="dar")
    admin = User.objects.get(email="admin@dar.example")
    assert Membership.objects.filter(user=admin, agency=agency, role=Role.AGENCY_ADMIN).exists()
    assert mail.outbox[0].to == ["admin@dar.example"]


def test_create_agency_command_names_the_bad_field():
    from tests.factories import platform_operator

    operator = platform_operator()
    with pytest.raises(CommandError, match="slug"):
        call_command(
            "create_agency",
            "--operator",
            operator.email,
            "--slug",
            "not a slug!",
            "--name",
            "X",
            "--kind",
            "ngo",
            "--country",
            "FR",
            "--admin-email",
            "a@x.example",
            "--admin-name",
            "A",
        )
    assert not Agency.objects.filter(name="X").exists()
