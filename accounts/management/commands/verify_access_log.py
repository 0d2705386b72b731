from django.core.management.base import BaseCommand, CommandError

from accounts.access_log import verify
from accounts.signals import access_log_verified


class Command(BaseCommand):
    help = (
        "Walk the access log's hash chains and compare their ends with the last checkpoint; "
        "report 'intact, N rows' or the first broken link (exit status 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="Compare with the last checkpoint of this file (a copy kept elsewhere, e.g. "
            "from syslog or e-mail: one checkpoint JSON line each) instead of "
            "ACCESS_LOG_CHECKPOINT_PATH.",
        )

    def handle(self, *args, **options):
        verdict = verify(options["checkpoints"])
        access_log_verified.send(
            sender=self.__class__, verdict=verdict, against_copy=bool(options["checkpoints"])
        )
        if not verdict.intact:
            raise CommandError(str(verdict))
        self.stdout.write(str(verdict))
