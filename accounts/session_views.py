"""Pages of one's password and sessions: changing the password, choosing one
from an e-mailed link, "sign out everywhere" (one's own, and an agency
administrator's for a member).

Thin: each calls one service (``accounts.services``); how long a single
session lasts is ``accounts.sessions``.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import OwnPasswordForm
from accounts.permissions import Perm
from accounts.views import act_on_member
from config.http.pages import attempt


def _password_page(
    request: HttpRequest, form, *, status: int = 200, locked_out: bool = False
) -> HttpResponse:
    context = {"form": form}
    if locked_out:
        context["locked_out"] = _("Too many failed attempts. Wait a few minutes, then try again.")
    response = render(request, "accounts/password.html", context, status=status)
    if locked_out:
        response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@login_required
def own_password(request: HttpRequest) -> HttpResponse:
    """Change one's own password (the current one first). This session stays
    signed in; every other session and every API token ends. A wrong
    current password counts towards the lock-out, as a failed login does."""
    form = OwnPasswordForm(request.user, request.POST or None)
    if request.method != "POST":
        return _password_page(request, form)
    credentials = {"username": request.user.email}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return _password_page(request, OwnPasswordForm(request.user), status=429, locked_out=True)
    if not form.is_valid():
        if "old_password" in form.errors:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        return _password_page(request, form, status=400)
    user = attempt(
        form,
        services.change_password,
        actor=request.user,
        old_password=form.cleaned_data["old_password"],
        new_password=form.cleaned_data["new_password1"],
    )
    if user is None:
        return _password_page(request, form, status=getattr(form, "error_status", 400))
    update_session_auth_hash(request, user)
    messages.success(
        request,
        _(
            "Your password was changed. You stay signed in here; your other sessions "
            "and your API tokens have ended."
        ),
    )
    return redirect("accounts:account")


@method_decorator(sensitive_post_parameters("new_password1", "new_password2"), name="dispatch")
class PasswordFromLinkView(auth_views.PasswordResetConfirmView):
    """Choose a password through an invitation or reset link. Saved by
    ``set_password_from_link`` (tokens revoked, every session ended); the
    person is not signed in, so the login asks for the second factor."""

    template_name = "registration/password_set.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form):
        services.set_password_from_link(
            actor=form.user, new_password=form.cleaned_data["new_password1"]
        )
        # What PasswordResetConfirmView.form_valid does besides saving: the
        # link's token kept in the session is spent.
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        return HttpResponseRedirect(self.get_success_url())


@never_cache
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """GET: what "sign out everywhere" does, and the button. POST: end every
    session of the user (this one too) and revoke every API token."""
    if request.method == "POST":
        services.sign_out_everywhere(actor=request.user)
        logout(request)
        messages.success(
            request,
            _("You were signed out everywhere and your API tokens were revoked. Sign in again."),
        )
        return redirect(settings.LOGIN_URL)
    return render(
        request,
        "accounts/sign_out_everywhere.html",
        {
            "token_count": selectors.live_tokens_of(request.user).count(),
            "idle_minutes": int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60),
            "absolute_hours": int(settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() // 3600),
        },
    )


@require_POST
@never_cache
@login_required
def sign_out_member(request: HttpRequest, slug: str, membership_id) -> HttpResponse:
    """An agency administrator (MANAGE_MEMBERS) ends every session and API
    token of an active member; back to the member's page."""
    agency = selectors.get_agency_for(request.user, slug, Perm.VIEW_MEMBERS)
    membership = act_on_member(request, agency, membership_id, services.sign_out_member_everywhere)
    if isinstance(membership, HttpResponse):
        return membership
    messages.success(
        request,
        _("%(name)s was signed out everywhere; their API tokens were revoked.")
        % {"name": membership.user.display_name},
    )
    if membership.user_id == request.user.pk:
        return redirect(settings.LOGIN_URL)
    return redirect("accounts:member", slug=agency.slug, membership_id=membership.pk)
