from django.core.management.base import BaseCommand

from casework.services import notify_follow_ups_due


class Command(BaseCommand):
    help = (
        "Tell assignees of follow-ups due tomorrow or overdue, once each (also an hourly "
        "Celery beat task)."
    )

    def handle(self, *args, **options):
        count = notify_follow_ups_due()
        self.stdout.write(f"{count} follow-up notice(s) written.")
