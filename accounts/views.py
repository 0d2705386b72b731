"""HTML pages of accounts: login, home, own account, language, agency team.

Views are thin: they read through selectors, write through services, and show
a service's error next to the field it names.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from accounts import health, selectors, services
from accounts.forms import (
    AddMemberForm,
    AgencyActivePdfForm,
    AgencyInactivityForm,
    AgencySmallCellForm,
    AgencyTimeZoneForm,
    ChangeRoleForm,
    DateDisplayForm,
    DeactivateMemberForm,
    LoginForm,
    NewTokenForm,
    OneTimeCodeForm,
    OwnTimeZoneForm,
)
from accounts.home import home_sections_for
from accounts.models import Membership
from accounts.notices import notice_links, notices_of, render_notice_html
from accounts.permissions import Perm
from config.errors import DomainError, InvalidInput
from config.http.api import problem_response
from config.http.pages import attempt, keyset_page, safe_next


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def locked_out(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """django-axes: too many failed logins for this e-mail address from this address."""
    detail = _("Too many failed attempts. Wait a few minutes, then try again.")
    if request.path.startswith("/api/"):
        response = problem_response(request, 429, "locked_out", detail)
    elif request.path.startswith("/accounts/second-factor/"):
        # The second-factor step and the password asked again count towards the
        # same lock-out as the login; the person stays on that step.
        response = render(
            request,
            "accounts/second_factor/verify.html",
            {"form": OneTimeCodeForm(), "locked_out": detail, "next": "/"},
            status=429,
        )
    else:
        form = LoginForm(request)
        response = render(
            request, "registration/login.html", {"form": form, "locked_out": detail}, status=429
        )
    # The lock-out lasts AXES_COOLOFF_TIME from the last failure: say when to come back.
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise. No authentication, no data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database, its migrations, Redis (when configured) and the
    file storage are ready, 503 otherwise; each check's state, no detail.
    No authentication, no data (``accounts.health``)."""
    checks = health.readiness()
    ready = health.is_ready(checks)
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What needs me now: one section per role the user holds, each written
    by the app that owns its records (``accounts.home``)."""
    memberships = list(selectors.memberships_of(request.user))
    sections = [
        render_to_string(rendered.template, rendered.context, request=request)
        for rendered in home_sections_for(request, memberships)
    ]
    return render(request, "accounts/home.html", {"memberships": memberships, "sections": sections})


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's own page: agencies and roles, language, time zone, API tokens."""
    new_token = None
    form = NewTokenForm()
    if request.method == "POST":
        form = NewTokenForm(request.POST)
        if form.is_valid():
            _token, new_token = services.issue_api_token(
                actor=request.user, name=form.cleaned_data["name"]
            )
            form = NewTokenForm()
    return _account_page(request, token_form=form, new_token=new_token)


def _account_page(
    request: HttpRequest,
    *,
    token_form=None,
    time_zone_form=None,
    date_form=None,
    new_token=None,
    status=200,
) -> HttpResponse:
    agency_zone = selectors.agency_time_zone_of(request.user)
    return render(
        request,
        "accounts/account.html",
        {
            "memberships": selectors.memberships_of(request.user),
            "tokens": selectors.live_tokens_of(request.user),
            "token_form": token_form or NewTokenForm(),
            "time_zone_form": time_zone_form
            or OwnTimeZoneForm(
                initial={"time_zone": request.user.time_zone}, agency_time_zone=agency_zone
            ),
            "agency_time_zone": agency_zone,
            "date_form": date_form
            or DateDisplayForm(
                initial={"calendar": request.user.calendar, "digits": request.user.digits}
            ),
            "new_token": new_token,
        },
        status=status,
    )


@require_POST
@never_cache
@login_required
def own_time_zone(request: HttpRequest) -> HttpResponse:
    """The user's own time zone, or back to their agency's (blank)."""
    form = OwnTimeZoneForm(
        request.POST, agency_time_zone=selectors.agency_time_zone_of(request.user)
    )
    if form.is_valid() and attempt(
        form,
        services.set_time_zone,
        actor=request.user,
        time_zone=form.cleaned_data["time_zone"],
    ):
        messages.success(request, _("Your time zone was saved."))
        return redirect("accounts:account")
    return _account_page(request, time_zone_form=form, status=400)


@require_POST
@never_cache
@login_required
def own_date_display(request: HttpRequest) -> HttpResponse:
    """The calendar and digits of the user's pages."""
    form = DateDisplayForm(request.POST)
    if form.is_valid() and attempt(
        form,
        services.set_date_display,
        actor=request.user,
        calendar=form.cleaned_data["calendar"],
        digits=form.cleaned_data["digits"],
    ):
        messages.success(request, _("Your choice of calendar and digits was saved."))
        return redirect("accounts:account")
    return _account_page(request, date_form=form, status=400)


@require_POST
@login_required
def revoke_token(request: HttpRequest, token_id) -> HttpResponse:
    services.revoke_api_token(actor=request.user, token_id=token_id)
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:account")


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the account when logged in."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        services.set_preferred_language(actor=request.user, language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
    )
    return response


# --- Agency team ---------------------------------------------------------------


@login_required
def team(request: HttpRequest, slug: str) -> HttpResponse:
    """The agency's members (all, or those in one ``state``) and time zone.
    Members with VIEW_MEMBERS read it; admins manage it."""
    agency = selectors.get_agency_for(request.user, slug, Perm.VIEW_MEMBERS)
    form = AddMemberForm()
    if request.method == "POST":
        agency = selectors.get_agency_for(request.user, slug, Perm.MANAGE_MEMBERS)
        form = AddMemberForm(request.POST)
        if form.is_valid():
            try:
                membership = services.add_member(
                    actor=request.user, agency=agency, **form.cleaned_data
                )
            except InvalidInput as error:
                form.add_error(
                    error.field if error.field in form.fields else None, str(error.message)
                )
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                messages.success(
                    request,
                    _("%(name)s now has the role %(role)s.")
                    % {"name": membership.user.display_name, "role": membership.get_role_display()},
                )
                return redirect("accounts:team", slug=agency.slug)
    return _team_page(request, agency, form=form)


def _team_page(
    request: HttpRequest,
    agency,
    *,
    form=None,
    time_zone_form=None,
    inactivity_form=None,
    small_cell_form=None,
    active_pdf_form=None,
) -> HttpResponse:
    form = form or AddMemberForm()
    time_zone_form = time_zone_form or AgencyTimeZoneForm(initial={"time_zone": agency.time_zone})
    inactivity_form = inactivity_form or AgencyInactivityForm(
        initial={"inactivity_days": agency.inactivity_days}
    )
    small_cell_form = small_cell_form or AgencySmallCellForm(
        initial={"small_cell_threshold": agency.small_cell_threshold}
    )
    active_pdf_form = active_pdf_form or AgencyActivePdfForm(
        initial={"allow_active_pdf": agency.allow_active_pdf}
    )
    # ?state=invited|active|deactivated: the members the home page's counts lead to.
    state = request.GET.get("state", "")
    state_error = ""
    if state and state not in selectors.MemberState.values:
        state_error = _("Unknown state: choose invited, active or deactivated.")
        state = ""
    members = selectors.team_of(agency, state=state)
    return render(
        request,
        "accounts/team.html",
        {
            "agency": agency,
            "members": members,
            "state": state,
            "state_error": state_error,
            "counts": selectors.team_counts(agency),
            "states": selectors.MemberState,
            "can_manage": request.user.has_perm(Perm.MANAGE_MEMBERS, agency),
            "can_manage_agency": request.user.has_perm(Perm.MANAGE_AGENCY, agency),
            "form": form,
            "time_zone_form": time_zone_form,
            "inactivity_form": inactivity_form,
            "small_cell_form": small_cell_form,
            "active_pdf_form": active_pdf_form,
        },
        status=400
        if (
            form.errors
            or time_zone_form.errors
            or inactivity_form.errors
            or small_cell_form.errors
            or state_error
        )
        else 200,
    )


def _save_agency_setting(
    request: HttpRequest, slug: str, *, form_class, service, saved: str, page_form: str
) -> HttpResponse:
    """Save one of the agency's settings (its administrator: MANAGE_AGENCY)
    from its form on the team page: the form's one field is the argument
    ``service`` takes. On success, ``saved`` is shown on the team page; on an
    error, the team page shows the form as ``page_form``."""
    agency = selectors.get_agency_for(request.user, slug, Perm.MANAGE_AGENCY)
    form = form_class(request.POST)
    if form.is_valid() and attempt(
        form, service, actor=request.user, agency=agency, **form.cleaned_data
    ):
        messages.success(request, saved)
        return redirect("accounts:team", slug=agency.slug)
    return _team_page(request, agency, **{page_form: form})


@require_POST
@login_required
def agency_time_zone(request: HttpRequest, slug: str) -> HttpResponse:
    """The agency's time zone."""
    return _save_agency_setting(
        request,
        slug,
        form_class=AgencyTimeZoneForm,
        service=services.set_agency_time_zone,
        saved=_("The agency's time zone was saved."),
        page_form="time_zone_form",
    )


@require_POST
@login_required
def agency_inactivity(request: HttpRequest, slug: str) -> HttpResponse:
    """After how many days without activity an open case is listed as inactive."""
    return _save_agency_setting(
        request,
        slug,
        form_class=AgencyInactivityForm,
        service=services.set_agency_inactivity_days,
        saved=_("The number of days without activity was saved."),
        page_form="inactivity_form",
    )


@require_POST
@login_required
def agency_small_cell(request: HttpRequest, slug: str) -> HttpResponse:
    """The smallest count the agency's statistics publish (small-cell suppression)."""
    return _save_agency_setting(
        request,
        slug,
        form_class=AgencySmallCellForm,
        service=services.set_agency_small_cell_threshold,
        saved=_("The smallest count shown in statistics was saved."),
        page_form="small_cell_form",
    )


@require_POST
@login_required
def agency_active_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """Whether the agency's members may upload PDFs with scripts or attachments."""
    return _save_agency_setting(
        request,
        slug,
        form_class=AgencyActivePdfForm,
        service=services.set_agency_allow_active_pdf,
        saved=_("The choice about PDFs with scripts or attachments was saved."),
        page_form="active_pdf_form",
    )


@login_required
def member(request: HttpRequest, slug: str, membership_id) -> HttpResponse:
    """One membership: its state and last login; change its role, deactivate
    or reactivate it, resend the invitation (admins only)."""
    agency = selectors.get_agency_for(request.user, slug, Perm.VIEW_MEMBERS)
    membership = selectors.get_team_member(agency, membership_id)
    agency = selectors.get_agency_for(request.user, slug, Perm.MANAGE_MEMBERS)
    role_form = ChangeRoleForm(initial={"role": membership.role})
    deactivate_form = DeactivateMemberForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "change_role":
                role_form = ChangeRoleForm(request.POST)
                if role_form.is_valid():
                    changed = services.change_member_role(
                        actor=request.user,
                        agency=agency,
                        membership_id=membership.pk,
                        role=role_form.cleaned_data["role"],
                    )
                    _keep_own_session(request, changed.user)
                    messages.success(request, _("The role was changed."))
                    return redirect("accounts:team", slug=agency.slug)
            elif action == "deactivate":
                deactivate_form = DeactivateMemberForm(request.POST)
                if deactivate_form.is_valid():
                    changed = services.deactivate_member(
                        actor=request.user,
                        agency=agency,
                        membership_id=membership.pk,
                        reason=deactivate_form.cleaned_data["reason"],
                    )
                    _keep_own_session(request, changed.user)
                    messages.success(
                        request, _("The member was deactivated and signed out everywhere.")
                    )
                    return redirect("accounts:team", slug=agency.slug)
            elif action == "reactivate":
                services.reactivate_member(
                    actor=request.user, agency=agency, membership_id=membership.pk
                )
                messages.success(request, _("The member was reactivated."))
                return redirect("accounts:team", slug=agency.slug)
            else:
                # Bound, so that it can carry the error (an unbound form cannot).
                deactivate_form = DeactivateMemberForm(request.POST)
                raise InvalidInput(_("Unknown action."), field="action")
        except InvalidInput as error:
            target = role_form if error.field == "role" else deactivate_form
            target.add_error(
                None if error.field not in target.fields else error.field, str(error.message)
            )
        except DomainError as error:
            if error.status in (403, 404):
                raise
            messages.error(request, str(error.message))
    return _member_page(
        request,
        agency,
        membership,
        role_form=role_form,
        deactivate_form=deactivate_form,
        status=400 if (role_form.errors or deactivate_form.errors) else 200,
    )


def _keep_own_session(request: HttpRequest, user) -> None:
    """A role lost ends every session of its holder; an administrator who
    changed their own role keeps this session (the others end)."""
    if user.pk == request.user.pk:
        update_session_auth_hash(request, user)


def _member_page(
    request: HttpRequest,
    agency,
    membership,
    *,
    role_form=None,
    deactivate_form=None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "accounts/member.html",
        {
            "agency": agency,
            "membership": membership,
            "states": selectors.MemberState,
            "role_form": role_form or ChangeRoleForm(initial={"role": membership.role}),
            "deactivate_form": deactivate_form or DeactivateMemberForm(),
        },
        status=status,
    )


def act_on_member(
    request: HttpRequest, agency, membership_id, service
) -> Membership | HttpResponse:
    """Run ``service(actor, agency, membership_id)`` for a member action. A
    refusal the member's page can explain (a 409, a 400) is that page with the
    reason and the error's status; 403 and 404 go up as they are."""
    try:
        return service(actor=request.user, agency=agency, membership_id=membership_id)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        messages.error(request, str(error.message))
        membership = selectors.get_team_member(agency, membership_id)
        return _member_page(request, agency, membership, status=error.status)


@require_POST
@login_required
def resend_invitation(request: HttpRequest, slug: str, membership_id) -> HttpResponse:
    """E-mail an invited member a new link to choose a password
    (MANAGE_MEMBERS; not twice within a few minutes: 409 with the reason on
    the member's page). Back to the team page, or to ``next`` on this site."""
    agency = selectors.get_agency_for(request.user, slug, Perm.VIEW_MEMBERS)
    membership = act_on_member(request, agency, membership_id, services.resend_invitation)
    if isinstance(membership, HttpResponse):
        return membership
    messages.success(
        request,
        _("A new invitation was sent to %(email)s. The previous link no longer works.")
        % {"email": membership.user.email},
    )
    return redirect(safe_next(request, reverse("accounts:team", kwargs={"slug": agency.slug})))


# --- Notifications ---------------------------------------------------------------


@require_safe
@never_cache
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's own notices, newest first, a page at a time, each in the
    language of the page. A notice about something the user no longer sees
    stays readable and says so instead of linking to a 404."""
    page = keyset_page(notices_of(request.user), request.GET.get("after", ""), "created_at")
    links = notice_links(request.user, page.rows)
    for notice in page.rows:
        notice.shown = render_notice_html(notice)
        notice.has_link = bool(links[notice.pk].url)
        notice.unavailable_note = links[notice.pk].unavailable_note
    return render(request, "accounts/notifications.html", {"page": page})


# A link, not a form: it opens in a new tab, works from the e-mail and reads
# as a link to assistive technology. Its one effect, marking the reader's own
# notice read, is idempotent, and a notice's id cannot be guessed from
# another site.
@require_GET
@never_cache
@login_required
def notice_open(request: HttpRequest, notice_id) -> HttpResponse:
    """Open one of the user's own notices (anyone else's: 404): mark it read
    and go where it leads, inside Sanad only; if that is no longer there for
    the user, back to the list with the sentence saying so."""
    notice = services.mark_notice_read(actor=request.user, notice_id=notice_id)
    link = notice_links(request.user, [notice])[notice.pk]
    if link.url:
        return redirect(link.url)
    if link.unavailable:
        messages.info(request, str(link.unavailable_note))
    return redirect("accounts:notifications")


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark every unread notice of the user read."""
    count = services.mark_notices_read(actor=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification was marked read.",
            "%(count)d notifications were marked read.",
            count,
        )
        % {"count": count},
    )
    return redirect("accounts:notifications")


def problem_or_page(request: HttpRequest, status: int, template: str, code: str, detail: str):
    if request.path.startswith("/api/"):
        return problem_response(request, status, code, detail)
    return render(request, template, status=status)


def handler404(request: HttpRequest, exception=None) -> HttpResponse:
    return problem_or_page(request, 404, "404.html", "not_found", _("Not found."))


def handler403(request: HttpRequest, exception=None) -> HttpResponse:
    return problem_or_page(
        request, 403, "403.html", "permission_denied", _("You do not have permission to do this.")
    )


def handler500(request: HttpRequest) -> HttpResponse:
    return problem_or_page(
        request,
        500,
        "500.html",
        "server_error",
        _("Something went wrong on our side. It has been logged."),
    )


def handler400(request: HttpRequest, exception=None) -> HttpResponse:
    return problem_or_page(request, 400, "400.html", "bad_request", _("Bad request."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return problem_or_page(
        request,
        403,
        "403_csrf.html",
        "csrf_failed",
        _("The form expired or was sent from elsewhere. Reload and retry."),
    )
