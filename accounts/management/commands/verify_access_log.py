from django.core.management.base import BaseCommand, CommandError

from accounts.access_log import verify


class Command(BaseCommand):
    help = "Walk the access log's hash chains; report 'intact, N rows' or the first broken link."

    def handle(self, *args, **options):
        verdict = verify()
        if not verdict.intact:
            raise CommandError(str(verdict))
        self.stdout.write(str(verdict))
