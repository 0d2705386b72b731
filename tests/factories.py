"""factory_boy factories. Records that services own are created through them."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts import services
from accounts.models import Agency, Membership, User
from accounts.permissions import Role

PASSWORD = "correct horse battery staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@test.example")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def platform_operator() -> User:
    """Platform staff who may register agencies and users."""
    operator = User.objects.filter(email="operator@test.example").first()
    if operator is None:
        operator = UserFactory(
            email="operator@test.example", display_name="Operator", is_staff=True
        )
        operator.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="accounts", codename__in=["add_agency", "add_user"]
            )
        )
    return User.objects.get(pk=operator.pk)


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency

    slug = factory.Sequence(lambda n: f"agency{n}")
    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = Agency.Kind.NGO
    country = "IT"
    city = "Torino"
    languages = factory.LazyFunction(lambda: ["en", "ar"])
    is_public_authority = False
    # A partner without a valid agreement receives no referrals (tested on its own).
    data_sharing_agreement_valid_until = factory.LazyFunction(
        lambda: timezone.now().date() + timedelta(days=365)
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_agency(actor=platform_operator(), **kwargs)


def make_member(agency: Agency, role: str, user: User | None = None, **user_fields) -> User:
    """A user holding ``role`` in ``agency``, added as an administrator would."""
    user = user or UserFactory(**user_fields)
    if role == Role.AGENCY_ADMIN:
        services.appoint_agency_admin(actor=platform_operator(), agency=agency, user=user)
    else:
        admin = (
            Membership.objects.filter(agency=agency, role=Role.AGENCY_ADMIN, is_active=True)
            .select_related("user")
            .first()
        )
        admin_user = admin.user if admin else make_member(agency, Role.AGENCY_ADMIN)
        services.add_member(actor=admin_user, agency=agency, email=user.email, role=role)
    return User.objects.get(pk=user.pk)


# --- casework -------------------------------------------------------------------


def make_client(actor: User, agency: Agency | None = None, **data):
    """A client registered by ``actor`` through the service (duplicates allowed)."""
    from casework import services as casework_services

    agency = agency or actor.memberships.filter(is_active=True).first().agency
    fields = {
        "name": "محمد الحسن",
        "name_latin": "Mohammed al-Hassan",
        "date_of_birth": "1990-04-02",
        "sex": "male",
        "nationalities": ["SY"],
        "languages": ["ar"],
    }
    fields.update(data)
    documents = fields.pop("documents", [])
    return casework_services.register_client(
        actor=actor, agency=agency, data=fields, documents=documents, confirmed_not_duplicate=True
    )


def make_case(actor: User, client=None, **data):
    """A case opened by ``actor`` (assigned to them unless told otherwise)."""
    from casework import services as casework_services

    client = client or make_client(actor)
    fields = {"case_type": "housing", "risk_level": "medium", "summary": "Needs housing."}
    fields.update(data)
    return casework_services.open_case(actor=actor, client_id=client.pk, **fields)


# A minimal PDF, enough for the upload's content check.
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def make_document(actor: User, case, category="legal", content=PDF, name="scan.pdf"):
    """A document of ``case`` uploaded by ``actor`` through the service."""
    from casework import services as casework_services

    return casework_services.upload_document(
        actor=actor,
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile(name, content, content_type="application/pdf"),
        category=category,
    )


def make_consent(actor: User, client, **data):
    """A consent recorded by ``actor`` through the service."""
    from casework import services as casework_services

    fields = {
        "purpose": "referral",
        "lawful_basis": "consent",
        "data_categories": ["identity", "contact"],
        "given_by": "client",
        "method": "verbal",
        "notice_version": "2026-01",
        "explanation_language": "ar",
    }
    fields.update(data)
    return casework_services.record_consent(actor=actor, client_id=client.pk, **fields)


# --- referrals ------------------------------------------------------------------


def make_service(agency: Agency, **data):
    """A service of ``agency`` in the directory, added by its administrator."""
    from referrals import services as referral_services

    admin = make_member(agency, Role.AGENCY_ADMIN)
    fields = {
        "name": "Legal counselling",
        "category": "legal",
        "data_categories_needed": ["identity", "contact", "legal_status"],
        "languages": ["ar", "it"],
    }
    fields.update(data)
    return referral_services.create_service(actor=admin, agency=agency, data=fields)


def make_referral(actor: User, case, to_agency: Agency, *, send: bool = True, **data):
    """A referral of ``case`` to ``to_agency`` drafted by ``actor`` (and sent,
    unless ``send=False``; sending needs a covering consent or ``override_reason``)."""
    from referrals import services as referral_services

    override_reason = data.pop("override_reason", "")
    fields = {
        "purpose": "Legal advice on the asylum appeal",
        "urgency": "routine",
        "respond_by": timezone.now().date() + timedelta(days=14),
        "data_categories": ["identity", "contact"],
    }
    fields.update(data)
    referral = referral_services.create_referral(
        actor=actor, case_id=case.pk, to_agency_id=to_agency.pk, **fields
    )
    if send:
        referral = referral_services.send_referral(
            actor=actor, referral_id=referral.pk, override_reason=override_reason
        )
    return referral


def agree_emergency_access(owner: Agency, partner: Agency, **data):
    """``owner``'s administrator records its written opt-in that ``partner``'s
    supervisors may break the glass on ``owner``'s cases."""
    admin = (
        Membership.objects.filter(agency=owner, role=Role.AGENCY_ADMIN, is_active=True)
        .select_related("user")
        .first()
    )
    admin_user = admin.user if admin else make_member(owner, Role.AGENCY_ADMIN)
    fields = {"reference": "DSA-2026-07 of 2026-03-02", "note": ""}
    fields.update(data)
    return services.record_emergency_access_agreement(
        actor=admin_user, agency=owner, partner_id=partner.pk, **fields
    )


def make_follow_up(actor: User, case, *, due_on, title: str = "Call the client", **data):
    """A follow-up scheduled by ``actor`` through the service. A date in the
    past is refused at creation, so an overdue one is scheduled for today and
    then made late, as if it had been scheduled earlier."""
    from accounts.audit import save_with_history
    from casework import services as casework_services

    today = timezone.now().date()
    follow_up = casework_services.schedule_follow_up(
        actor=actor, case_id=case.pk, title=title, due_on=max(due_on, today), **data
    )
    if due_on < today:
        follow_up.due_on = due_on
        save_with_history(follow_up, actor=actor, update_fields=["due_on"])
    return follow_up
