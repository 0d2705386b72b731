from django.core.management.base import BaseCommand

from casework.services.imports import delete_expired_import_files


class Command(BaseCommand):
    help = (
        "Delete the uploaded files of imports that no longer need them (undone, past the "
        "undo window, or checked and never run) and fail runs whose worker died (also an "
        "hourly Celery beat task; run this from cron without a broker)."
    )

    def handle(self, *args, **options):
        count = delete_expired_import_files()
        self.stdout.write(f"{count} import file(s) deleted.")
