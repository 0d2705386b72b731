from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.access_log import CheckpointRefusedError, write_checkpoint


class Command(BaseCommand):
    help = (
        "Write the access log's chain heads (position, hash, time), signed with the log's "
        "key, to ACCESS_LOG_CHECKPOINT_PATH and forward them (syslog, e-mail). Celery beat "
        "does this every ACCESS_LOG_CHECKPOINT_MINUTES; run it from cron without a broker. "
        "Refuses (exit status 1, nothing written) when the log no longer holds what the "
        "previous checkpoint recorded."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--first",
            action="store_true",
            help="Start the checkpoint file although there is no checkpoint and the log holds "
            "rows older than two checkpoint intervals (after investigating why: a lost file "
            "means rows cut before now cannot be detected any more).",
        )

    def handle(self, *args, **options):
        try:
            checkpoint = write_checkpoint(first=options["first"])
        except CheckpointRefusedError as error:
            raise CommandError(f"checkpoint refused, nothing written: {error}") from None
        rows = sum(head.seq for head in checkpoint.heads.values())
        self.stdout.write(
            f"checkpoint of {len(checkpoint.heads)} chains, {rows} rows "
            f"appended to {settings.ACCESS_LOG_CHECKPOINT_PATH}"
        )
