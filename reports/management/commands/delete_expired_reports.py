from django.core.management.base import BaseCommand

from reports.services import delete_expired_report_files


class Command(BaseCommand):
    help = (
        "Delete the files of report jobs past their expiry and mark the jobs expired "
        "(also a Celery beat task; run this from cron without a broker)."
    )

    def handle(self, *args, **options):
        count = delete_expired_report_files()
        self.stdout.write(f"{count} report job(s) expired.")
