"""REST API of casework: clients, cases, notes, follow-ups, documents, history.

Thin views: each operation has its own input and output serializers and calls
one service (writes) or selector (reads). Access rules live in the selectors
and services; the problem exception handler (config.http.api) turns their errors
into RFC 9457 documents. Records carry their version as ``ETag``; updates send
it back in ``If-Match``.
"""
