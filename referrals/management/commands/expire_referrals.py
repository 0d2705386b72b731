from django.core.management.base import BaseCommand

from referrals.services import expire_overdue_referrals


class Command(BaseCommand):
    help = "Expire sent referrals whose respond-by date has passed (also a daily Celery task)."

    def handle(self, *args, **options):
        count = expire_overdue_referrals()
        self.stdout.write(f"{count} referral(s) expired.")
