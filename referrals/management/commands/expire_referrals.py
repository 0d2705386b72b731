from django.core.management.base import BaseCommand

from referrals.services import expire_overdue_referrals


class Command(BaseCommand):
    help = "Expire sent referrals left unanswered past the grace period (also a Celery beat task)."

    def handle(self, *args, **options):
        count = expire_overdue_referrals()
        self.stdout.write(f"{count} referral(s) expired.")
