"""Scoped reads of casework data.

``cases_visible_to`` and ``clients_visible_to`` are the only way a list,
search, count, dashboard, export or API reads cases and clients. Each is one
SQL query whose shape follows the user's grant shape: agencies where the user
sees every case, agencies where they see the unrestricted cases plus their
own, and (only if they have any) the few cases granted to them one by one.
The grant shape costs two queries per request (``scope_of``, cached on the
user object); after that each scope is a single statement.
The same rule, object by object, is ``casework.backends.CaseworkBackend``.
"""

from casework.selectors.actions import (
    CaseActions,
    case_actions_for,
)
from casework.selectors.case_items import (
    active_user,
    agencies_for_registration,
    assignable_members,
    case_list_rows,
    cases_of_client,
    client_detail_queryset,
    documents_visible_to,
    editable_case_ids,
    follow_ups_visible_to,
    get_document_for,
    notes_visible_to,
    sensitive_section_for,
    with_client_and_assignee,
)
from casework.selectors.caseload import (
    assignees_with_caseload,
    cases_to_reassign,
    common_assignees_with_caseload,
    reassignable_case_ids,
    with_open_caseload,
)
from casework.selectors.consent import (
    ConsentCoverage,
    Gap,
    consent_coverage_for,
    consent_covering,
    consent_evidence_documents,
    consents_of,
    do_not_disclose_of,
    get_consent_for,
)
from casework.selectors.history import (
    HISTORY_POSITION_TYPES,
    case_history,
    history_position,
)
from casework.selectors.my_work import (
    FollowUpPeriod,
    MyWork,
    my_open_cases,
    my_open_follow_ups,
    my_work,
)
from casework.selectors.scope import (
    Scope,
    any_of,
    case_scope,
    cases_visible_to,
    clients_visible_to,
    get_case_for,
    get_client_for,
    is_uuid,
    scope_of,
)
from casework.selectors.search import (
    MAX_QUERY_LENGTH,
    MAX_QUERY_WORDS,
    SEARCH_RESULTS_LIMIT,
    Rank,
    SearchResults,
    filter_cases,
    find_possible_duplicates,
    may_search,
    name_condition,
    possible_duplicates,
    ranked_cases,
    ranked_clients,
    search_clients,
    search_everything,
)
from casework.selectors.team import (
    UNASSIGNED,
    AgencyTeam,
    TeamRow,
    case_filter_choices,
    team_overview,
)

__all__ = [
    "HISTORY_POSITION_TYPES",
    "MAX_QUERY_LENGTH",
    "MAX_QUERY_WORDS",
    "SEARCH_RESULTS_LIMIT",
    "UNASSIGNED",
    "AgencyTeam",
    "CaseActions",
    "ConsentCoverage",
    "FollowUpPeriod",
    "Gap",
    "MyWork",
    "Rank",
    "Scope",
    "SearchResults",
    "TeamRow",
    "active_user",
    "agencies_for_registration",
    "any_of",
    "assignable_members",
    "assignees_with_caseload",
    "case_actions_for",
    "case_filter_choices",
    "case_history",
    "case_list_rows",
    "case_scope",
    "cases_of_client",
    "cases_to_reassign",
    "cases_visible_to",
    "client_detail_queryset",
    "clients_visible_to",
    "common_assignees_with_caseload",
    "consent_coverage_for",
    "consent_covering",
    "consent_evidence_documents",
    "consents_of",
    "do_not_disclose_of",
    "documents_visible_to",
    "editable_case_ids",
    "filter_cases",
    "find_possible_duplicates",
    "follow_ups_visible_to",
    "get_case_for",
    "get_client_for",
    "get_consent_for",
    "get_document_for",
    "history_position",
    "is_uuid",
    "may_search",
    "my_open_cases",
    "my_open_follow_ups",
    "my_work",
    "name_condition",
    "notes_visible_to",
    "possible_duplicates",
    "ranked_cases",
    "ranked_clients",
    "reassignable_case_ids",
    "scope_of",
    "search_clients",
    "search_everything",
    "sensitive_section_for",
    "team_overview",
    "with_client_and_assignee",
    "with_open_caseload",
]
