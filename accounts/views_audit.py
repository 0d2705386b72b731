"""Audit pages: the DPO's access log (with the chain's verdict on demand) and
"who accessed this" on a client and on a case (supervisors and the DPO)."""

from datetime import UTC, datetime, time, timedelta
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts import selectors_audit as audit
from accounts.models import AccessLog
from accounts.permissions import Perm
from config.errors import Forbidden


class AccessLogFilterForm(forms.Form):
    """The DPO's filters. Dates are UTC days; "to" includes its whole day."""

    user = forms.ChoiceField(label=_("Staff member"), required=False)
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    client = forms.UUIDField(
        label=_("Client id"),
        required=False,
        help_text=_("The record id of a client of your agency."),
    )
    case = forms.UUIDField(
        label=_("Case id"), required=False, help_text=_("The record id of a case of your agency.")
    )
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Any action")), *AccessLog.Action.choices],
    )
    since = forms.DateField(
        label=_("From (UTC)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("To (UTC, inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, data, *, people, agencies):
        super().__init__(data)
        self.fields["user"].choices = [("", _("Anyone")), *people]
        self.fields["agency"].choices = [("", _("Any agency")), *agencies]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end of the period is before its start."))
        return data

    def filters(self) -> dict:
        """The form's values as ``selectors_audit.read_access_log`` filters."""
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        return {
            "user_id": UUID(data["user"]) if data.get("user") else None,
            "agency_id": UUID(data["agency"]) if data.get("agency") else None,
            "client_id": data.get("client"),
            "case_id": data.get("case"),
            "action": data.get("action") or "",
            "since": datetime.combine(since, time.min, tzinfo=UTC) if since else None,
            "until": (
                datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC) if until else None
            ),
        }


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
        "accounts/audit/access_log.html",
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
        "accounts/audit/record_accesses.html",
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
        "accounts/audit/record_accesses.html",
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
