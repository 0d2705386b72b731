"""Clients: identity and contact, special-category section, identity documents."""

import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from simple_history.models import HistoricalRecords

from accounts.models import Agency
from accounts.tracking import TrackedManager


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other / intersex")
    UNKNOWN = "unknown", _("Not stated")


class LegalStatus(models.TextChoices):
    UNKNOWN = "unknown", _("Not known")
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
    REFUGEE = "refugee", _("Recognised refugee")
    SUBSIDIARY_PROTECTION = "subsidiary_protection", _("Subsidiary protection")
    TEMPORARY_PROTECTION = "temporary_protection", _("Temporary protection")
    HUMANITARIAN = "humanitarian", _("Humanitarian residence permit")
    REJECTED = "rejected", _("Asylum claim rejected")
    STATELESS = "stateless", _("Stateless person")
    RESIDENT = "resident", _("Other residence permit")
    CITIZEN = "citizen", _("Citizen")
    UNDOCUMENTED = "undocumented", _("Without documents")
    OTHER = "other", _("Other")


class Client(models.Model):
    """A person the agency supports (the data subject).

    Fields fall into the sections of ``DataCategory`` (see ``casework.sections``):
    identity, contact, legal status, family, education and employment here;
    special-category data in ``ClientSensitive``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="clients",
        verbose_name=_("registering agency"),
    )
    name = models.CharField(
        _("name as written"), max_length=200, help_text=_("In the person's own script.")
    )
    name_latin = models.CharField(_("name in Latin letters"), max_length=200, blank=True)
    preferred_name = models.CharField(_("preferred name"), max_length=120, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    date_of_birth_estimated = models.BooleanField(_("date of birth is estimated"), default=False)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    gender_identity = models.CharField(_("gender identity"), max_length=80, blank=True)
    nationalities = models.JSONField(
        _("nationalities"), default=list, blank=True, help_text=_("Country codes, e.g. SY, AF.")
    )
    languages = models.JSONField(
        _("languages spoken"),
        default=list,
        blank=True,
        help_text=_("Language codes, e.g. ar, fa, ti."),
    )
    interpreter_needed = models.BooleanField(_("interpreter needed"), default=False)
    interpreter_language = models.CharField(_("interpreter language"), max_length=16, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.TextField(_("address"), blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    legal_status = models.CharField(
        _("legal status"), max_length=24, choices=LegalStatus.choices, default=LegalStatus.UNKNOWN
    )
    legal_status_note = models.TextField(
        _("legal status details"),
        blank=True,
        help_text=_("Procedure stage, deadlines, authority in charge."),
    )
    family_situation = models.TextField(
        _("family situation"), blank=True, help_text=_("Household, family members, where they are.")
    )
    dependants = models.PositiveSmallIntegerField(_("dependants"), null=True, blank=True)
    education = models.TextField(_("education"), blank=True)
    employment = models.TextField(_("work and skills"), blank=True)

    # Kept by the services: every case of the client is restricted, so only
    # supervisors and the assigned caseworkers may see the client either.
    is_restricted = models.BooleanField(default=False, editable=False)
    # Derived by the services from the names; never typed in.
    search_text = models.TextField(editable=False, default="")
    name_key = models.CharField(max_length=200, editable=False, default="", db_index=True)
    name_latin_key = models.CharField(max_length=200, editable=False, default="", db_index=True)

    # Set when erasure or retention replaced the personal data with placeholders.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["search_text", "name_key", "name_latin_key"])
    objects = TrackedManager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        indexes = [
            models.Index(fields=["agency", "-created_at", "-id"], name="client_agency_created"),
            models.Index(fields=["-created_at", "-id"], name="client_created"),
        ]
        permissions = [
            ("view_sensitive", "View and edit the special-category section"),
            ("view_record_accesses", "See who accessed a client or case"),
            ("export_subject_access", "Export everything held about a client"),
            ("erase_client", "Erase a client's personal data"),
        ]

    def __str__(self) -> str:
        return str(self.pk)

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.name

    def clean(self):
        super().clean()
        errors = {}
        if not isinstance(self.nationalities, list) or any(
            not isinstance(code, str) or code not in dict(countries) for code in self.nationalities
        ):
            errors["nationalities"] = _("Use a list of country codes such as SY or AF.")
        if not isinstance(self.languages, list) or any(
            not isinstance(code, str) or not code.isalpha() or not 2 <= len(code) <= 3
            for code in self.languages
        ):
            errors["languages"] = _("Use a list of language codes such as ar, fa or ti.")
        if isinstance(self.date_of_birth, date) and self.date_of_birth > timezone.now().date():
            errors["date_of_birth"] = ValidationError(
                _("The date of birth cannot be in the future."), code="future"
            )
        if errors:
            raise ValidationError(errors)


class ClientSensitive(models.Model):
    """Special-category data (GDPR Art. 9): its own section, withheld unless the
    viewer holds VIEW_SENSITIVE on the client."""

    class Vulnerability(models.TextChoices):
        UNACCOMPANIED_MINOR = "unaccompanied_minor", _("Unaccompanied or separated child")
        SURVIVOR_OF_TORTURE = "survivor_of_torture", _("Survivor of torture")
        GBV_SURVIVOR = "gbv_survivor", _("Survivor of gender-based violence")
        TRAFFICKING = "trafficking", _("Victim of trafficking")
        PREGNANT = "pregnant", _("Pregnant")
        SERIOUS_ILLNESS = "serious_illness", _("Serious medical condition")
        DISABILITY = "disability", _("Disability")
        ELDERLY = "elderly", _("Older person at risk")
        LGBTIQ = "lgbtiq", _("LGBTIQ+ person at risk")

    client = models.OneToOneField(
        Client, on_delete=models.PROTECT, primary_key=True, related_name="sensitive"
    )
    health = models.TextField(_("health"), blank=True)
    disability = models.TextField(_("disability"), blank=True)
    protection_concerns = models.TextField(_("protection concerns"), blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=120, blank=True)
    religion = models.CharField(_("religion"), max_length=120, blank=True)
    sexual_orientation = models.CharField(_("sexual orientation"), max_length=120, blank=True)
    vulnerabilities = models.JSONField(_("vulnerabilities"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("special-category data")
        verbose_name_plural = _("special-category data")

    def __str__(self) -> str:
        return str(self.pk)


class IdentityDocument(models.Model):
    class Type(models.TextChoices):
        PASSPORT = "passport", _("Passport")
        RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
        ASYLUM_SEEKER_CARD = "asylum_seeker_card", _("Asylum-seeker card")
        NATIONAL_ID = "national_id", _("National identity card")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="identity_documents")
    type = models.CharField(_("type"), max_length=24, choices=Type.choices)
    number = models.CharField(_("number"), max_length=60)
    number_key = models.CharField(max_length=60, editable=False, default="", db_index=True)
    issuing_country = models.CharField(_("issuing country"), max_length=2, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords(excluded_fields=["number_key"])
    objects = TrackedManager()

    class Meta:
        verbose_name = _("identity document")
        verbose_name_plural = _("identity documents")
        ordering = ["type", "expires_on"]

    def __str__(self) -> str:
        return self.get_type_display()

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.now().date()
