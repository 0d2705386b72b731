"""The field-level history of a case, as the viewer may see it."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.utils.translation import gettext

from accounts.models import Agency, User
from accounts.permissions import Perm
from casework.models import (
    Case,
    CaseNote,
    Document,
    FollowUp,
    IntegrationPlan,
    PlanAction,
    PlanAgreement,
    PlanGoal,
)
from casework.selectors.case_items import (
    documents_visible_to,
    follow_ups_visible_to,
    notes_visible_to,
)
from casework.selectors.plans import actions_visible_to, goals_visible_to
from casework.selectors.scope import (
    get_case_for,
)

_HIDDEN_HISTORY_FIELDS = {"version", "updated_at", "created_by", "history_change_reason"}


def _display(field, value, users: dict) -> str:
    if value is None or value == "":
        return ""
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        return users.get(value, "")
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return str(value)


def case_history(actor: User, case_id: UUID | str) -> list[dict]:
    """Who changed what in a case, from what to what, when and why: the case's
    own fields, its notes, follow-ups and documents, its integration plan's
    versions, goals, actions and agreements, newest first. Needs
    VIEW_CASE_HISTORY. The history of a note, follow-up or document is shown
    only if the actor may see that record now (the same selectors as the case
    page): no notes without VIEW_NOTES and no confidential ones but their
    author's without VIEW_CONFIDENTIAL_NOTES; no follow-ups without
    VIEW_FOLLOW_UPS; no documents without VIEW_DOCUMENT and no medical ones
    without VIEW_SENSITIVE. Holding VIEW_CASE_HISTORY never widens that. Note
    bodies are never repeated here."""
    case = get_case_for(actor, case_id, Perm.VIEW_CASE_HISTORY)
    records = list(case.history.select_related("history_user").order_by("history_date"))
    user_ids = {r.assigned_to_id for r in records if r.assigned_to_id}
    users = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "display_name"))
    fields = {f.name: f for f in Case._meta.concrete_fields}
    entries: list[dict] = []
    previous = None
    for record in records:
        if previous is None:
            changes = [
                {
                    "field": name,
                    "label": str(fields[name].verbose_name),
                    "old": "",
                    "new": _display(fields[name], getattr(record, fields[name].attname), users),
                }
                for name in ("case_type", "status", "risk_level", "assigned_to", "is_restricted")
            ]
            action = "created"
        else:
            delta = record.diff_against(previous)
            changes = []
            for change in delta.changes:
                if change.field in _HIDDEN_HISTORY_FIELDS:
                    continue
                field = fields[change.field]
                changes.append(
                    {
                        "field": change.field,
                        "label": str(field.verbose_name),
                        "old": _display(field, change.old, users),
                        "new": _display(field, change.new, users),
                    }
                )
            action = "changed"
        previous = record
        if action == "changed" and not changes:
            continue
        entries.append(_entry(record, "case", case.pk, action, changes))

    visible_notes = set(notes_visible_to(actor, case).values_list("pk", flat=True))
    for record in CaseNote.history.filter(id__in=visible_notes, history_type="+").select_related(
        "history_user"
    ):
        entries.append(
            _entry(
                record,
                "note",
                record.id,
                "created",
                [
                    {
                        "field": "kind",
                        "label": str(CaseNote._meta.get_field("kind").verbose_name),
                        "old": "",
                        "new": record.get_kind_display(),
                    }
                ],
            )
        )
    visible_follow_ups = set(follow_ups_visible_to(actor, case).values_list("pk", flat=True))
    for record in FollowUp.history.filter(id__in=visible_follow_ups).select_related("history_user"):
        action = "created" if record.history_type == "+" else "changed"
        changes = (
            [
                {
                    "field": "title",
                    "label": str(FollowUp._meta.get_field("title").verbose_name),
                    "old": "",
                    "new": record.title,
                }
            ]
            if action == "created"
            else [
                {
                    "field": "done_at",
                    "label": str(FollowUp._meta.get_field("done_at").verbose_name),
                    "old": "",
                    "new": str(record.done_at or ""),
                }
            ]
        )
        entries.append(_entry(record, "follow_up", record.id, action, changes))
    visible_documents = set(documents_visible_to(actor, case).values_list("pk", flat=True))
    for record in Document.history.filter(
        id__in=visible_documents, history_type="+"
    ).select_related("history_user"):
        entries.append(
            _entry(
                record,
                "document",
                record.id,
                "created",
                [
                    {
                        "field": "category",
                        "label": str(Document._meta.get_field("category").verbose_name),
                        "old": "",
                        "new": record.get_category_display(),
                    }
                ],
            )
        )
    entries += _plan_history(actor, case)
    entries.sort(key=history_position, reverse=True)
    return entries


_GOAL_HISTORY_FIELDS = (
    "domain",
    "statement",
    "statement_client",
    "target_date",
    "priority",
    "status",
    "status_reason",
)
_ACTION_HISTORY_FIELDS = (
    "description",
    "responsible",
    "responsible_user",
    "responsible_agency",
    "due_on",
    "status",
    "status_reason",
)


def _record_entries(model, records, kind: str, shown: tuple[str, ...], names: dict) -> list[dict]:
    """One entry per history row of ``records`` (rows of one model, any
    objects): what it was created with, then what each change changed, of the
    ``shown`` fields."""
    fields = {f.name: f for f in model._meta.concrete_fields}
    entries = []
    previous: dict = {}
    for record in records:
        before = previous.get(record.id)
        previous[record.id] = record
        if before is None:
            changes = [
                {
                    "field": name,
                    "label": str(fields[name].verbose_name),
                    "old": "",
                    "new": _display(fields[name], getattr(record, fields[name].attname), names),
                }
                for name in shown
                if getattr(record, fields[name].attname) not in (None, "")
            ]
            entries.append(_entry(record, kind, record.id, "created", changes))
            continue
        changes = [
            {
                "field": change.field,
                "label": str(fields[change.field].verbose_name),
                "old": _display(fields[change.field], change.old, names),
                "new": _display(fields[change.field], change.new, names),
            }
            for change in record.diff_against(before, included_fields=list(shown)).changes
        ]
        if changes:
            entries.append(_entry(record, kind, record.id, "changed", changes))
    return entries


def _plan_history(actor: User, case: Case) -> list[dict]:
    """The integration plan's versions, the goals and actions the actor sees
    (goals about health only with VIEW_SENSITIVE), and the agreements."""
    if not actor.has_perm(Perm.VIEW_PLAN, case):
        return []
    plan_records = list(
        IntegrationPlan.history.filter(case_id=case.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    if not plan_records:
        return []
    version = PlanAgreement._meta.get_field("plan_version")
    entries = [
        _entry(
            record,
            "plan",
            record.id,
            "created" if record.history_type == "+" else "changed",
            [
                {
                    "field": "version",
                    "label": str(version.verbose_name),
                    "old": "",
                    "new": str(record.version),
                }
            ],
        )
        for record in plan_records
    ]
    goals = PlanGoal.history.filter(
        id__in=list(goals_visible_to(actor, case).values_list("pk", flat=True))
    )
    actions = PlanAction.history.filter(
        id__in=list(actions_visible_to(actor, case).values_list("pk", flat=True))
    )
    goal_records = list(goals.select_related("history_user").order_by("history_date", "history_id"))
    action_records = list(
        actions.select_related("history_user").order_by("history_date", "history_id")
    )
    user_ids = {r.responsible_user_id for r in action_records if r.responsible_user_id}
    agency_ids = {r.responsible_agency_id for r in action_records if r.responsible_agency_id}
    names = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "display_name"))
    names.update(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "name"))
    entries += _record_entries(PlanGoal, goal_records, "goal", _GOAL_HISTORY_FIELDS, names)
    entries += _record_entries(PlanAction, action_records, "action", _ACTION_HISTORY_FIELDS, names)
    method = PlanAgreement._meta.get_field("method")
    plan_version = PlanAgreement._meta.get_field("plan_version")
    for record in PlanAgreement.history.filter(case_id=case.pk, history_type="+").select_related(
        "history_user"
    ):
        entries.append(
            _entry(
                record,
                "agreement",
                record.id,
                "created",
                [
                    {
                        "field": "plan_version",
                        "label": str(plan_version.verbose_name),
                        "old": "",
                        "new": str(record.plan_version),
                    },
                    {
                        "field": "method",
                        "label": str(method.verbose_name),
                        "old": "",
                        "new": record.get_method_display(),
                    },
                ],
            )
        )
    return entries


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def history_position(entry: dict) -> tuple[int, str, str]:
    """Where an entry of ``case_history`` stands, the history being these
    positions largest first: its time (microseconds since 1970, UTC), the kind
    of record, the history row's id (unique). The API pages by it."""
    return (
        (entry["at"] - _EPOCH) // timedelta(microseconds=1),
        entry["object"],
        str(entry["history_id"]),
    )


HISTORY_POSITION_TYPES = (int, str, str)


def _entry(record, kind: str, object_id, action: str, changes: list[dict]) -> dict:
    user = record.history_user
    return {
        "at": record.history_date,
        "actor_id": user.pk if user else None,
        "actor": user.display_name if user else "",
        "object": kind,
        "object_id": object_id,
        "action": action,
        "reason": record.history_change_reason or "",
        "changes": changes,
        "history_id": record.history_id,
    }
