"""Register an agency and appoint its first administrator (platform operators)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.models import Agency, User
from config.errors import DomainError


class Command(BaseCommand):
    help = "Register an agency with its role groups and invite its first administrator."

    def add_arguments(self, parser):
        parser.add_argument(
            "--operator", required=True, help="E-mail of the platform operator doing this."
        )
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=Agency.Kind.values)
        parser.add_argument("--country", required=True, help="ISO 3166 code, e.g. IT")
        parser.add_argument("--city", default="")
        parser.add_argument("--public-authority", action="store_true")
        parser.add_argument(
            "--time-zone",
            default="",
            help="IANA name, e.g. Europe/Rome (default: DEFAULT_AGENCY_TIME_ZONE).",
        )
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", required=True)

    def handle(self, *args, **options):
        operator = User.objects.filter(email__iexact=options["operator"], is_active=True).first()
        if operator is None:
            raise CommandError("No active user with that --operator e-mail.")
        try:
            with transaction.atomic():
                agency = services.create_agency(
                    actor=operator,
                    slug=options["slug"],
                    name=options["name"],
                    kind=options["kind"],
                    country=options["country"],
                    city=options["city"],
                    is_public_authority=options["public_authority"],
                    time_zone=options["time_zone"],
                )
                admin = User.objects.filter(email__iexact=options["admin_email"]).first()
                if admin is None:
                    admin = services.register_user(
                        actor=operator,
                        email=options["admin_email"],
                        display_name=options["admin_name"],
                    )
                services.appoint_agency_admin(actor=operator, agency=agency, user=admin)
                services.send_password_invitation(user=admin, agency=agency)
        except ValidationError as error:
            raise CommandError(
                "; ".join(
                    f"{field}: {' '.join(messages)}"
                    for field, messages in error.message_dict.items()
                )
            ) from error
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Agency {agency.slug} registered; its administrator was sent an invitation."
            )
        )
