"""Sanad settings: one file, read from the environment.

The embedded default (no environment at all besides DEBUG=1) runs on a SQLite
file with tasks inline and files on local disk. Production sets SECRET_KEY,
ACCESS_LOG_KEYS, DATABASE_URL, ALLOWED_HOSTS, CELERY_BROKER_URL and friends;
see docs/deployment.md.
"""

import os
import re
import secrets
import tempfile
import zoneinfo
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# The production profile (docs/deployment.md, "Production profile"): HTTPS only
# (redirect, HSTS, secure cookies), API docs behind a login, and DEBUG refused.
# `manage.py check --deploy --fail-level WARNING` passes with it (CI runs it).
DJANGO_ENV = env_str("DJANGO_ENV", "")
if DJANGO_ENV not in {"", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'production' or unset, got {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "DEBUG must be off when DJANGO_ENV=production: its error pages show settings and data."
    )

# Runtime state of the embedded default: the SQLite file, private uploads and
# the development secret key. Nothing in here is served by any URL.
VAR_DIR = Path(env_str("SANAD_VAR_DIR", str(BASE_DIR / "var")))


def _development_secret_key(name: str = "secret_key") -> str:
    """A random key kept in var/ so that DEBUG sessions (and the demo's access
    log) survive a restart."""
    key_file = VAR_DIR / name
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "value (python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "django_htmx",
    "django_countries",
    "axes",
    # Second factor: TOTP, backup codes and passkeys (accounts.second_factor).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "accounts",
    "casework",
    "referrals",
    "privacy",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The API's Location headers are absolute URIs, as its schema says.
    "config.http.middleware.AbsoluteLocationMiddleware",
    # No API answer is kept by a browser or a proxy (Cache-Control: no-store).
    "config.http.middleware.NoStoreAPIMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed the second factor?
    "django_otp.middleware.OTPMiddleware",
    # A session that must pass it and has not reaches only the second-factor pages.
    "accounts.second_factor.SecondFactorMiddleware",
    # Signed-in sessions end after SESSION_IDLE_TIMEOUT / SESSION_ABSOLUTE_TIMEOUT.
    "accounts.sessions.SessionTimeoutMiddleware",
    # One access-log row per request that reads personal data (accounts.access).
    "accounts.access.AccessLogMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    # Pages show times in the user's zone, else their agency's (not the API: UTC).
    "accounts.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that lockouts see the final response of a failed login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "referrals.context_processors.navigation_counts",
            ],
            # |local_time: every time shown carries its zone (config/http/times.py).
            "builtins": ["config.http.times"],
        },
    },
]

# --- Database --------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "sanad.sqlite3")),
        }
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Every SQLite database gets these, however it is named (the embedded
    # default or DATABASE_URL=sqlite:///…): without them two people working at
    # once get "database is locked". Options written in the URL come on top.
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so a
        # read-modify-write inside transaction.atomic cannot interleave
        # (select_for_update is a no-op on SQLite).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA foreign_keys=ON;"
        ),
        **DATABASES["default"].get("OPTIONS", {}),
    }
    # A file, not memory: concurrency tests need real separate connections.
    DATABASES["default"]["TEST"] = {
        "NAME": env_str("SQLITE_TEST_PATH", "")
        or str(Path(tempfile.gettempdir()) / f"sanad-test-{os.getpid()}.sqlite3")
    }
else:
    # One test database per test process, so parallel runs on one server never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.AgencyRoleBackend",
    "casework.backends.CaseworkBackend",
    "referrals.backends.ReferralBackend",
    "accounts.backends.GrantBackend",
]
# accounts.backends.GrantBackend is guardian's backend, narrowed to the grant tables.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
# Models whose exceptions to the agency rule are guardian rows (direct FK tables).
SANAD_GRANT_MODELS = {"casework.case", "casework.client", "referrals.referral"}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
# A signed-in session ends after this long without a request
# (accounts.sessions.SessionTimeoutMiddleware), and this long after signing
# in whatever the activity. Bearer tokens are not sessions: they expire after
# API_TOKEN_TTL_DAYS.
SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("SESSION_IDLE_MINUTES", 30))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env_int("SESSION_ABSOLUTE_HOURS", 12))
if not timedelta(0) < SESSION_IDLE_TIMEOUT <= SESSION_ABSOLUTE_TIMEOUT:
    raise ImproperlyConfigured(
        "SESSION_IDLE_MINUTES must be positive and at most SESSION_ABSOLUTE_HOURS."
    )
# The cookie (and the stored session) lives no longer than the absolute limit.
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
if PRODUCTION and not SESSION_COOKIE_SECURE:
    raise ImproperlyConfigured("SECURE_COOKIES cannot be off when DJANGO_ENV=production.")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HTTPS only in production: plain HTTP is redirected, except the health checks
# (a load balancer may probe them over HTTP), and browsers are told to use HTTPS
# for a year (HSTS). Behind a TLS proxy set BEHIND_TLS_PROXY=1, or every
# request looks like HTTP and is redirected for ever.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Having browsers hard-code HTTPS for the whole domain (hstspreload.org) is
    # the domain owner's decision, hard to undo: not a default. Django's
    # reminder (security.W021) is silenced until SECURE_HSTS_PRELOAD=1.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp; docs/deployment.md):
# scripts and styles only from Sanad's own static files, never inline (no
# <script> without src, no <style>, no style="", no onclick=; tests/test_csp.py
# and the browser step check the pages), no plugins, no <base>, never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"

# Second factor (accounts.second_factor). Required of supervisors, DPOs, agency
# admins and staff; anyone may enrol, and once enrolled is always asked. On by
# default; off only when DEBUG is on and the variable is unset (the embedded
# demo opens with the printed logins, and its pages say the second factor is off).
SECOND_FACTOR_REQUIRED = env_bool("SECOND_FACTOR_REQUIRED", not DEBUG)
# Changing one's factors asks for the password again unless it was given this recently.
SECOND_FACTOR_REAUTH_MINUTES = env_int("SECOND_FACTOR_REAUTH_MINUTES", 5)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Sanad")
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
# A passkey is a second factor here, never a way around the password.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "sanad.passkeys"

# Brute-force protection for the login form and the token endpoint.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The login form and the token endpoint both pass the e-mail as "username".
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False  # its log lines would carry e-mail addresses
# Even so its lines name the lockout parameters: the typed e-mail and the address.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "user_agent"]
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# History rows: who changed what and why (reasons can be long; ids are not guessable).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_HISTORY_ID_USE_UUID = True

# The guardian anonymous user is not needed: anonymous requests see nothing.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 90)
# The version of the information notice clients are given with a consent.
CONSENT_NOTICE_VERSION = env_str("CONSENT_NOTICE_VERSION", "2026-01")

# --- Internationalisation ------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("fa", _("Persian")),
    ("fr", _("French")),
    ("uk", _("Ukrainian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Stored times are UTC; pages show them in the user's or their agency's zone
# (accounts.middleware.TimeZoneMiddleware).
TIME_ZONE = "UTC"
USE_TZ = True
# The time zone of a new agency, and of pages for someone without one (an IANA name).
DEFAULT_AGENCY_TIME_ZONE = env_str("DEFAULT_AGENCY_TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(DEFAULT_AGENCY_TIME_ZONE)
except (ValueError, zoneinfo.ZoneInfoNotFoundError):
    raise ImproperlyConfigured(
        "DEFAULT_AGENCY_TIME_ZONE must be an IANA time zone name such as Europe/Rome, "
        f"got {DEFAULT_AGENCY_TIME_ZONE!r}."
    ) from None

# --- Files -----------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
# No URL pattern serves this prefix: files leave only through permission-checked views.
MEDIA_URL = "/private/"
MEDIA_ROOT = PRIVATE_MEDIA_ROOT
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": PRIVATE_MEDIA_ROOT,
            "directory_permissions_mode": 0o700,
            "file_permissions_mode": 0o600,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Documents and report files in an S3-compatible store instead of the folder
# above: a private bucket (no public ACL, no public URL). Files leave only
# through the permission-checked views, which read them and stream them; a
# signed URL is never handed out. Credentials: the standard AWS variables
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the machine's role.
S3_BUCKET = env_str("S3_BUCKET")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "location": env_str("S3_PREFIX"),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 60,
            # MinIO, Ceph and other stores on one host name want path-style addresses.
            "addressing_style": env_str("S3_ADDRESSING_STYLE") or None,
            "object_parameters": (
                {"ServerSideEncryption": env_str("S3_SERVER_SIDE_ENCRYPTION")}
                if env_str("S3_SERVER_SIDE_ENCRYPTION")
                else {}
            ),
        },
    }
FILE_UPLOAD_PERMISSIONS = 0o600
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Cache, mail, background work -------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Passkeys: the relying party is the host SITE_URL names; only its origin may use
# them. Browsers allow passkeys over https, or over plain http on "localhost" only
# (never on an IP address): a plain-http SITE_URL (the embedded demo) offers them
# at http://localhost:<its port>.
_site = urlsplit(SITE_URL)
if _site.scheme == "https":
    OTP_WEBAUTHN_RP_ID = _site.hostname or "localhost"
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [SITE_URL]
else:
    OTP_WEBAUTHN_RP_ID = "localhost"
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [
        f"http://localhost:{_site.port}" if _site.port else "http://localhost"
    ]
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Sanad <no-reply@localhost>")

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
# Without a broker, tasks run inline (the embedded default).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# The access log is spread over this many hash chains (one lock each).
ACCESS_LOG_CHAINS = env_int("ACCESS_LOG_CHAINS", 8)


def env_access_log_keys(name: str) -> dict[str, str]:
    """``id:secret`` pairs, comma-separated, the current key first. Never echoes a secret."""
    keys: dict[str, str] = {}
    for item in env_list(name, []):
        key_id, colon, secret = item.partition(":")
        if not colon or not re.fullmatch(r"[A-Za-z0-9_.-]{1,16}", key_id) or len(secret) < 32:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated id:secret pairs, the current key first: an id "
                "of 1-16 letters, digits, '.', '_' or '-', and a secret of at least 32 characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"{name} names the key id {key_id!r} twice.")
        keys[key_id] = secret
    return keys


# The access log's rows and checkpoints are HMAC-SHA256'd with a key kept out of
# the database, so that someone who can write to the database cannot rewrite a
# chain. Retired keys stay listed after the current one: the rows they hashed
# name them and still verify (docs/deployment.md, "Access-log keys").
ACCESS_LOG_KEYS = env_access_log_keys("ACCESS_LOG_KEYS")
if not ACCESS_LOG_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "ACCESS_LOG_KEYS is not set. Set it to an id and a long random secret, e.g. "
            "ACCESS_LOG_KEYS=1:$(python -c 'import secrets; print(secrets.token_urlsafe(32))'), "
            "kept outside the database, or set DEBUG=1 for local development."
        )
    ACCESS_LOG_KEYS = {"dev": _development_secret_key("access_log_key")}
# The chains' heads are written here (one signed JSON line each time, appended,
# never rewritten), so that rows cut from the end of a chain, a whole chain or
# an emptied table show in verify_access_log.
ACCESS_LOG_CHECKPOINT_PATH = Path(
    env_str("ACCESS_LOG_CHECKPOINT_PATH", str(VAR_DIR / "access_log_checkpoints.jsonl"))
)
ACCESS_LOG_CHECKPOINT_MINUTES = env_int("ACCESS_LOG_CHECKPOINT_MINUTES", 15)
# Only for a database holding rows written before the log was keyed (plain
# SHA-256, empty key id): anyone who can write to the database can forge such
# rows, so verify_access_log reports them unless this is on.
ACCESS_LOG_ACCEPT_UNKEYED = env_bool("ACCESS_LOG_ACCEPT_UNKEYED", False)
# Copies of each checkpoint kept beyond this server's reach: by e-mail, and by
# syslog ("/dev/log", "host" or "host:port", UDP) on the logger
# sanad.access_log.checkpoint.
ACCESS_LOG_CHECKPOINT_EMAILS = env_list("ACCESS_LOG_CHECKPOINT_EMAILS", [])
ACCESS_LOG_CHECKPOINT_SYSLOG = env_str("ACCESS_LOG_CHECKPOINT_SYSLOG")
# How long a supervisor's emergency access to a case lasts.
BREAK_GLASS_HOURS = env_int("BREAK_GLASS_HOURS", 3)
# A sent referral past its respond-by date is overdue; this many days later,
# still unanswered, it expires and the partner loses access.
REFERRAL_EXPIRY_GRACE_DAYS = env_int("REFERRAL_EXPIRY_GRACE_DAYS", 7)
# An integration plan with an open action nobody moved on for this many days
# is "stalled" on its agency supervisors' home page.
PLAN_STALLED_DAYS = env_int("PLAN_STALLED_DAYS", 30)
# Spreadsheet imports: the largest file accepted, how many rows one
# transaction writes (a larger file is written batch by batch, resumably), and
# for how many days an import can be undone while nothing it made has changed.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MB", 20) * 1024 * 1024
IMPORT_BATCH_ROWS = env_int("IMPORT_BATCH_ROWS", 1000)
IMPORT_UNDO_DAYS = env_int("IMPORT_UNDO_DAYS", 7)
# The uploaded file holds many people's data: the hourly sweep deletes it once
# the undo window is over, and that of a checked (or failed) import nobody ran
# for this many days, which closes the import.
IMPORT_STALE_DAYS = env_int("IMPORT_STALE_DAYS", 7)
# An import still running after this many minutes has lost its worker: the
# hourly sweep fails it (an all-or-nothing one first removes what it wrote).
IMPORT_RUN_TIMEOUT_MINUTES = env_int("IMPORT_RUN_TIMEOUT_MINUTES", 60)
# Report jobs' files are deleted this many days after they are ready.
REPORT_FILE_DAYS = env_int("REPORT_FILE_DAYS", 7)
# A report job still running after this many minutes is taken to have lost its
# worker: a redelivered task takes it again, the hourly sweep fails it.
REPORT_JOB_TIMEOUT_MINUTES = env_int("REPORT_JOB_TIMEOUT_MINUTES", 30)
# `celery -A config beat` runs these; without a broker, run
# `manage.py expire_referrals` from cron instead.
CELERY_BEAT_SCHEDULE = {
    # Hourly: a day begins at a different hour in each time zone. Without a
    # broker: `manage.py notify_follow_ups` from cron.
    "notify-follow-ups-due": {
        "task": "casework.tasks.notify_follow_ups_due_task",
        "schedule": 60 * 60,
    },
    "expire-overdue-referrals": {
        "task": "referrals.tasks.expire_overdue_referrals_task",
        "schedule": 60 * 60,
    },
    "apply-retention": {
        "task": "privacy.tasks.apply_retention_task",
        "schedule": 24 * 60 * 60,
    },
    # Without a broker: `manage.py delete_expired_reports` from cron.
    "delete-expired-report-files": {
        "task": "reports.tasks.delete_expired_report_files_task",
        "schedule": 60 * 60,
    },
    # Without a broker: `manage.py delete_expired_imports` from cron.
    "delete-expired-import-files": {
        "task": "casework.tasks.delete_expired_import_files_task",
        "schedule": 60 * 60,
    },
    # Without a broker: `manage.py checkpoint_access_log` from cron.
    "checkpoint-access-log": {
        "task": "accounts.tasks.checkpoint_access_log_task",
        "schedule": ACCESS_LOG_CHECKPOINT_MINUTES * 60,
    },
}

# --- API -----------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.http.pagination.KeysetCursorPagination",
    "PAGE_SIZE": 50,
    # The browsable API with DEBUG only: never in production, which refuses DEBUG.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["config.http.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "60/min"),
        "user": env_str("THROTTLE_USER", "1200/min"),
        "auth": env_str("THROTTLE_AUTH", "20/min"),
    },
    "EXCEPTION_HANDLER": "config.http.api.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.http.schema.ProblemAutoSchema",
    # Request bodies are JSON (a form cannot say null, a list or an object); the
    # document upload alone takes multipart (casework.api.case_items). Anything
    # else is a 415.
    "DEFAULT_PARSER_CLASSES": ["config.http.parsers.JSONParser"],
    "DEFAULT_METADATA_CLASS": "config.http.metadata.APIMetadata",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# /api/docs/ and /api/schema/ without signing in (config.http.docs). Off in
# production: there the page asks for a login and the schema for a session or a
# bearer token.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", not PRODUCTION)

SPECTACULAR_SETTINGS = {
    "TITLE": "Sanad API",
    "DESCRIPTION": (
        "Case management for NGOs and public offices working with migrants and refugees.\n\n"
        "Authenticate with `Authorization: Bearer <token>` (obtain one at "
        "`POST /api/v1/auth/token/`). Every error is an RFC 9457 problem document "
        "(`application/problem+json`) with a machine-readable `code`; validation errors "
        "list the fields at fault in `errors`. Lists are paginated (at most 100 items a page)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]",
    # One name per choice set, whatever the field carrying it is called: every
    # enum of the schema is named here, for what it is (tests/test_schema.py
    # checks that none is left to drf-spectacular's naming), and a request and
    # an answer that take the same choices share its component. The blank
    # choice of a field that may be blank is drf-spectacular's ``BlankEnum``.
    "ENUM_NAME_OVERRIDES": {
        # accounts
        "AgencyKind": "accounts.models.Agency.Kind",
        "MembershipRole": "accounts.permissions.Role",
        "AccessLogAction": "accounts.models.AccessLog.Action",
        "AccessLogOutcome": "accounts.models.AccessLog.Outcome",
        "Language": LANGUAGES,
        "TimeZone": "accounts.validation.time_zone_names",
        "Calendar": "accounts.models.Calendar",
        "Digits": "accounts.models.Digits",
        # casework
        "Country": "casework.api.clients.COUNTRY_CODES",
        "ImportFormat": "casework.models.ClientImport.Format",
        "ImportState": "casework.models.ClientImport.State",
        "ImportMode": "casework.models.ClientImport.Mode",
        "ImportErrorCode": "casework.models.ClientImport.ErrorCode",
        "ImportRowOutcome": "casework.models.ImportRow.Outcome",
        "ImportRowDecision": "casework.models.imports.DECISIONS",
        "ImportRowResult": "casework.models.imports.RESULTS",
        "CountryAnyCase": "casework.api.clients.COUNTRY_CODES_ANY_CASE",
        "Sex": "casework.models.Sex",
        "LegalStatus": "casework.models.LegalStatus",
        "Vulnerability": "casework.models.ClientSensitive.Vulnerability",
        "IdentityDocumentType": "casework.models.IdentityDocument.Type",
        "CaseType": "casework.models.Case.Type",
        "CaseStatus": "casework.models.Case.Status",
        "RiskLevel": "casework.models.Case.Risk",
        "CaseClosureReason": "casework.models.Case.ClosureReason",
        "NoteKind": "casework.models.CaseNote.Kind",
        "DocumentCategory": "casework.models.Document.Category",
        "HistoryObject": "casework.api.case_items.HISTORY_OBJECTS",
        "HistoryAction": "casework.api.case_items.HISTORY_ACTIONS",
        "DataCategory": "casework.models.DataCategory",
        "ServiceCategory": "casework.models.ServiceCategory",
        "ConsentPurpose": "casework.models.Consent.Purpose",
        "LawfulBasis": "casework.models.Consent.LawfulBasis",
        "SpecialCategoryCondition": "casework.models.Consent.SpecialCategoryCondition",
        "ConsentGivenBy": "casework.models.Consent.GivenBy",
        "ConsentMethod": "casework.models.Consent.Method",
        "ConsentStatus": "casework.models.Consent.Status",
        "ConsentGapCode": "casework.api.consent.GAP_CODES",
        "PlanDomain": "casework.models.PlanDomain",
        "PlanGoalPriority": "casework.models.PlanGoal.Priority",
        "PlanGoalStatus": "casework.models.PlanGoal.Status",
        "PlanActionResponsible": "casework.models.PlanAction.Responsible",
        "PlanActionStatus": "casework.models.PlanAction.Status",
        "PlanAgreementMethod": "casework.models.PlanAgreement.Method",
        # referrals
        "ServiceStatus": "referrals.models.Service.Status",
        "ReferralState": "referrals.models.Referral.State",
        "ReferralUrgency": "referrals.models.Referral.Urgency",
        "ReferralTransition": "referrals.models.Referral.Action",
        "ReferralAction": "referrals.api.common.ACTIONS",
        "ReferralDirection": "referrals.api.common.DIRECTIONS",
        "ReferralEventKind": "referrals.models.ReferralEvent.Kind",
        "ReferralRefusalCode": "referrals.api.common.REFUSAL_CODES",
        "AssigneeRole": "referrals.api.assignees.ASSIGNEE_ROLE_CHOICES",
        # privacy
        "ErasureCause": "privacy.models.Erasure.Cause",
        "EmergencyAccessDirection": "privacy.api.break_glass.EMERGENCY_ACCESS_DIRECTIONS",
        "RetentionKind": "privacy.models.RetentionPolicy.Kind",
        # reports
        "ReportJobKind": "reports.models.ReportJob.Kind",
        "ReportJobFormat": "reports.models.ReportJob.Format",
        "ReportJobState": "reports.models.ReportJob.State",
        "ReportJobErrorCode": "reports.api.jobs.ERROR_CODES",
        "SuppressionReason": "reports.api.statistics.SUPPRESSION_REASONS",
    },
    "POSTPROCESSING_HOOKS": [
        # drf-spectacular's, and the query parameters' enums as references too.
        "config.http.enums.postprocess_schema_enums",
        "config.http.schema.postprocess_enum_member_names",
    ],
}

# --- Logging: ids only, never personal data ------------------------------------

# Every handler carries the "personal_data" filter (config/logging.py): paths
# become routes, exceptions keep their type and traceback but not their
# message, header values and SQL are withheld. A handler added here needs it
# too (tests/test_logging_privacy.py checks).
# "plain" lines for a person, or "json": one object a line for a log collector.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "config.logging.WithoutPersonalData"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonLines"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers (a console without the filter, mail to ADMINS with
        # the request in it; the development server's lines) are replaced: its
        # records go up to the root's filtered console like everyone's.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "axes": {"level": "WARNING"},
        # One line per inline task run would drown the server log in eager mode.
        "celery.app.trace": {"level": "WARNING"},
        # WeasyPrint narrates every step and font subset; only its errors matter
        # (a refused URL: reports.pdf fetches static files only).
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
        # Chain heads only (positions and hashes); see ACCESS_LOG_CHECKPOINT_SYSLOG.
        "sanad.access_log.checkpoint": {"level": "INFO"},
    },
}
if ACCESS_LOG_CHECKPOINT_SYSLOG:
    if ACCESS_LOG_CHECKPOINT_SYSLOG.startswith("/"):
        _syslog_address: str | tuple[str, int] = ACCESS_LOG_CHECKPOINT_SYSLOG
    else:
        _host, _colon, _port = ACCESS_LOG_CHECKPOINT_SYSLOG.partition(":")
        if not _host or (_colon and not _port.isdigit()):
            raise ImproperlyConfigured(
                "ACCESS_LOG_CHECKPOINT_SYSLOG must be a socket path (/dev/log), a host or "
                f"host:port, got {ACCESS_LOG_CHECKPOINT_SYSLOG!r}."
            )
        _syslog_address = (_host, int(_port or 514))
    LOGGING["handlers"]["checkpoint_syslog"] = {
        "class": "logging.handlers.SysLogHandler",
        "address": _syslog_address,
        "facility": "auth",
        "formatter": "plain",
        "filters": ["personal_data"],
    }
    LOGGING["loggers"]["sanad.access_log.checkpoint"]["handlers"] = ["checkpoint_syslog"]
