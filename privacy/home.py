"""privacy's section of the home page: the DPO's (registered in
``PrivacyConfig.ready``).

Each count is read by the same selector as the list it links to, with the
same filters, so the number on the home is the number of rows there: clients
under a legal hold (the data-protection list, ``held``), erasures and
subject-access exports of the last 30 days (the access log, by action and
period), emergency accesses running (the table in the section itself). Sanad
keeps no queue of requests: an erasure or a subject-access export is done at
once, so the section counts what was done. Nothing here is about a client
(staff, case numbers, counts): not recorded in the access log.
"""

from collections.abc import Sequence
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from accounts.home import HomeSection
from accounts.models import AccessLog, Membership
from accounts.permissions import Role
from privacy import selectors
from privacy.forms import DataProtectionSearchForm, day_start, days_back

# "Lately" on the DPO's home: the access log's period for erasures and exports.
RECENT_DAYS = 30


def _logged(request: HttpRequest, action: str, since_day) -> tuple[int, str]:
    """How many rows of ``action`` the DPO's access log holds since the start
    of ``since_day`` (the viewer's day), and the access log's address listing them."""
    count = (
        selectors.access_log_for(request.user, action=action, since=day_start(since_day))
        .order_by()
        .count()
    )
    query = urlencode({"action": action, "since": since_day.isoformat()})
    return count, f"{reverse('privacy:access_log')}?{query}"


def dpo_context(request: HttpRequest, memberships: Sequence[Membership]) -> dict | None:
    user = request.user
    if not selectors.may_read_access_log(user):
        return None
    since_day = days_back(RECENT_DAYS)
    erasures, erasures_url = _logged(request, AccessLog.Action.ERASURE, since_day)
    exports, exports_url = _logged(request, AccessLog.Action.EXPORT, since_day)
    break_glass = selectors.running_break_glass_for(user)
    return {
        "agencies": sorted({membership.agency.name for membership in memberships}),
        "break_glass": break_glass,
        "break_glass_agencies": len({access.case.agency_id for access in break_glass}) > 1,
        "held_clients": selectors.count_clients_under_legal_hold(user),
        "held_url": f"{reverse('privacy:data_protection')}?held=on",
        "erasures": erasures,
        "erasures_url": erasures_url,
        "exports": exports,
        "exports_url": exports_url,
        "recent_days": RECENT_DAYS,
        "log": selectors.access_log_state(user),
        "may_look_up": selectors.may_look_up_clients(user),
        "look_up_form": DataProtectionSearchForm(auto_id="home_look_up_%s"),
    }


DPO = HomeSection(
    key="dpo",
    roles=frozenset({Role.DPO}),
    order=50,
    template="privacy/home/dpo.html",
    context=dpo_context,
)
