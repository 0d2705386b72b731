"""Legal holds: while one is active, neither erasure nor retention touches
the client (a court case, an investigation, a pending appeal)."""

from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.models import User
from accounts.permissions import Perm
from casework.models import Case
from casework.selectors.scope import is_uuid
from casework.services.common import require_text
from config.errors import Conflict, InvalidInput, NotFound
from privacy.models import LegalHold
from privacy.selectors.records import get_client_for_protection


@transaction.atomic
def place_legal_hold(
    *, actor: User, client_id: UUID | str, reason: str, case_id: UUID | str | None = None
) -> LegalHold:
    """Stop erasure and retention for a client (or one of its cases) until
    released. Needs PLACE_LEGAL_HOLD in the client's agency (DPO, supervisor);
    a ``case_id`` that is not the client's is InvalidInput on ``case``. Writes
    the hold's history with the actor."""
    client = get_client_for_protection(actor, client_id, Perm.PLACE_LEGAL_HOLD)
    reason = require_text(reason, "reason")
    case = None
    if case_id:
        case = Case.objects.filter(pk=case_id, client=client).first() if is_uuid(case_id) else None
        if case is None:
            raise InvalidInput(
                _("Choose a case of this client."), code="does_not_exist", field="case"
            )
    hold = LegalHold(client=client, case=case, reason=reason, placed_by=actor)
    save_with_history(hold, actor=actor, reason=gettext_noop("legal hold placed"))
    return hold


@transaction.atomic
def release_legal_hold(*, actor: User, hold_id: UUID | str) -> LegalHold:
    """Release an active hold (PLACE_LEGAL_HOLD in the client's agency); one
    already released is Conflict ``already_released``. Writes history."""
    hold = (
        LegalHold.objects.select_for_update().filter(pk=hold_id).first()
        if is_uuid(hold_id)
        else None
    )
    if hold is None:
        raise NotFound()
    get_client_for_protection(actor, hold.client_id, Perm.PLACE_LEGAL_HOLD)
    if hold.released_at is not None:
        raise Conflict(_("This hold was already released."), code="already_released")
    hold.released_at = timezone.now()
    hold.released_by = actor
    save_with_history(
        hold,
        actor=actor,
        reason=gettext_noop("legal hold released"),
        update_fields=["released_at", "released_by"],
    )
    return hold


class LegalHoldActive(Conflict):
    """409 ``legal_hold``: the active holds (in ``holds``) stop an erasure."""

    code = "legal_hold"

    def __init__(self, holds: list[LegalHold]):
        self.extensions = {
            "holds": [
                {"id": str(hold.pk), "placed_at": hold.placed_at.isoformat()} for hold in holds
            ]
        }
        super().__init__(
            _(
                "A legal hold is set on this client or one of their cases "
                "(placed %(when)s): nothing can be erased until it is released."
            )
            % {"when": holds[0].placed_at.strftime("%Y-%m-%d")}
        )
