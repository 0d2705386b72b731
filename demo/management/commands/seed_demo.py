"""Idempotent demo data: agencies, a member for every role, printed logins,
then each app's own demo data (clients, cases, consents, services, referrals).
Running it twice changes nothing the second time.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts import services
from accounts.models import Agency, EmergencyAccessAgreement, Membership, User
from accounts.permissions import Role
from casework.demo import seed_casework, seed_consents
from referrals.demo import seed_plans, seed_referrals, seed_services

DEFAULT_DEMO_PASSWORD = "sanad-demo-2026"  # noqa: S105 - demo data only, refused without DEBUG

OPERATOR_EMAIL = "operator@sanad.example"

AGENCIES = [
    {
        "slug": "amal",
        "name": "Amal Refugee Support",
        "kind": Agency.Kind.NGO,
        "country": "IT",
        "city": "Torino",
        "languages": ["ar", "en", "fa", "ti"],
        "contact_email": "info@amal.example",
        "is_public_authority": False,
        "time_zone": "Europe/Rome",
    },
    {
        "slug": "casa",
        "name": "Casa Comune",
        "kind": Agency.Kind.NGO,
        "country": "IT",
        "city": "Torino",
        "languages": ["it", "en", "fr", "uk"],
        "contact_email": "info@casa.example",
        "is_public_authority": False,
        "time_zone": "Europe/Rome",
    },
    {
        "slug": "city",
        "name": "City Social Services Office",
        "kind": Agency.Kind.PUBLIC_OFFICE,
        "country": "IT",
        "city": "Torino",
        "languages": ["it", "en"],
        "contact_email": "social.services@city.example",
        "is_public_authority": True,
        "time_zone": "Europe/Rome",
    },
]

PEOPLE = {
    ("amal", Role.CASEWORKER): ("Layla Haddad", "ar"),
    ("amal", Role.SUPERVISOR): ("Omar Khalil", "en"),
    ("amal", Role.REFERRAL_OFFICER): ("Samira Nasser", "ar"),
    ("amal", Role.DPO): ("Hana Yousef", "en"),
    ("amal", Role.AGENCY_ADMIN): ("Karim Saleh", "en"),
    ("casa", Role.CASEWORKER): ("Giulia Rossi", "fr"),
    ("casa", Role.SUPERVISOR): ("Marco Bianchi", "en"),
    ("casa", Role.REFERRAL_OFFICER): ("Chiara Greco", "fr"),
    ("casa", Role.DPO): ("Luca Romano", "en"),
    ("casa", Role.AGENCY_ADMIN): ("Elena Conti", "en"),
    ("city", Role.CASEWORKER): ("Paolo Ferri", "en"),
    ("city", Role.SUPERVISOR): ("Anna Marino", "en"),
    ("city", Role.REFERRAL_OFFICER): ("Sara Colombo", "fr"),
    ("city", Role.DPO): ("Davide Ricci", "en"),
    ("city", Role.AGENCY_ADMIN): ("Francesca Gallo", "en"),
}


def demo_email(role: str, slug: str) -> str:
    return f"{role}@{slug}.example"


class Command(BaseCommand):
    help = "Load idempotent demo data (agencies, users of every role) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Password for every demo user.")
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args, **options):
        password = options.get("password")
        if not password:
            if not settings.DEBUG:
                raise CommandError("Without DEBUG, give the demo users a password: --password P")
            password = DEFAULT_DEMO_PASSWORD
        # The demo's notification e-mails (sent when the seeding commits) would
        # flood the console of `make run`.
        quiet_mail = override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
        with quiet_mail, transaction.atomic():
            operator = self._operator(password)
            agencies = {spec["slug"]: self._agency(operator, spec) for spec in AGENCIES}
            logins = []
            # Administrators first: they add everybody else, as in real life.
            people = sorted(PEOPLE.items(), key=lambda item: item[0][1] != Role.AGENCY_ADMIN)
            for (slug, role), (name, language) in people:
                email = demo_email(role, slug)
                self._member(operator, agencies[slug], email, name, role, language, password)
                logins.append((email, agencies[slug].name, Role(role).label))
            self._time_zones(agencies)
            self._emergency_access(agencies)
            self.extend(operator=operator, agencies=agencies, password=password)
        if not options.get("quiet"):
            self._print_logins(logins, password)

    def _time_zones(self, agencies) -> None:
        """An agency seeded before agencies had a time zone is moved to its
        demo zone by its administrator, as a real one would."""
        for spec in AGENCIES:
            agency = agencies[spec["slug"]]
            if agency.time_zone == spec["time_zone"]:
                continue
            agencies[spec["slug"]] = services.set_agency_time_zone(
                actor=User.objects.get(email=demo_email(Role.AGENCY_ADMIN, agency.slug)),
                agency=agency,
                time_zone=spec["time_zone"],
            )

    def _emergency_access(self, agencies) -> None:
        """Amal's written opt-in: the City office's supervisors may break the
        glass on Amal's cases (recorded by Amal's administrator)."""
        owner, partner = agencies["amal"], agencies["city"]
        if EmergencyAccessAgreement.objects.filter(
            agency=owner, partner=partner, withdrawn_at__isnull=True
        ).exists():
            return
        services.record_emergency_access_agreement(
            actor=User.objects.get(email=demo_email(Role.AGENCY_ADMIN, owner.slug)),
            agency=owner,
            partner_id=partner.pk,
            reference="DSA-2026-07, signed 2026-03-02",
            note="Emergency access for the City office's duty supervisors (night and weekend).",
        )

    def extend(self, *, operator, agencies, password):
        """Each part of Sanad adds its demo data, written by the agencies' staff."""
        seed_casework(agencies)
        seed_consents(agencies)
        seed_services(agencies)
        seed_referrals(agencies)
        seed_plans(agencies)

    def _operator(self, password: str) -> User:
        operator = User.objects.filter(email=OPERATOR_EMAIL).first()
        if operator is None:
            # Bootstrap: the first platform operator cannot be created by a service,
            # since every service needs an acting user with permission.
            operator = User.objects.create_user(
                OPERATOR_EMAIL, password, display_name="Platform Operator", is_staff=True
            )
        operator.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="accounts",
                codename__in=[
                    "add_agency",
                    "add_user",
                    "view_agency",
                    "view_user",
                    "view_membership",
                    "view_apitoken",
                ],
            )
        )
        # Permission caches on the instance would hide the grant just made.
        return User.objects.get(pk=operator.pk)

    def _agency(self, operator: User, spec: dict) -> Agency:
        agency = Agency.objects.filter(slug=spec["slug"]).first()
        if agency is None:
            agency = services.create_agency(
                actor=operator,
                data_sharing_agreement_valid_until=timezone.now().date() + timedelta(days=365),
                **spec,
            )
        return agency

    def _member(self, operator, agency, email, name, role, language, password) -> None:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = services.register_user(
                actor=operator,
                email=email,
                display_name=name,
                password=password,
                preferred_language=language,
            )
        if Membership.objects.filter(user=user, agency=agency, role=role, is_active=True).exists():
            return
        if role == Role.AGENCY_ADMIN:
            services.appoint_agency_admin(actor=operator, agency=agency, user=user)
            return
        admin = (
            Membership.objects.filter(agency=agency, role=Role.AGENCY_ADMIN, is_active=True)
            .values_list("user", flat=True)
            .first()
        )
        services.add_member(actor=User.objects.get(pk=admin), agency=agency, email=email, role=role)

    def _print_logins(self, logins, password: str) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Sanad demo logins (password for all: {password})"))
        width = max(len(email) for email, _agency, _role in logins)
        for email, agency, role in sorted(logins, key=lambda row: (row[1], row[2])):
            self.stdout.write(f"  {email.ljust(width)}  {agency} — {role}")
        self.stdout.write(f"  {OPERATOR_EMAIL.ljust(width)}  platform operator (admin pages)")
        self.stdout.write("")
