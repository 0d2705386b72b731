import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from accounts.selectors import time_zone_of
from config.http.calendars import display_of


class UserLanguageMiddleware:
    """A logged-in user's preferred language wins over cookie and browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "preferred_language", "") if user is not None else ""
        if language and user.is_authenticated:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class TimeZoneMiddleware:
    """Pages show times in the zone of the user, else of their agency
    (``accounts.selectors.time_zone_of``), and dates in the user's calendar and
    digits (``config.http.calendars``); stored times stay UTC. The API is left
    in UTC and Gregorian: its times are ISO 8601 in UTC whoever asks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            timezone.deactivate()
            return self.get_response(request)
        user = getattr(request, "user", None)
        name = time_zone_of(user) if user is not None else settings.DEFAULT_AGENCY_TIME_ZONE
        try:
            zone = zoneinfo.ZoneInfo(name)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            # A zone removed from the system's database since it was chosen.
            zone = zoneinfo.ZoneInfo(settings.DEFAULT_AGENCY_TIME_ZONE)
        timezone.activate(zone)
        request.time_zone = zone
        # The calendar and digits of the user's pages (Solar Hijri, Persian digits).
        try:
            with display_of(user):
                return self.get_response(request)
        finally:
            timezone.deactivate()
