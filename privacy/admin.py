"""Nothing of privacy is in the Django admin: legal holds, retention periods
and erasures are read and changed only through the data-protection pages,
which check the role and write history and the access log."""
