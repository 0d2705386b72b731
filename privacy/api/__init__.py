"""REST API of privacy, by concern: the access log, data protection, break the glass."""
