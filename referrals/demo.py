"""Demo directory and referrals for ``manage.py seed_demo``: services of the
three demo agencies (one temporarily closed, one defunct), and referrals in
every state between them — a draft, new, overdue, accepted with a case opened
by the partner and a conversation, declined, completed, withdrawn, expired,
one sent on a supervisor's consent override and one cancelled because the
client withdrew the consent it relied on. Written through the services by the
agencies' own staff."""

from datetime import timedelta

from django.utils import timezone

from accounts.audit import save_with_history
from accounts.models import Agency, User
from casework import services as casework
from casework.models import Case
from referrals import services
from referrals.models import Referral, Service

SERVICES = {
    "casa": [
        {
            "name": "Legal counselling on asylum and residence",
            "category": "legal",
            "description": "Lawyers and legal advisers: asylum procedure, appeals, "
            "residence permits, family reunification.",
            "data_categories_needed": ["identity", "contact", "legal_status"],
            "languages": ["it", "en", "ar", "fr"],
            "eligibility_description": "Asylum seekers and refugees living in the city.",
            "application_process": "By referral; first appointment within two weeks.",
            "location_name": "Casa Comune — Via Roma",
            "address": "Via Roma 12",
            "city": "Torino",
            "postal_code": "10121",
            "country": "IT",
        },
        {
            "name": "Emergency shelter for families",
            "category": "housing",
            "description": "Short-term shelter for families with children, up to 90 days.",
            "data_categories_needed": ["identity", "contact", "family"],
            "languages": ["it", "en"],
            "eligibility_description": "Families with children without accommodation.",
            "city": "Torino",
            "country": "IT",
        },
        {
            "name": "Italian language courses",
            "category": "language",
            "status": "temporarily closed",
            "description": "Evening classes, A1 to B1. Closed for the winter break.",
            "data_categories_needed": ["identity", "contact", "education_employment"],
            "languages": ["it"],
            "city": "Torino",
            "country": "IT",
        },
    ],
    "city": [
        {
            "name": "Social housing applications",
            "category": "housing",
            "description": "Applications for council housing and rent support.",
            "data_categories_needed": ["identity", "contact", "legal_status", "family"],
            "languages": ["it", "en"],
            "eligibility_description": "Residents with a valid residence permit.",
            "city": "Torino",
            "country": "IT",
        },
        {
            "name": "Health card registration",
            "category": "health",
            "description": "Registration with the national health service and a family doctor.",
            "data_categories_needed": ["identity", "contact", "legal_status", "health"],
            "languages": ["it", "en", "fr"],
            "city": "Torino",
            "country": "IT",
        },
        {
            "name": "Youth centre (old premises)",
            "category": "education",
            "status": "defunct",
            "accepts_referrals": False,
            "description": "Moved to the new community centre.",
            "languages": ["it"],
            "city": "Torino",
            "country": "IT",
        },
    ],
    "amal": [
        {
            "name": "Psychosocial support",
            "category": "mental_health",
            "description": "Individual and group sessions with Arabic and Farsi speakers.",
            "data_categories_needed": ["identity", "contact", "health"],
            "languages": ["ar", "fa", "en"],
            "city": "Torino",
            "country": "IT",
        },
        {
            "name": "Community interpreting",
            "category": "interpreting",
            "description": "Interpreters for appointments: Arabic, Farsi, Tigrinya.",
            "data_categories_needed": ["identity", "contact"],
            "languages": ["ar", "fa", "ti"],
            "city": "Torino",
            "country": "IT",
        },
    ],
}


def _member(agency: Agency, role: str) -> User:
    return User.objects.get(email=f"{role}@{agency.slug}.example")


def seed_services(agencies: dict[str, Agency]) -> None:
    """The directory: a few services per demo agency (skipped if present)."""
    if Service.objects.filter(agency__in=agencies.values()).exists():
        return
    for slug, specs in SERVICES.items():
        agency = agencies[slug]
        admin = _member(agency, "agency_admin")
        for spec in specs:
            services.create_service(actor=admin, agency=agency, data=spec)


def _service(agency: Agency, name: str) -> Service:
    return Service.objects.get(agency=agency, name=name)


def _consent(actor, case, recipient, categories, **extra):
    return casework.record_consent(
        actor=actor,
        client_id=case.client_id,
        purpose="referral",
        lawful_basis="public_task" if case.agency.is_public_authority else "consent",
        data_categories=categories,
        recipient_agencies=[recipient],
        given_by="client",
        method="verbal",
        notice_version="2026-01",
        explanation_language=case.client.languages[0] if case.client.languages else "en",
        given_at=timezone.now() - timedelta(days=3),
        **extra,
    )


def _refer(actor, case, service, purpose, urgency="routine", days=10, send=True, **extra):
    referral = services.create_referral(
        actor=actor,
        case_id=case.pk,
        service_id=service.pk,
        purpose=purpose,
        urgency=urgency,
        respond_by=timezone.now().date() + timedelta(days=days),
        message=extra.pop("message", ""),
        data_categories=extra.pop("data_categories", None),
    )
    if send:
        referral = services.send_referral(
            actor=actor, referral_id=referral.pk, override_reason=extra.pop("override_reason", "")
        )
    return referral


def _backdate(referral: Referral, *, respond_by_days_ago: int) -> Referral:
    """Demo only: a referral whose respond-by date lies in the past (the
    services refuse to create one, so the demo moves the date afterwards)."""
    referral = Referral.objects.get(pk=referral.pk)
    referral.respond_by = timezone.now().date() - timedelta(days=respond_by_days_ago)
    save_with_history(
        referral,
        actor=referral.from_user,
        reason="demo data: respond-by date in the past",
        update_fields=["respond_by"],
    )
    return referral


def _open_cases(agency: Agency):
    return iter(
        Case.objects.filter(agency=agency, status__in=["open", "on_hold"], is_restricted=False)
        .select_related("client", "agency")
        .order_by("opened_at", "pk")
    )


def seed_referrals(agencies: dict[str, Agency]) -> None:
    """Referrals in every state between the demo agencies (skipped if present)."""
    if Referral.objects.filter(from_agency__in=agencies.values()).exists():
        return
    amal, casa, city = agencies["amal"], agencies["casa"], agencies["city"]
    amal_worker, amal_supervisor = _member(amal, "caseworker"), _member(amal, "supervisor")
    casa_officer, casa_worker = _member(casa, "referral_officer"), _member(casa, "caseworker")
    city_officer, city_worker = _member(city, "referral_officer"), _member(city, "caseworker")
    legal = _service(casa, "Legal counselling on asylum and residence")
    shelter = _service(casa, "Emergency shelter for families")
    social_housing = _service(city, "Social housing applications")
    health_card = _service(city, "Health card registration")
    psychosocial = _service(amal, "Psychosocial support")
    cases = _open_cases(amal)

    # Draft: the caseworker is still writing it.
    case = next(cases)
    _consent(amal_worker, case, casa, ["identity", "contact", "legal_status"])
    _refer(
        amal_worker,
        case,
        legal,
        "Advice before the asylum interview",
        send=False,
        message="Interview date not yet fixed.",
    )

    # Sent, new in Casa's inbox.
    case = next(cases)
    _consent(amal_worker, case, casa, ["identity", "contact", "legal_status"])
    _refer(
        amal_worker,
        case,
        legal,
        "Appeal against the rejection of the asylum claim",
        urgency="urgent",
        days=5,
        message="The appeal deadline is in three weeks. The client speaks Arabic only.",
    )

    # Sent and overdue at the City office.
    case = next(cases)
    _consent(amal_worker, case, city, ["identity", "contact", "legal_status", "family"])
    overdue = _refer(amal_worker, case, social_housing, "Council housing application")
    _backdate(overdue, respond_by_days_ago=2)

    # Accepted by Casa, case opened there, a conversation and a progress report.
    case = next(cases)
    _consent(amal_worker, case, casa, ["identity", "contact", "family"])
    accepted = _refer(
        amal_worker,
        case,
        shelter,
        "Shelter for a mother and two children",
        urgency="emergency",
        days=2,
        message="Evicted yesterday; staying with friends for two nights at most.",
    )
    services.accept_referral(actor=casa_officer, referral_id=accepted.pk)
    services.open_case_from_referral(
        actor=casa_officer, referral_id=accepted.pk, assigned_to=casa_worker
    )
    services.post_referral_message(
        actor=casa_officer,
        referral_id=accepted.pk,
        body="We have a room from Monday. Can the family come to the office at 10:00?",
    )
    services.post_referral_message(
        actor=amal_worker,
        referral_id=accepted.pk,
        body="Yes, I will come with them and an interpreter.",
    )
    services.report_referral_progress(
        actor=casa_officer, referral_id=accepted.pk, note="The family moved in on Monday."
    )

    # Declined by the City office.
    case = next(cases)
    _consent(amal_worker, case, city, ["identity", "contact", "legal_status", "family"])
    declined = _refer(amal_worker, case, social_housing, "Rent support")
    services.decline_referral(
        actor=city_officer,
        referral_id=declined.pk,
        reason="Rent support needs two years of registered residence in the city.",
    )

    # Completed: the City office referred a client to Amal's psychosocial support.
    city_case = next(_open_cases(city))
    _consent(
        city_worker,
        city_case,
        amal,
        ["identity", "contact", "health"],
        special_category_condition="explicit_consent",
    )
    completed = _refer(city_worker, city_case, psychosocial, "Support after a traumatic journey")
    amal_officer = _member(amal, "referral_officer")
    services.accept_referral(actor=amal_officer, referral_id=completed.pk)
    services.complete_referral(
        actor=amal_officer,
        referral_id=completed.pk,
        outcome="Eight sessions attended; the client joined the weekly women's group.",
    )

    # Withdrawn by the sender.
    case = next(cases)
    _consent(amal_worker, case, casa, ["identity", "contact", "legal_status"])
    withdrawn = _refer(amal_worker, case, legal, "Family reunification application")
    services.withdraw_referral(
        actor=amal_worker,
        referral_id=withdrawn.pk,
        reason="The client found a lawyer through her family.",
    )

    # Expired: nobody answered for over a week after the respond-by date.
    case = next(cases)
    _consent(amal_worker, case, city, ["identity", "contact", "legal_status", "family"])
    expired = _refer(amal_worker, case, social_housing, "Housing after the reception centre")
    _backdate(expired, respond_by_days_ago=10)
    services.expire_overdue_referrals()

    # Sent on a supervisor's override: no consent covers health data, vital interests.
    case = next(cases)
    _refer(
        amal_supervisor,
        case,
        health_card,
        "Urgent registration for insulin treatment",
        urgency="emergency",
        days=1,
        data_categories=["identity", "contact", "legal_status", "health"],
        override_reason="Vital interests: the client is diabetic, out of insulin and "
        "too unwell to give consent today. Consent to be asked at the next visit.",
    )

    # Cancelled: the client withdrew the consent it relied on.
    case = next(cases)
    consent = _consent(amal_worker, case, casa, ["identity", "contact", "legal_status"])
    _refer(amal_worker, case, legal, "Help with the residence permit renewal")
    casework.withdraw_consent(
        actor=amal_worker,
        consent_id=consent.pk,
        reason="The client does not want Casa Comune to hold her data.",
    )
