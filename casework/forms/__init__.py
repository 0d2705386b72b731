"""Forms of the casework pages, by page: clients, cases, consent (the data
protection forms are the privacy app's). They only parse and check the shape
of input; the rules (permissions, duplicates, versions, states) live in the
services. The names views and other apps use are re-exported here."""

from casework.forms.cases import (
    AssignForm,
    BulkAssignForm,
    CaseEditForm,
    CaseFilterForm,
    CloseForm,
    DocumentUploadForm,
    FollowUpForm,
    HoldForm,
    NoteForm,
    OpenCaseForm,
    ReopenForm,
    RestrictForm,
)
from casework.forms.clients import (
    ClientEditForm,
    ClientForm,
    ClientSearchForm,
    IdentityDocumentForm,
    IdentityDocumentFormSet,
    RegisterClientForm,
    SensitiveForm,
)
from casework.forms.common import (
    AssigneeMixin,
    CaseForm,
    assignee_choices,
)
from casework.forms.consent import (
    PURPOSE_EXPLANATIONS,
    DoNotDiscloseForm,
    RecordConsentForm,
    WithdrawAllConsentsForm,
    WithdrawConsentForm,
    language_label,
)

__all__ = [
    "PURPOSE_EXPLANATIONS",
    "AssignForm",
    "AssigneeMixin",
    "BulkAssignForm",
    "CaseEditForm",
    "CaseFilterForm",
    "CaseForm",
    "ClientEditForm",
    "ClientForm",
    "ClientSearchForm",
    "CloseForm",
    "DoNotDiscloseForm",
    "DocumentUploadForm",
    "FollowUpForm",
    "HoldForm",
    "IdentityDocumentForm",
    "IdentityDocumentFormSet",
    "NoteForm",
    "OpenCaseForm",
    "RecordConsentForm",
    "RegisterClientForm",
    "ReopenForm",
    "RestrictForm",
    "SensitiveForm",
    "WithdrawAllConsentsForm",
    "WithdrawConsentForm",
    "assignee_choices",
    "language_label",
]
