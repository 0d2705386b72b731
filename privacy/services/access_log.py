"""The access log's verdicts, kept: each walk of the chains (the DPO's page or
API, or the verify_access_log command) leaves a row saying when and what was
found, so that the DPO's home shows the last one without walking the log."""

from accounts import access_log
from accounts.models import User
from privacy.models import AccessLogVerification
from privacy.selectors.access_log import verify_access_log_for


def keep_verdict(
    verdict: access_log.Verdict, *, actor: User | None, against_copy: bool = False
) -> AccessLogVerification:
    """Store ``verdict`` (counts and positions, no personal data) as verified
    now by ``actor`` (None: the command). No permission: the caller walked the
    log already."""
    return AccessLogVerification.objects.create(
        verified_by=actor,
        against_copy=against_copy,
        intact=verdict.intact,
        rows=verdict.rows,
        chain=verdict.chain,
        seq=verdict.seq,
        row_id=verdict.row_id,
        problem=verdict.problem,
        unkeyed=verdict.unkeyed,
        checkpoint_at=verdict.checkpoint_at,
    )


def verify_access_log(*, actor: User) -> access_log.Verdict:
    """Walk every chain of the log for a DPO (``verify_access_log_for``:
    Forbidden without VIEW_ACCESS_LOG) and keep the verdict. Walks the whole
    log: call it only when asked."""
    verdict = verify_access_log_for(actor)
    keep_verdict(verdict, actor=actor)
    return verdict


def keep_command_verdict(
    sender: object, *, verdict: access_log.Verdict, against_copy: bool = False, **kwargs: object
) -> None:
    """Receiver of ``accounts.signals.access_log_verified`` (the
    verify_access_log command): keep its verdict, verified by no one."""
    keep_verdict(verdict, actor=None, against_copy=against_copy)
