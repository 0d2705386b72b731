"""Forms of the referral pages and the service directory. They parse and check
the shape of input; the rules (consent, agreements, states, permissions) live
in ``referrals.services`` and come back as errors next to their field."""

from referrals.forms.directory import (
    MAX_IMPORT_BYTES,
    AddServiceForm,
    DirectoryFilterForm,
    EditServiceForm,
    ImportServicesForm,
    ServiceForm,
    describe_import_error,
)
from referrals.forms.referrals import (
    AcceptForm,
    CompleteForm,
    DeclineForm,
    DraftForm,
    InboxFilterForm,
    MessageForm,
    OpenCaseForm,
    ProgressForm,
    RecipientMixin,
    ReferralCheckForm,
    ReferralForm,
    SendDraftForm,
    WithdrawForm,
)

__all__ = [
    "MAX_IMPORT_BYTES",
    "AcceptForm",
    "AddServiceForm",
    "CompleteForm",
    "DeclineForm",
    "DirectoryFilterForm",
    "DraftForm",
    "EditServiceForm",
    "ImportServicesForm",
    "InboxFilterForm",
    "MessageForm",
    "OpenCaseForm",
    "ProgressForm",
    "RecipientMixin",
    "ReferralCheckForm",
    "ReferralForm",
    "SendDraftForm",
    "ServiceForm",
    "WithdrawForm",
    "describe_import_error",
]
