from django.core.management.base import BaseCommand

from privacy.services import apply_retention


class Command(BaseCommand):
    help = (
        "Anonymise closed cases and clients whose agency's retention period is over "
        "(legal holds are skipped). Also a daily Celery beat task."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be anonymised."
        )

    def handle(self, *args, **options):
        counts = apply_retention(dry_run=options["dry_run"])
        verb = "would be anonymised" if options["dry_run"] else "anonymised"
        self.stdout.write(
            f"{counts['clients']} client(s) and {counts['cases']} closed case(s) {verb}; "
            f"{counts['held']} kept for a legal hold."
        )
