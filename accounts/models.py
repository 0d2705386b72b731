import copy
import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, PermissionsMixin, _user_has_perm
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from accounts.permissions import Role
from accounts.tracking import TrackedManager, TrackedUserManager
from accounts.validation import default_time_zone, validate_time_zone

language_code_validator = RegexValidator(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", _("Use a language code such as 'ar', 'fa' or 'fr'.")
)


class UserManager(TrackedUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # E-mails are stored lower-case, so the unique index answers this.
        return self.get(email=(username or "").strip().lower())


class Calendar(models.TextChoices):
    """The calendar a user's pages write dates in (config.http.calendars)."""

    GREGORIAN = "gregorian", _("Gregorian")
    SOLAR_HIJRI = "solar_hijri", _("Solar Hijri (Persian)")


class Digits(models.TextChoices):
    """The digits a user's pages write dates in."""

    LATIN = "latin", _("Western (0123456789)")
    PERSIAN = "persian", _("Persian (۰۱۲۳۴۵۶۷۸۹)")


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Identified by e-mail; works for one or more agencies."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email address"), max_length=254, unique=True)
    display_name = models.CharField(_("display name"), max_length=150)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
    # Blank: the time zone of the user's agency (accounts.middleware).
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Leave blank to use your agency's time zone."),
    )
    # How pages write dates; stored and API dates stay Gregorian.
    calendar = models.CharField(
        _("calendar"), max_length=16, choices=Calendar.choices, default=Calendar.GREGORIAN
    )
    digits = models.CharField(
        _("digits"), max_length=16, choices=Digits.choices, default=Digits.LATIN
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Rotated to end every session of the user at once (see get_session_auth_hash).
    session_stamp = models.UUIDField(default=uuid.uuid4, editable=False)

    history = HistoricalRecords(excluded_fields=["password", "last_login", "session_stamp"])

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name or str(self.pk)

    def clean(self):
        super().clean()
        self.email = self.email.strip().lower()

    def save(self, *args, **kwargs):
        # Stored lower-case, so the unique index is case-insensitive in effect.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def has_perm(self, perm, obj=None):
        # Need to know: being a platform superuser gives no implicit access to
        # any agency's records; object checks go through the backends only.
        if obj is not None and self.is_superuser:
            plain = copy.copy(self)
            plain.is_superuser = False
            return _user_has_perm(plain, perm, obj)
        return super().has_perm(perm, obj)

    # Sessions carry an HMAC of (password hash, session stamp): changing either
    # logs the user out everywhere on their next request.
    def _session_hash(self, secret=None) -> str:
        return salted_hmac(
            "sanad.accounts.User.session",
            f"{self.password}:{self.session_stamp}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_session_auth_hash(self) -> str:
        return self._session_hash()

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback_secret)


class Agency(models.Model):
    """An NGO, public office or other organisation using Sanad."""

    class Kind(models.TextChoices):
        NGO = "ngo", _("NGO")
        PUBLIC_OFFICE = "public_office", _("Public office")
        INTERNATIONAL = "international", _("International organisation")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(
        _("short name"),
        max_length=20,
        unique=True,
        help_text=_("Lower-case letters, digits and hyphens; used in case numbers."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    country = CountryField(_("country"))
    city = models.CharField(_("city"), max_length=100, blank=True)
    languages = models.JSONField(
        _("languages"), default=list, blank=True, help_text=_("Language codes, e.g. ar, fr.")
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    address = models.TextField(_("address"), blank=True)
    is_public_authority = models.BooleanField(
        _("public authority"),
        default=False,
        help_text=_("Public authorities may not rely on legitimate interests (GDPR Art. 6(1))."),
    )
    data_sharing_agreement_valid_until = models.DateField(
        _("data-sharing agreement valid until"), null=True, blank=True
    )
    # Times are stored in UTC and shown in this zone to the agency's members.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("An IANA time zone name, e.g. Europe/Rome."),
    )
    # The supervisor's home lists open cases with nothing written for this long.
    inactivity_days = models.PositiveSmallIntegerField(
        _("days without activity"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "An open case with no note, follow-up or change for this many days"
            " is listed as inactive."
        ),
    )
    # Statistics and registers show every aggregate cell below this as "<k"
    # (small-cell suppression): a count of 2 Eritrean women in one town names them.
    small_cell_threshold = models.PositiveSmallIntegerField(
        _("smallest count shown in statistics"),
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text=_(
            "Counts below this number are shown as “<k” in statistics, registers"
            " and their exports, and enough other cells are hidden that totals"
            " cannot reveal them."
        ),
    )
    # Uploaded PDFs with scripts, actions or attached files are refused unless
    # the agency needs them (fillable forms with scripts, e.g.); see
    # casework/services/file_checks.py.
    allow_active_pdf = models.BooleanField(
        _("accept PDFs with scripts or attachments"),
        default=False,
        help_text=_(
            "Uploaded PDFs that contain scripts, automatic actions or attached files are"
            " refused unless this is on."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]
        permissions = [
            ("manage_members", "Manage the agency's members"),
            ("manage_agency", "Manage the agency's profile, services and agreements"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if not isinstance(self.languages, list):
            from django.core.exceptions import ValidationError

            raise ValidationError({"languages": _("Give a list of language codes.")})
        for code in self.languages:
            language_code_validator(code)

    def has_valid_data_sharing_agreement(self, on=None) -> bool:
        on = on or timezone.now().date()
        valid_until = self.data_sharing_agreement_valid_until
        return valid_until is not None and valid_until >= on


class EmergencyAccessAgreement(models.Model):
    """An agency's prior written opt-in that a partner agency's supervisors may
    break the glass on its cases in an emergency (DESIGN §5). Without an active
    one, another agency's case answers like a case that does not exist.
    Recorded and withdrawn by the owning agency's administrator; never deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="emergency_access_granted",
        verbose_name=_("owning agency"),
    )
    partner = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="emergency_access_received",
        verbose_name=_("partner agency"),
    )
    reference = models.CharField(
        _("written agreement"),
        max_length=200,
        help_text=_("The signed agreement's reference and date, e.g. DSA-2026-07 of 2026-03-02."),
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        "User", on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_by = models.ForeignKey(
        "User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("emergency access agreement")
        verbose_name_plural = _("emergency access agreements")
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "partner"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="emergency_access_once_per_partner",
                violation_error_message=_(
                    "This partner already has an active emergency access agreement."
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(agency=models.F("partner")),
                name="emergency_access_other_agency",
                violation_error_message=_("Choose another agency than your own."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.pk)

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class RoleGroup(models.Model):
    """Links the Django group of one (agency, role) to that agency and role."""

    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="agency_role")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="role_groups")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "role"], name="rolegroup_agency_role_unique"),
        ]

    def __str__(self) -> str:
        return self.group.name


class Membership(models.Model):
    """A user holds a role in an agency. Never deleted: deactivated."""

    ROLE_SCOPED = True  # its agency's role permissions govern it (accounts.backends)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["agency__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency", "role"], name="membership_user_agency_role_unique"
            ),
        ]
        indexes = [models.Index(fields=["agency", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.agency} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A bearer token for integrations. Only its SHA-256 is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class IdempotencyRecord(models.Model):
    """Which record a POST sent with an ``Idempotency-Key`` created (its id
    only, never the response body); kept 24 hours."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=60)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    resource_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_unique"),
        ]

    def __str__(self) -> str:
        return str(self.pk)


class Notification(models.Model):
    """An in-app notice for one user. The text names agencies and references,
    never a client: notices are read on shared screens and sent by email."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    # What happened, as a gettext msgid and its %-parameters (case numbers,
    # agency names, dates): rendered in the reader's language when read.
    # ``message`` keeps the text of notices written before there were ids.
    text = models.CharField(max_length=300, blank=True)
    values = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=300, blank=True)
    # Set by a notice sent at most once per thing (a follow-up coming due):
    # one per recipient, kind and key.
    key = models.CharField(max_length=100, blank=True)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "key"],
                condition=~models.Q(key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return str(self.pk)


class AccessLog(models.Model):
    """Who read or tried to read what: append-only and hash-chained.

    Each row stores the keyed hash of its own content and of the previous row of
    its chain (``accounts.access_log`` appends, ``verify_access_log`` walks and
    compares with the last checkpoint kept outside the database). Only
    ids are stored, never field values. Rows are spread over a few chains so
    that concurrent requests do not all wait for one lock.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("View")
        LIST = "list", _("List")
        SEARCH = "search", _("Search")
        EXPORT = "export", _("Export")
        DOWNLOAD = "download", _("Download")
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logout")
        PERMISSION_DENIED = "permission_denied", _("Permission denied")
        CONSENT_OVERRIDE = "consent_override", _("Consent override")
        BREAK_GLASS = "break_glass", _("Break the glass")
        ERASURE = "erasure", _("Erasure")
        IMPORT = "import", _("Import")
        UNDO_IMPORT = "undo_import", _("Import undone")

    class Outcome(models.TextChoices):
        OK = "ok", _("Allowed")
        DENIED = "denied", _("Denied")
        NOT_FOUND = "not_found", _("Not found")
        FAILED = "failed", _("Failed")

    id = models.BigAutoField(primary_key=True)
    chain = models.PositiveSmallIntegerField(editable=False)
    seq = models.PositiveBigIntegerField(editable=False)
    at = models.DateTimeField(default=timezone.now, editable=False)
    # Plain ids, not foreign keys: the log outlives and never cascades with records.
    actor_id = models.UUIDField(null=True, blank=True, db_index=True)
    agency_id = models.UUIDField(null=True, blank=True, db_index=True)
    role = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    client_id = models.UUIDField(null=True, blank=True, db_index=True)
    case_id = models.UUIDField(null=True, blank=True, db_index=True)
    route = models.CharField(max_length=120, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)
    # Which of ACCESS_LOG_KEYS hashed the row (HMAC-SHA256); "" for the rows
    # written before the log was keyed (plain SHA-256).
    key_id = models.CharField(max_length=16, blank=True, default="", db_default="", editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="access_log_chain_seq"),
        ]
        indexes = [models.Index(fields=["-at", "-id"], name="access_log_at")]

    def __str__(self) -> str:
        return f"{self.chain}:{self.seq}"
