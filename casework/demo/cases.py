"""Demo clients and cases: about forty clients, cases in every status,
notes, follow-ups (some overdue) and a few documents, written through the
services by the demo agencies' own staff."""

import random
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.audit import save_with_history
from accounts.models import Agency, User
from casework import services
from casework.demo.data import (
    DUPLICATE,
    FOLLOW_UPS,
    NOTES,
    PDF_BYTES,
    PEOPLE,
    PNG_BYTES,
    person_sections,
)
from casework.models import Case, CaseNote, Client


def member(agency: Agency, role: str) -> User:
    """The demo agency's member in ``role`` (seed_demo creates one of each)."""
    return User.objects.get(email=f"{role}@{agency.slug}.example")


def seed_casework(agencies: dict[str, Agency]) -> None:
    """Create the demo clients and cases unless they exist already."""
    if Client.objects.filter(agency__in=agencies.values()).exists():
        return
    randomiser = random.Random(2026)  # noqa: S311 - demo data, not security
    today = timezone.now().date()
    slugs = list(agencies)
    statuses = ["open", "open", "open", "on_hold", "closed"]
    case_types = [t for t, _label in Case.Type.choices]
    for index, (name, latin, sex, born, nationalities, languages) in enumerate(PEOPLE):
        agency = agencies[slugs[index % len(slugs)]]
        caseworker = member(agency, "caseworker")
        supervisor = member(agency, "supervisor")
        client = services.register_client(
            actor=caseworker,
            agency=agency,
            data={
                "name": name,
                "name_latin": latin,
                "sex": sex,
                "date_of_birth": date.fromisoformat(born),
                "date_of_birth_estimated": index % 7 == 3,
                "nationalities": nationalities,
                "languages": languages,
                "interpreter_needed": languages[0] not in agency.languages,
                "interpreter_language": languages[0]
                if languages[0] not in agency.languages
                else "",
                "phone": f"+39 011 555 {1000 + index:04d}",
                "city": agency.city,
                **person_sections(name),
            },
            documents=[
                {
                    "type": ["passport", "residence_permit", "asylum_seeker_card"][index % 3],
                    "number": f"{nationalities[0]}{482910 + index * 37}",
                    "issuing_country": nationalities[0] if index % 3 == 0 else "IT",
                    # Every fifth document has already expired.
                    "expires_on": today + timedelta(days=-30 if index % 5 == 0 else 400 + index),
                }
            ],
            confirmed_not_duplicate=True,
        )
        status = statuses[index % len(statuses)]
        restricted = index % 9 == 4
        case = services.open_case(
            actor=supervisor if restricted else caseworker,
            client_id=client.pk,
            case_type="gbv" if restricted else case_types[index % len(case_types)],
            risk_level=["low", "medium", "high", "critical"][index % 4],
            summary="Support with housing, legal status and school enrolment.",
            assigned_to=caseworker,
            is_restricted=restricted,
        )
        if index % 4 == 0:
            services.update_client_sensitive(
                actor=caseworker,
                client_id=client.pk,
                changes={
                    "health": "Chronic condition, needs regular medication.",
                    "vulnerabilities": ["serious_illness"],
                },
            )
        for kind, body in NOTES[: 1 + index % len(NOTES)]:
            services.add_note(
                actor=caseworker,
                case_id=case.pk,
                kind=kind,
                body=body,
                is_confidential=kind == CaseNote.Kind.HOME_VISIT,
            )
        for offset in (-5, 0, 7) if index % 3 == 0 else (14,):
            follow_up = services.schedule_follow_up(
                actor=caseworker,
                case_id=case.pk,
                title=randomiser.choice(FOLLOW_UPS),
                due_on=today + timedelta(days=max(offset, 0)),
            )
            if offset < 0:
                # A date in the past is refused at creation: the demo's overdue
                # follow-up was scheduled earlier and is now late.
                follow_up.due_on = today + timedelta(days=offset)
                save_with_history(
                    follow_up,
                    actor=caseworker,
                    reason="demo data: overdue",
                    update_fields=["due_on"],
                )
        if index % 6 == 0:
            services.upload_document(
                actor=caseworker,
                case_id=case.pk,
                uploaded_file=SimpleUploadedFile("passport-scan.pdf", PDF_BYTES),
                category="identity",
                description="Passport scan",
            )
        if index % 8 == 0:
            services.upload_document(
                actor=caseworker,
                case_id=case.pk,
                uploaded_file=SimpleUploadedFile("photo.png", PNG_BYTES),
                category="medical",
                description="Medical certificate (photo)",
            )
        if status == "on_hold":
            services.put_case_on_hold(
                actor=caseworker, case_id=case.pk, reason="Client travelling for two weeks"
            )
        elif status == "closed":
            services.close_case(
                actor=caseworker,
                case_id=case.pk,
                closure_reason="goals_met",
                note="Housing found and residence permit renewed.",
            )
        if index % 10 == 1:
            services.assign_case(
                actor=supervisor,
                case_id=case.pk,
                assignee=member(agency, "supervisor"),
                reason="Complex case taken over by the supervisor",
            )

    # The likely duplicate: same person, another spelling, in the first agency.
    first = agencies[slugs[0]]
    name, latin, sex, born, nationalities, languages = DUPLICATE
    services.register_client(
        actor=member(first, "supervisor"),
        agency=first,
        data={
            "name": name,
            "name_latin": latin,
            "sex": sex,
            "date_of_birth": date.fromisoformat(born),
            "date_of_birth_estimated": True,
            "nationalities": nationalities,
            "languages": languages,
        },
        confirmed_not_duplicate=True,
    )
