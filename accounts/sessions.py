"""How long a signed-in session lasts.

A session ends after ``SESSION_IDLE_TIMEOUT`` without a request (30 minutes
by default) and ``SESSION_ABSOLUTE_TIMEOUT`` after signing in (12 hours),
whatever the activity. The session keeps when it signed in and when it was
last seen, as Unix seconds; the last-seen time is written at most once every
``ACTIVITY_RESOLUTION``, so a page view is not a write to the session table
(the idle limit is therefore kept to within that resolution).

An ended session is logged out (the access log records the logout) and
flushed. A page then goes to the login form with a sentence saying why (an
htmx request is told to go there with ``HX-Redirect``); an API request goes on
as anonymous and gets the API's usual 401/403.

Not activity: a request that carries a bearer token (tokens are not sessions
and expire on their own) and an automatic poll (a request with the
``X-Sanad-Poll`` header, e.g. the report job's progress), so a page left open
does not keep its session alive for ever. A poll still ends a session that is
over its limits.

Ending every session of a user at once (password change, lost role, "sign
out everywhere") is the session stamp's job: ``accounts.services.sessions``.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone, translation
from django.utils.translation import ngettext

SIGNED_IN_AT = "sanad_signed_in_at"
SEEN_AT = "sanad_seen_at"
ACTIVITY_RESOLUTION = timedelta(minutes=1)
POLL_HEADER = "HTTP_X_SANAD_POLL"

IDLE = "idle"
ABSOLUTE = "absolute"


def _now() -> int:
    return int(timezone.now().timestamp())


def on_logged_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: the session's clocks start now."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = _now()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def _carries_bearer_token(request: HttpRequest) -> bool:
    return request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer ")


def ended_because(session, now: int) -> str | None:
    """Why this signed-in session is over (``IDLE`` or ``ABSOLUTE``), or None.
    A session from before these clocks existed starts them now."""
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        session[SIGNED_IN_AT] = signed_in_at if isinstance(signed_in_at, int) else now
        session[SEEN_AT] = seen_at if isinstance(seen_at, int) else now
        return None
    if now - signed_in_at >= settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds():
        return ABSOLUTE
    if now - seen_at >= settings.SESSION_IDLE_TIMEOUT.total_seconds():
        return IDLE
    return None


def ended_message(reason: str) -> str:
    """The sentence the login form shows after a session ended."""
    if reason == IDLE:
        minutes = int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60)
        return ngettext(
            "Your session ended after %(minutes)d minute without activity; sign in again.",
            "Your session ended after %(minutes)d minutes without activity; sign in again.",
            minutes,
        ) % {"minutes": minutes}
    hours = int(settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() // 3600)
    return ngettext(
        "Your session ended after %(hours)d hour; sign in again.",
        "Your session ended after %(hours)d hours; sign in again.",
        hours,
    ) % {"hours": hours}


class SessionTimeoutMiddleware:
    """Ends a signed-in session that has been idle too long or is older than
    the absolute limit; records its activity to the minute (see module doc).
    After AuthenticationMiddleware, before the access log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None or _carries_bearer_token(request) or SESSION_KEY not in session:
            return self.get_response(request)
        now = _now()
        reason = ended_because(session, now)
        if reason is not None:
            return self._end(request, reason)
        if POLL_HEADER not in request.META and now - session[SEEN_AT] >= (
            ACTIVITY_RESOLUTION.total_seconds()
        ):
            session[SEEN_AT] = now
        return self.get_response(request)

    def _end(self, request: HttpRequest, reason: str) -> HttpResponse:
        language = getattr(request.user, "preferred_language", "") or translation.get_language()
        logout(request)
        if request.path.startswith("/api/"):
            # Anonymous from here on: the API answers 401/403 as for anyone.
            return self.get_response(request)
        login_url = resolve_url(settings.LOGIN_URL)
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
        elif request.method in ("GET", "HEAD") and request.path != login_url:
            response = redirect_to_login(request.get_full_path(), login_url)
        else:
            response = HttpResponseRedirect(login_url)
        # MessageMiddleware has not run yet: store the sentence with the
        # message storage's own API, as it would.
        storage = default_storage(request)
        with translation.override(language):
            storage.add(messages.INFO, ended_message(reason))
        storage.update(response)
        return response
