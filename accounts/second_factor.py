"""The second factor: who must pass it, and what a session that has not may reach.

A factor is a django-otp device: an authenticator app (TOTP), backup codes
(static tokens) or a passkey (django-otp-webauthn). ``SECOND_FACTOR_REQUIRED``
makes supervisors, DPOs, agency administrators and platform staff enrol;
anyone may enrol, and whoever has a factor is always asked for it.

A session that must pass the second factor and has not reaches only the
second-factor pages, logout and the language switch: any other page sends it
there, and the API answers 401 ``otp_required``. Bearer tokens are not
sessions: a token is issued only after the second factor
(``POST /api/v1/auth/token/`` takes ``otp``), so a request carrying one is
left to the API's own authentication.
"""

from functools import cache
from uuid import UUID

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connections
from django.db.models import Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import device_classes

from accounts.models import Membership, User
from accounts.permissions import Role
from config.http.api import problem_response

# Roles whose holders must enrol when SECOND_FACTOR_REQUIRED is on.
REQUIRED_ROLES = frozenset({Role.SUPERVISOR, Role.DPO, Role.AGENCY_ADMIN})

# What a session half-way through the second factor may still open, by URL name.
OPEN_TO_PENDING = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:switch_language",
        "accounts:password_reset_confirm",
        "accounts:password_reset_complete",
        "healthz",
        "readyz",
        "favicon",
    }
)
OPEN_NAMESPACES_TO_PENDING = frozenset({"second_factor", "otp_webauthn"})

# The session keys of the second-factor step.
PASSWORD_AT_SESSION_KEY = "sanad_password_at"  # noqa: S105 - a session key name


def on_logged_in(sender, request, user, **kwargs):
    """A login gives the password: changing one's factors right after needs no second asking."""
    if request is not None and hasattr(request, "session"):
        request.session[PASSWORD_AT_SESSION_KEY] = timezone.now().isoformat()


# A user id no row holds: the placeholder of the prepared statement below.
_PROBE = UUID(int=0)


@cache
def _factor_statement(alias: str, kinds: tuple) -> tuple[str, list, list[int]] | None:
    """The SQL of "any confirmed device of any kind" for the probe user, built
    once per process and database through django-otp's own ``devices_for_user``
    (its conditions, not a copy), with the positions of the user's id among
    its parameters. Compiling the three-way union cost ~1 ms a request."""
    each_kind = [
        model.objects.devices_for_user(User(pk=_PROBE), confirmed=True).values(found=Value(1))
        for model in kinds
    ]
    if not each_kind:
        return None
    first, *others = each_kind
    query = (first.union(*others, all=True) if others else first).query
    sql, params = query.get_compiler(alias).as_sql()
    probe = User._meta.pk.get_db_prep_value(_PROBE, connections[alias])
    positions = [index for index, param in enumerate(params) if param == probe]
    if len(positions) != len(each_kind):  # one user condition a kind, or the SQL is not ours
        raise RuntimeError("Cannot prepare the second-factor statement: no user condition.")
    return f"{sql} LIMIT 1", list(params), positions


def has_factor(user: User) -> bool:
    """Has the user enrolled at least one confirmed factor? One statement
    whatever the number of device kinds (a session that has not passed a
    second factor asks on every request): django-otp's ``devices_for_user``
    would send one per kind and load every device."""
    if user.is_anonymous:
        return False
    alias = User.objects.db
    statement = _factor_statement(alias, tuple(device_classes()))
    if statement is None:
        return False
    sql, params, user_positions = statement
    params = list(params)
    user_id = User._meta.pk.get_db_prep_value(user.pk, connections[alias])
    for position in user_positions:
        params[position] = user_id
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def role_requires_factor(user: User) -> bool:
    """Does one of the user's roles (or platform staff) require a second factor?"""
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, is_active=True, role__in=REQUIRED_ROLES).exists()


def must_use_second_factor(user: User) -> bool:
    """Must this user pass a second factor to get in (pages and new API tokens)?"""
    if not user.is_authenticated:
        return False
    if has_factor(user):
        return True
    return settings.SECOND_FACTOR_REQUIRED and role_requires_factor(user)


def is_pending(request) -> bool:
    """Is this session logged in with its password but not yet past the second factor?"""
    cached = getattr(request, "_second_factor_pending", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    is_verified = getattr(user, "is_verified", None)
    pending = bool(
        user is not None
        and user.is_authenticated
        and not (is_verified is not None and is_verified())
        and must_use_second_factor(user)
    )
    request._second_factor_pending = pending
    return pending


def _carries_bearer_token(request) -> bool:
    return request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer ")


class SecondFactorMiddleware:
    """Keeps a session that has not passed its second factor on the
    second-factor pages (after django-otp's OTPMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/api/") and _carries_bearer_token(request):
            return None
        if not is_pending(request):
            return None
        match = request.resolver_match
        if match is not None and (
            match.view_name in OPEN_TO_PENDING
            or any(namespace in OPEN_NAMESPACES_TO_PENDING for namespace in match.namespaces)
        ):
            return None
        if request.path.startswith("/api/"):
            return problem_response(
                request,
                401,
                "otp_required",
                _("Pass the second factor first, on the second-factor page."),
            )
        target = "second_factor:verify" if has_factor(request.user) else "second_factor:setup"
        return redirect_to_login(request.get_full_path(), reverse(target))


def navigation(request) -> dict:
    """Templates: whether this session is half-way through the second factor
    (the navigation is hidden), and whether the server requires it at all."""
    return {
        "second_factor_pending": is_pending(request),
        "second_factor_off": not settings.SECOND_FACTOR_REQUIRED,
    }
