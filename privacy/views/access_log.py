"""Access-log pages: the DPO's access log (with the chain's verdict on demand)
and "who accessed this" on a client and on a case (supervisors and the DPO)."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.permissions import Perm
from config.errors import Forbidden
from privacy import selectors as audit
from privacy.forms import AccessLogFilterForm


def _filtered(form: AccessLogFilterForm) -> bool:
    return form.is_bound and any(
        form.data.get(name)
        for name in ("user", "agency", "client", "case", "action", "since", "until")
    )


@require_safe
@never_cache
@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    """The access log of the DPO's agencies, filtered and paged; the chain's
    verdict only when asked (``?verify=1``): it walks the whole log."""
    user = request.user
    if not audit.may_read_access_log(user):
        # Checked before the filters are built: they list the agency's members.
        raise Forbidden()
    people, agencies = audit.filter_choices(user)
    form = AccessLogFilterForm(request.GET or None, people=people, agencies=agencies)
    page = None
    status = 200
    clients_linked: set = set()
    cases_linked: set = set()
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        filters = form.filters() if form.is_bound else {}
        rows = audit.read_access_log(user, **filters)
        page = audit.log_page(rows, request.GET.get("after", ""))
        audit.describe(page.rows, actor=user)
        clients_linked, cases_linked = audit.records_to_link(user, page.rows)
    verdict = audit.verify_access_log_for(user) if request.GET.get("verify") == "1" else None
    return render(
        request,
        "privacy/access_log.html",
        {
            "form": form,
            "page": page,
            "filtered": _filtered(form),
            "verdict": verdict,
            "clients_linked": clients_linked,
            "cases_linked": cases_linked,
            "section": "audit",
        },
        status=status,
    )


@require_safe
@never_cache
@login_required
def client_accesses(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Who accessed a client and its cases (VIEW_RECORD_ACCESSES in its agency)."""
    client, rows = audit.read_client_accesses(request.user, client_id)
    page = audit.log_page(rows, request.GET.get("after", ""))
    audit.describe(page.rows, actor=request.user, record_agency_id=client.agency_id)
    return render(
        request,
        "privacy/record_accesses.html",
        {
            "client": client,
            "case": None,
            "record_agency": client.agency,
            "page": page,
            "can_open_record": request.user.has_perm(Perm.VIEW_CLIENT, client),
            "section": "clients",
        },
    )


@require_safe
@never_cache
@login_required
def case_accesses(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Who accessed a case, and who broke the glass to open it
    (VIEW_RECORD_ACCESSES in its agency)."""
    case, rows = audit.read_case_accesses(request.user, case_id)
    page = audit.log_page(rows, request.GET.get("after", ""))
    audit.describe(page.rows, actor=request.user, record_agency_id=case.agency_id)
    return render(
        request,
        "privacy/record_accesses.html",
        {
            "client": case.client,
            "case": case,
            "record_agency": case.agency,
            "page": page,
            "break_glass": audit.read_break_glass(request.user, case),
            "can_open_record": request.user.has_perm(Perm.VIEW_CASE, case),
            "section": "cases",
        },
    )
