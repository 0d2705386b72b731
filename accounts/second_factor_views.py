"""Pages of the second factor: the step after the password, enrolment
(authenticator app by QR code, backup codes, passkeys), removing a factor,
confirming the password again, and an administrator's reset of a member's
factors.

Changing one's factors asks for the password again unless it was given in
the last ``SECOND_FACTOR_REAUTH_MINUTES`` (the login counts).
"""

from datetime import datetime, timedelta

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import (
    BeginCredentialRegistrationView,
    CompleteCredentialRegistrationView,
)

from accounts import selectors
from accounts.forms import ConfirmPasswordForm, OneTimeCodeForm, RemoveFactorForm
from accounts.permissions import Perm
from accounts.second_factor import PASSWORD_AT_SESSION_KEY, has_factor, role_requires_factor
from accounts.services import second_factor as services
from config.errors import DomainError, InvalidInput


def password_recently_given(request: HttpRequest) -> bool:
    """Did this session give the password (login or confirmation) recently enough
    to change its factors?"""
    given = request.session.get(PASSWORD_AT_SESSION_KEY)
    if not given:
        return False
    try:
        at = datetime.fromisoformat(given)
    except (TypeError, ValueError):
        return False
    return timezone.now() - at < timedelta(minutes=settings.SECOND_FACTOR_REAUTH_MINUTES)


def note_password_given(request: HttpRequest) -> None:
    request.session[PASSWORD_AT_SESSION_KEY] = timezone.now().isoformat()


def _ask_password(request: HttpRequest) -> HttpResponse:
    back = reverse("second_factor:setup")
    return redirect(f"{reverse('second_factor:confirm_password')}?{urlencode({'next': back})}")


def _next_url(request: HttpRequest) -> str:
    """Where to go once done: a local ``next`` (form or query), else home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("accounts:home")


def _credentials(user) -> dict:
    # The login form and the token endpoint pass the e-mail as "username".
    return {"username": user.email}


def _locked_out_page(request: HttpRequest, form) -> HttpResponse:
    response = render(
        request,
        "accounts/second_factor/verify.html",
        {
            "form": form,
            "next": _next_url(request),
            "has_passkey": False,
            "locked_out": _("Too many failed attempts. Wait a few minutes, then try again."),
        },
        status=429,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The step after the password: a code from the authenticator app, a backup
    code or a passkey. Failures count towards the account's lock-out (django-axes)
    and slow the device down (django-otp's throttling)."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not has_factor(user):
        return redirect(
            f"{reverse('second_factor:setup')}?{urlencode({'next': _next_url(request)})}"
        )
    form = OneTimeCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not AxesProxyHandler.is_allowed(request, _credentials(user)):
            return _locked_out_page(request, OneTimeCodeForm())
        if form.is_valid():
            device = services.verify_code(user, form.cleaned_data["code"])
            if device is not None:
                otp_login(request, device)
                # A new session key for the now fully authenticated session.
                request.session.cycle_key()
                return redirect(_next_url(request))
            user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
            form.add_error("code", _("This code is not right."))
        status = 400
    return render(
        request,
        "accounts/second_factor/verify.html",
        {
            "form": form,
            "next": _next_url(request),
            "has_passkey": WebAuthnCredential.objects.filter(user=user, confirmed=True).exists(),
        },
        status=status,
    )


def _setup_page(request: HttpRequest, *, code_form=None, backup_codes=None, status=200):
    user = request.user
    pending = services.pending_authenticator_app(user)
    qr_svg = None
    secret = None
    if pending is not None:
        config_url = pending.config_url
        qr_svg = segno.make(config_url, error="m").svg_inline(scale=4, omitsize=False)
        secret = " ".join(
            config_url.split("secret=")[1].split("&")[0][i : i + 4] for i in range(0, 32, 4)
        ).strip()
    return render(
        request,
        "accounts/second_factor/setup.html",
        {
            "apps": TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id"),
            "passkeys": WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("id"),
            "backup_codes_left": services.remaining_backup_codes(user),
            "pending": pending,
            "qr_svg": qr_svg,
            "secret": secret,
            "code_form": code_form or OneTimeCodeForm(),
            "backup_codes": backup_codes,
            "required": role_requires_factor(user) and settings.SECOND_FACTOR_REQUIRED,
            "enrolled": has_factor(user),
            "verified": user.is_verified(),
            "password_fresh": password_recently_given(request),
            "next": _next_url(request),
        },
        status=status,
    )


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """The person's factors: add an authenticator app or a passkey, new backup
    codes, remove one. Someone who must enrol and has not lands here after
    their password."""
    if has_factor(request.user) and not request.user.is_verified():
        return redirect("second_factor:verify")
    return _setup_page(request)


def _may_change_factors(request: HttpRequest) -> bool:
    """Verified (or not yet enrolled) and the password given recently."""
    user = request.user
    if has_factor(user) and not user.is_verified():
        return False
    return password_recently_given(request)


@require_POST
@never_cache
@login_required
def app_start(request: HttpRequest) -> HttpResponse:
    if not _may_change_factors(request):
        return _ask_password(request)
    services.start_authenticator_app(actor=request.user)
    return redirect(f"{reverse('second_factor:setup')}#app")


@require_POST
@never_cache
@login_required
def app_confirm(request: HttpRequest) -> HttpResponse:
    """Confirm the authenticator app with a code it shows. The first factor
    also brings backup codes, shown once on the answer."""
    if not _may_change_factors(request):
        return _ask_password(request)
    form = OneTimeCodeForm(request.POST)
    if not form.is_valid():
        return _setup_page(request, code_form=form, status=400)
    try:
        device = services.confirm_authenticator_app(
            actor=request.user, code=form.cleaned_data["code"]
        )
    except InvalidInput as error:
        form.add_error("code", str(error.message))
        return _setup_page(request, code_form=form, status=400)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("second_factor:setup")
    backup_codes = None
    if services.remaining_backup_codes(request.user) == 0:
        backup_codes = services.new_backup_codes(actor=request.user)
    _keep_this_session(request, device)
    messages.success(request, _("Your authenticator app is set up."))
    return _setup_page(request, backup_codes=backup_codes)


def _keep_this_session(request: HttpRequest, device=None) -> None:
    """After a factor change rotated the session stamp: this session stays
    (and, with the device just proven, counts as verified)."""
    request.user.refresh_from_db(fields=["session_stamp"])
    update_session_auth_hash(request, request.user)
    if device is not None:
        otp_login(request, device)
    request._second_factor_pending = None


@require_POST
@never_cache
@login_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Ten new backup codes; the earlier ones stop working."""
    if not _may_change_factors(request):
        return _ask_password(request)
    if not services.strong_factors(request.user):
        messages.error(request, _("Set up an authenticator app or a passkey first."))
        return redirect("second_factor:setup")
    codes = services.new_backup_codes(actor=request.user)
    _keep_this_session(request)
    return _setup_page(request, backup_codes=codes)


@require_POST
@never_cache
@login_required
def remove(request: HttpRequest) -> HttpResponse:
    if not _may_change_factors(request):
        return _ask_password(request)
    form = RemoveFactorForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a factor to remove."))
        return redirect("second_factor:setup")
    try:
        services.remove_factor(
            actor=request.user,
            kind=form.cleaned_data["kind"],
            device_id=form.cleaned_data["device_id"],
            required=role_requires_factor(request.user) and settings.SECOND_FACTOR_REQUIRED,
        )
    except DomainError as error:
        if error.status == 404:
            raise
        messages.error(request, str(error.message))
        return redirect("second_factor:setup")
    _keep_this_session(request)
    messages.success(request, _("The factor was removed."))
    return redirect("second_factor:setup")


@never_cache
@login_required
def confirm_password(request: HttpRequest) -> HttpResponse:
    """Give the password again before changing one's factors. Failures count
    towards the account's lock-out."""
    form = ConfirmPasswordForm(request.user, request.POST or None)
    status = 200
    locked = False
    if request.method == "POST":
        if not AxesProxyHandler.is_allowed(request, _credentials(request.user)):
            # The form is left unbound: nothing was checked, so nothing is marked wrong.
            status, locked = 429, True
            form = ConfirmPasswordForm(request.user)
        elif form.is_valid():
            note_password_given(request)
            return redirect(_next_url(request))
        else:
            user_login_failed.send(
                sender=__name__, credentials=_credentials(request.user), request=request
            )
            status = 400
    return render(
        request,
        "accounts/second_factor/confirm_password.html",
        {"form": form, "next": _next_url(request), "locked": locked},
        status=status,
    )


@require_POST
@never_cache
@login_required
def reset_member(request: HttpRequest, slug: str, membership_id) -> HttpResponse:
    """An agency administrator removes every factor of a member (a lost phone)."""
    agency = selectors.get_agency_for(request.user, slug, Perm.MANAGE_MEMBERS)
    services.reset_member_factors(actor=request.user, agency=agency, membership_id=membership_id)
    messages.success(
        request,
        _(
            "Their second factor was reset and they were signed out everywhere. They set one "
            "up again at their next login."
        ),
    )
    return redirect("accounts:member", slug=agency.slug, membership_id=membership_id)


# --- Passkeys (django-otp-webauthn), with the password asked again to add one ----------


class PasswordNeeded(OTPWebAuthnApiError):
    status_code = 403
    default_code = "password_needed"
    default_detail = _lazy("Give your password again, then add the passkey.")


class PasskeyRegistrationBegin(BeginCredentialRegistrationView):
    """Adding a passkey is a change of factors: the password is asked again."""

    def check_can_register(self):
        super().check_can_register()
        if not password_recently_given(self.request):
            raise PasswordNeeded()


class PasskeyRegistrationComplete(CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code < 300:
            services.passkey_added(actor=self.request.user)
            _keep_this_session(self.request, getattr(self.request.user, "otp_device", None))
        return response
