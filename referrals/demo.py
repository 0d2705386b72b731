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


# --- Integration plans -----------------------------------------------------------------

# A goal in the client's words, by the client's first language (else English).
_CLIENT_WORDS = {
    "language": {
        "ar": "أريد أن أتكلم الإيطالية لأعمل وأتحدث مع معلمي أولادي.",
        "fa": "می‌خواهم ایتالیایی یاد بگیرم تا بتوانم کار کنم.",
        "uk": "Хочу вивчити італійську, щоб працювати за фахом.",
        "ti": "ጣልያንኛ ክመሃር እደሊ።",
        "en": "I want to speak Italian to work and to talk to my children's teachers.",
    },
    "housing": {
        "ar": "أريد بيتاً لعائلتي، ليس مركز استقبال.",
        "fa": "یک خانه برای خانواده‌ام می‌خواهم.",
        "uk": "Хочу власне житло для родини.",
        "en": "A home for my family, not a reception centre.",
    },
    "legal_status": {
        "ar": "أريد أن تكون أوراقي سليمة.",
        "fa": "می‌خواهم مدارکم درست باشد.",
        "uk": "Хочу, щоб мої документи були в порядку.",
        "ti": "ወረቐተይ ብግቡእ ክስራዕ እደሊ።",
        "en": "I want my papers in order.",
    },
    "employment_training": {
        "ar": "أريد أن أعمل ممرضة كما في بلدي.",
        "fa": "می‌خواهم دوباره پرستار باشم.",
        "uk": "Хочу знову працювати медсестрою.",
        "en": "I want to work as a nurse again, as I did at home.",
    },
}


def _words(case: Case, domain: str) -> str:
    languages = case.client.languages or []
    words = _CLIENT_WORDS[domain]
    for language in languages:
        if language in words:
            return words[language]
    return words["en"]


def _goal(actor, case, domain, statement, days, priority="medium"):
    return casework.add_goal(
        actor=actor,
        case_id=case.pk,
        domain=domain,
        statement=statement,
        statement_client=_words(case, domain),
        target_date=timezone.now().date() + timedelta(days=days),
        priority=priority,
    )


def _action(actor, case, goal, description, responsible="client", days=None, **extra):
    return casework.add_action(
        actor=actor,
        case_id=case.pk,
        goal_id=goal.pk,
        description=description,
        responsible=responsible,
        due_on=timezone.now().date() + timedelta(days=days) if days else None,
        **extra,
    )


def _progress(actor, case, action, status, reason=""):
    action.refresh_from_db()
    return casework.update_action(
        actor=actor,
        case_id=case.pk,
        action_id=action.pk,
        expected_version=action.version,
        changes={"status": status},
        reason=reason,
    )


def _agree(actor, case, method, **extra):
    from casework.models import IntegrationPlan

    plan = IntegrationPlan.objects.get(case=case)
    return casework.record_plan_agreement(
        actor=actor,
        case_id=case.pk,
        plan_version=plan.version,
        method=method,
        agreed_at=extra.pop("agreed_at", None)
        or (timezone.now() if method != "not_obtained" else None),
        **extra,
    )


def _stall(action, *, days: int) -> None:
    """Demo only: nobody moved the action on for ``days`` and its due date
    passed (the services date both now)."""
    from casework.models import PlanAction

    action = PlanAction.objects.get(pk=action.pk)
    action.progressed_at = timezone.now() - timedelta(days=days)
    action.due_on = timezone.now().date() - timedelta(days=days // 2)
    save_with_history(
        action,
        actor=action.created_by,
        reason="demo data: no progress for weeks",
        update_fields=["progressed_at", "due_on"],
    )


def _case_of(agency: Agency, name_latin: str) -> Case:
    """The demo's open case of ``agency`` for the client named ``name_latin``."""
    return (
        Case.objects.filter(agency=agency, status="open", client__name_latin=name_latin)
        .select_related("client", "agency", "assigned_to")
        .order_by("opened_at", "pk")
        .first()
    )


def seed_plans(agencies: dict[str, Agency]) -> None:
    """Integration plans at different stages in each demo agency (skipped if
    present): Amal's full plan with actions referred to Casa Comune (accepted,
    progress reported) and to the City office (sent), agreed through an
    interpreter; a stalled, overdue one; Casa's first draft awaiting the
    client's agreement; the City office's plan with a goal achieved and its
    agreement not obtained, with the reason."""
    from casework.models import IntegrationPlan

    if IntegrationPlan.objects.filter(case__agency__in=agencies.values()).exists():
        return
    amal, casa, city = agencies["amal"], agencies["casa"], agencies["city"]
    casa_officer = _member(casa, "referral_officer")

    # Amal: the full plan, shared with both partners.
    case = _case_of(amal, "Fereshteh Karimi")
    worker = case.assigned_to
    language = _goal(worker, case, "language", "Reach A2 in Italian by the summer", 150, "high")
    course = _action(worker, case, language, "Enrol in the evening Italian course", days=14)
    interpreter = _action(
        worker,
        case,
        language,
        "Book an interpreter for the course's placement test",
        responsible="staff",
        responsible_user=worker.pk,
        days=7,
    )
    housing = _goal(worker, case, "housing", "Move from the reception centre to a flat", 240)
    housing_action = _action(
        worker,
        case,
        housing,
        "Apply for social housing with the City office",
        responsible="partner",
        responsible_agency=city.pk,
        days=30,
    )
    legal = _goal(worker, case, "legal_status", "Renew the residence permit in time", 90, "high")
    legal_action = _action(
        worker,
        case,
        legal,
        "Legal advice on the residence permit renewal",
        responsible="partner",
        responsible_agency=casa.pk,
        days=21,
    )
    work = _goal(
        worker, case, "employment_training", "Have the nursing diploma recognised", 365, "low"
    )
    _action(worker, case, work, "Gather the diploma and transcripts for translation", days=60)
    _agree(
        worker,
        case,
        "verbal_interpreter",
        reason="Explained in Farsi with the agency's interpreter.",
    )
    _progress(worker, case, course, "in_progress")
    _progress(worker, case, interpreter, "done")
    categories = ["identity", "contact", "legal_status", "integration_plan"]
    _consent(worker, case, casa, categories)
    _consent(worker, case, city, categories)
    to_casa = services.create_and_send_referral(
        actor=worker,
        case_id=case.pk,
        service_id=_service(casa, "Legal counselling on asylum and residence").pk,
        purpose="Legal advice on the residence permit renewal",
        respond_by=timezone.now().date() + timedelta(days=10),
        data_categories=categories,
        plan_action_id=legal_action.pk,
    )
    services.accept_referral(actor=casa_officer, referral_id=to_casa.pk)
    services.report_referral_progress(
        actor=casa_officer,
        referral_id=to_casa.pk,
        note="First appointment held; documents for the renewal listed.",
    )
    services.create_and_send_referral(
        actor=worker,
        case_id=case.pk,
        service_id=_service(city, "Social housing applications").pk,
        purpose="Apply for social housing",
        respond_by=timezone.now().date() + timedelta(days=14),
        data_categories=categories,
        plan_action_id=housing_action.pk,
    )

    # Amal: a plan nobody has moved on for weeks (the supervisor's home shows it).
    case = _case_of(amal, "Ali Rezaei")
    worker = case.assigned_to
    goal = _goal(worker, case, "language", "Attend Italian classes every week", 60)
    stalled = _action(worker, case, goal, "Go to the Tuesday conversation group", days=7)
    _agree(worker, case, "signed_form")
    _stall(stalled, days=45)

    # Casa Comune: a first draft, waiting for the client to agree.
    case = _case_of(casa, "Selam Tesfay")
    worker = case.assigned_to
    goal = _goal(worker, case, "legal_status", "Prepare the asylum interview", 45, "high")
    _action(worker, case, goal, "Write down the journey with the legal adviser", days=14)

    # City office: a goal achieved; the agreement to the new version not obtained.
    case = _case_of(city, "Yusuf Abdullah")
    worker = case.assigned_to
    goal = _goal(worker, case, "housing", "Register the address at the registry office", 30)
    done = _action(worker, case, goal, "Bring the rental contract to the registry office", days=5)
    _agree(worker, case, "legal_guardian", reason="Signed by the guardian of the minor.")
    _progress(worker, case, done, "done")
    _goal(worker, case, "language", "Start Italian lessons at the community school", 90)
    _agree(
        worker,
        case,
        "not_obtained",
        reason="The client was unwell at the visit; to be asked at the next appointment.",
    )
