"""Casework: clients, their documents and special-category data, cases, notes,
follow-ups and case documents.

Every model here keeps django-simple-history and uses ``TrackedQuerySet``, so
no code path can write rows behind history's back. Reads go through
``casework.selectors``; writes through ``casework.services``.
"""

from casework.models.break_glass import BreakGlass
from casework.models.cases import (
    Case,
    CaseCounter,
    CaseNote,
    Document,
    FollowUp,
    document_path,
)
from casework.models.clients import Client, ClientSensitive, IdentityDocument, LegalStatus, Sex
from casework.models.consent import (
    SPECIAL_CATEGORIES,
    Consent,
    ConsentIsAppendOnly,
    DataCategory,
    DoNotDisclose,
    ServiceCategory,
)
from casework.models.grants import (
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    ClientGroupObjectPermission,
    ClientUserObjectPermission,
)
from casework.models.imports import ClientImport, ImportMapping, ImportRow
from casework.models.plans import (
    SPECIAL_DOMAINS,
    IntegrationPlan,
    PlanAction,
    PlanAgreement,
    PlanDomain,
    PlanGoal,
)

__all__ = [
    "SPECIAL_CATEGORIES",
    "SPECIAL_DOMAINS",
    "BreakGlass",
    "Case",
    "CaseCounter",
    "CaseGroupObjectPermission",
    "CaseNote",
    "CaseUserObjectPermission",
    "Client",
    "ClientGroupObjectPermission",
    "ClientImport",
    "ClientSensitive",
    "ClientUserObjectPermission",
    "Consent",
    "ConsentIsAppendOnly",
    "DataCategory",
    "DoNotDisclose",
    "Document",
    "FollowUp",
    "IdentityDocument",
    "ImportMapping",
    "ImportRow",
    "IntegrationPlan",
    "LegalStatus",
    "PlanAction",
    "PlanAgreement",
    "PlanDomain",
    "PlanGoal",
    "ServiceCategory",
    "Sex",
    "document_path",
]
