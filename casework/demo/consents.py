"""Demo consents in every state, one written with its signed form, and a
do-not-disclose entry, written through the services."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Agency
from casework import services
from casework.demo.cases import member
from casework.demo.data import PDF_BYTES
from casework.models import Case, Client


def seed_consents(agencies: dict[str, Agency]) -> None:
    """Consents in every state (active, expired, withdrawn), with different
    recipients, categories and lawful bases; one written with its signed form;
    and a do-not-disclose entry. Skipped when consents exist already."""
    from casework.models import Consent

    if Consent.objects.filter(client__agency__in=agencies.values()).exists():
        return
    now = timezone.now()
    slugs = list(agencies)
    clients = list(Client.objects.filter(agency__in=agencies.values()).order_by("created_at"))
    for index, client in enumerate(clients):
        agency = client.agency
        caseworker = member(agency, "caseworker")
        supervisor = member(agency, "supervisor")
        actor = supervisor if client.is_restricted else caseworker
        partners = [agencies[slug] for slug in slugs if agencies[slug] != agency]
        language = client.languages[0] if client.languages else "en"
        common = {
            "given_by": "client",
            "method": "verbal",
            "notice_version": "2026-01",
            "explanation_language": language,
            "interpreter_used": language not in agency.languages,
        }
        # Everyone: case management, on the agency's own basis.
        services.record_consent(
            actor=actor,
            client_id=client.pk,
            purpose="case_management",
            lawful_basis="public_task" if agency.is_public_authority else "consent",
            data_categories=["identity", "contact", "legal_status", "family", "case_notes"],
            given_at=now - timedelta(days=60),
            **common,
        )
        kind = index % 5
        if kind == 0:  # active referral consent with health data, to every partner
            services.record_consent(
                actor=actor,
                client_id=client.pk,
                purpose="referral",
                lawful_basis="consent",
                data_categories=["identity", "contact", "legal_status", "health"],
                special_category_condition="explicit_consent",
                recipient_agencies=partners,
                recipient_service_categories=["health", "legal"],
                given_at=now - timedelta(days=20),
                expires_at=now + timedelta(days=345),
                **common,
            )
        elif kind == 1:  # active, one partner, by kind of service too
            services.record_consent(
                actor=actor,
                client_id=client.pk,
                purpose="referral",
                lawful_basis="consent",
                data_categories=["identity", "contact"],
                recipient_agencies=partners[:1],
                recipient_service_categories=["housing"],
                given_at=now - timedelta(days=10),
                **common,
            )
        elif kind == 2:  # expired last month
            services.record_consent(
                actor=actor,
                client_id=client.pk,
                purpose="referral",
                lawful_basis="consent",
                data_categories=["identity", "contact", "education_employment"],
                recipient_agencies=partners,
                given_at=now - timedelta(days=400),
                expires_at=now - timedelta(days=30),
                **common,
            )
        elif kind == 3:  # withdrawn, with the statistics consent kept
            withdrawn = services.record_consent(
                actor=actor,
                client_id=client.pk,
                purpose="referral",
                lawful_basis="consent",
                data_categories=["identity", "contact"],
                recipient_agencies=partners,
                given_at=now - timedelta(days=90),
                **common,
            )
            services.withdraw_consent(
                actor=actor,
                consent_id=withdrawn.pk,
                reason="The client prefers to contact the agency herself",
            )
            services.record_consent(
                actor=actor,
                client_id=client.pk,
                purpose="statistics",
                lawful_basis="consent",
                data_categories=["legal_status", "family"],
                given_at=now - timedelta(days=90),
                **common,
            )
        else:  # contact by phone, given by a guardian for a minor
            services.record_consent(
                actor=actor,
                client_id=client.pk,
                purpose="contact",
                lawful_basis="consent",
                data_categories=["contact"],
                given_at=now - timedelta(days=5),
                **{**common, "given_by": "guardian", "given_by_name": "Parent or guardian"},
            )

    # One written consent with its signed form, and one do-not-disclose entry.
    first = clients[0]
    case = Case.objects.filter(client=first).first()
    caseworker = member(first.agency, "caseworker")
    form = services.upload_document(
        actor=caseworker,
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile("signed-consent.pdf", PDF_BYTES),
        category="consent",
        description="Signed consent form",
    )
    services.record_consent(
        actor=caseworker,
        client_id=first.pk,
        purpose="referral",
        lawful_basis="consent",
        data_categories=["identity", "contact", "documents"],
        recipient_agencies=[a for a in agencies.values() if a != first.agency],
        given_by="client",
        method="written",
        evidence_id=form.pk,
        notice_version="2026-01",
        explanation_language="ar",
        interpreter_used=False,
        given_at=now - timedelta(days=3),
    )
    other = next(a for a in agencies.values() if a != first.agency and a.is_public_authority)
    services.add_do_not_disclose(
        actor=caseworker,
        case_id=case.pk,
        agency=other,
        reason="The client's former employer works with this office",
    )
