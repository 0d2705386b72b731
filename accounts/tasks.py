"""Background work of accounts: the access log's checkpoints."""

from celery import shared_task


@shared_task
def checkpoint_access_log_task() -> int:
    """Every ACCESS_LOG_CHECKPOINT_MINUTES (see CELERY_BEAT_SCHEDULE): write the
    access log's chain heads outside the database; returns the chains recorded.
    Fails with ``CheckpointRefusedError`` (already logged at ERROR and e-mailed)
    when the log no longer holds what the previous checkpoint recorded: the
    task is then failed, and nothing is written."""
    from accounts.access_log import write_checkpoint

    return len(write_checkpoint().heads)
