"""The access log's stored codes in words, for the pages that show it: a
user agent as its browser and system families ("Firefox · Linux"), a record
type as the record's name in the reader's language ("client", "referral
packet") instead of ``casework.client``.

The stored row keeps the full user agent and the code: the page shows the
short form and the full one on demand; the API returns both.
"""

import re

from django.apps import apps

# --- User agents ------------------------------------------------------------------------

# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari", every
# Android browser says "Linux", an iPhone says "like Mac OS X".
_BROWSERS: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), name)
    for pattern, name in (
        (r"\bEdg(e|A|iOS)?/", "Edge"),
        (r"\b(OPR|Opera|OPiOS)/", "Opera"),
        (r"\bSamsungBrowser/", "Samsung Internet"),
        (r"\bYaBrowser/", "Yandex"),
        (r"\bVivaldi/", "Vivaldi"),
        (r"\b(Firefox|FxiOS)/", "Firefox"),
        (r"\b(Chrome|CriOS|Chromium|HeadlessChrome)/", "Chrome"),
        (r"\bVersion/[\d.]+.*\bSafari/", "Safari"),
        (r"\b(MSIE |Trident/)", "Internet Explorer"),
        (r"^curl/", "curl"),
        (r"^Wget/", "Wget"),
        (r"^python-requests/", "Python requests"),
        (r"^python-httpx/", "Python httpx"),
        (r"^Python-urllib/", "Python urllib"),
        (r"^HTTPie/", "HTTPie"),
        (r"^PostmanRuntime/", "Postman"),
        (r"^okhttp/", "OkHttp"),
        (r"^Go-http-client/", "Go"),
        (r"^Java/|^Apache-HttpClient/", "Java"),
        (r"^node-fetch|^axios/|^undici", "Node.js"),
        (r"^Dart/", "Dart"),
    )
)
_SYSTEMS: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), name)
    for pattern, name in (
        (r"\bWindows\b", "Windows"),
        (r"\bAndroid\b", "Android"),
        (r"\b(iPhone|iPad|iPod)\b|\biOS\b", "iOS"),
        (r"\bCrOS\b", "ChromeOS"),
        (r"\bMac OS X\b|\bMacintosh\b", "macOS"),
        (r"\b(Ubuntu|Debian|Fedora|Linux|X11)\b", "Linux"),
        (r"\bFreeBSD\b|\bOpenBSD\b", "BSD"),
    )
)
_PRODUCT = re.compile(r"^([A-Za-z][\w.\-]{0,30})/")


def short_user_agent(user_agent: str) -> str:
    """The browser (or program) and operating-system families of a user
    agent, e.g. "Firefox · Linux", "Safari · iOS", "curl"; the first product
    name when neither is known; "" for none. Family names are proper names:
    not translated."""
    user_agent = (user_agent or "").strip()
    if not user_agent:
        return ""
    browser = next((name for pattern, name in _BROWSERS if pattern.search(user_agent)), "")
    system = next((name for pattern, name in _SYSTEMS if pattern.search(user_agent)), "")
    if not browser and not system:
        product = _PRODUCT.match(user_agent)
        return product.group(1) if product else user_agent[:24]
    return " · ".join(part for part in (browser, system) if part)


# --- Record types ----------------------------------------------------------------------

# Codes of records that moved between apps: rows keep the code they were written with.
_MOVED = {
    "casework.legalhold": "privacy.legalhold",
    "casework.retentionpolicy": "privacy.retentionpolicy",
    "casework.erasure": "privacy.erasure",
}
# A refused request names the record by its address's parameter (``case_id`` → "case").
_ROUTE_NAMES = {
    "client": "casework.client",
    "case": "casework.case",
    "document": "casework.document",
    "consent": "casework.consent",
    "follow_up": "casework.followup",
    "referral": "referrals.referral",
    "service": "referrals.service",
    "hold": "privacy.legalhold",
    "agreement": "accounts.emergencyaccessagreement",
    "membership": "accounts.membership",
    "token": "accounts.apitoken",
}


def record_type_label(object_type: str) -> str:
    """What kind of record an access-log row names, in words and in the
    active language ("client", "case", "referral packet"); the stored code
    itself when Sanad no longer knows it; "" for none."""
    if not object_type:
        return ""
    label = _MOVED.get(object_type) or _ROUTE_NAMES.get(object_type) or object_type
    if "." not in label:
        return object_type
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)
