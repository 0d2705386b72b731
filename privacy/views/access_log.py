"""Access-log pages: the DPO's access log (with the chain's last kept verdict,
and a form that walks the chains again) and "who accessed this" on a client
and on a case (supervisors and the DPO)."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.permissions import Perm
from accounts.selectors import holds_in
from config.errors import Forbidden
from privacy import selectors as audit
from privacy import services
from privacy.forms import AccessLogFilterForm, AccessPeriodForm, DataProtectionSearchForm, days_back


def _filtered(form: AccessLogFilterForm) -> bool:
    return form.is_bound and any(
        form.data.get(name)
        for name in ("user", "agency", "client", "case", "action", "since", "until")
    )


@require_safe
@never_cache
@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    """The access log of the DPO's agencies, filtered and paged, with the
    chain's last kept verdict (read, never computed here: ``access_log_verify``
    walks the log, on a POST)."""
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
    state = audit.access_log_state(user)
    return render(
        request,
        "privacy/access_log.html",
        {
            "form": form,
            "page": page,
            "filtered": _filtered(form),
            "verdict": state.last_verification,
            "log": state,
            "clients_linked": clients_linked,
            "cases_linked": cases_linked,
            # The look-up by name is the data-protection page's search (never this page's URL).
            "look_up_form": DataProtectionSearchForm(auto_id="look_up_%s"),
            "may_look_up": audit.may_look_up_clients(user),
            "section": "audit",
        },
        status=status,
    )


@require_POST
@login_required
def access_log_verify(request: HttpRequest) -> HttpResponse:
    """Walk every chain of the log and keep the verdict
    (``services.verify_access_log``: VIEW_ACCESS_LOG, the DPO), then show it
    on the access log. A POST: it writes a row and reads the whole log."""
    services.verify_access_log(actor=request.user)
    return redirect("privacy:access_log")


@require_safe
@never_cache
@login_required
def client_accesses(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """Who accessed a client and its cases (VIEW_RECORD_ACCESSES in its agency),
    in a period when asked (``since``, ``until``: days in the viewer's zone)."""
    form, period = _period(request)
    client, rows = audit.read_client_accesses(request.user, client_id, **(period or {}))
    return _record_accesses_page(
        request,
        form,
        rows if period is not None else None,
        client=client,
        case=None,
        can_open_record=request.user.has_perm(Perm.VIEW_CLIENT, client),
        section="clients",
    )


@require_safe
@never_cache
@login_required
def case_accesses(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Who accessed a case, and who broke the glass to open it
    (VIEW_RECORD_ACCESSES in its agency), in a period when asked."""
    form, period = _period(request)
    case, rows = audit.read_case_accesses(request.user, case_id, **(period or {}))
    return _record_accesses_page(
        request,
        form,
        rows if period is not None else None,
        client=case.client,
        case=case,
        can_open_record=request.user.has_perm(Perm.VIEW_CASE, case),
        section="cases",
        break_glass=audit.read_break_glass(request.user, case),
    )


def _period(request: HttpRequest) -> tuple[AccessPeriodForm, dict | None]:
    """The period asked for, as selector arguments (None when the dates are wrong)."""
    asked = any(request.GET.get(name) for name in ("since", "until"))
    form = AccessPeriodForm(request.GET if asked else None, auto_id="period_%s")
    if not asked:
        return form, {}
    return form, (form.period() if form.is_valid() else None)


def _record_accesses_page(
    request: HttpRequest, form: AccessPeriodForm, rows, *, client, case, **context
) -> HttpResponse:
    page = None
    if rows is not None:
        page = audit.log_page(rows, request.GET.get("after", ""))
        audit.describe(page.rows, actor=request.user, record_agency_id=client.agency_id)
    last_week = days_back(7)
    return render(
        request,
        "privacy/record_accesses.html",
        {
            "client": client,
            "case": case,
            "record_agency": (case or client).agency,
            "page": page,
            "period_form": form,
            "filtered": form.is_bound,
            "last_week": last_week.isoformat(),
            "last_week_shown": form.is_bound
            and form.is_valid()
            and form.cleaned_data.get("since") == last_week
            and not form.cleaned_data.get("until"),
            "may_protect": holds_in(request.user, Perm.EXPORT_SUBJECT_ACCESS, client.agency_id),
            **context,
        },
        status=400 if rows is None else 200,
    )
