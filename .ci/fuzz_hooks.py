"""Schemathesis hooks for .ci/fuzz (loaded with SCHEMATHESIS_HOOKS).

"Schema-valid request rejected" (ST202) assumes that the schema says
everything a valid request must be. These rules of the API cannot be written in
OpenAPI, and the fuzzer breaks them with every value it makes up:

- a ``cursor`` is opaque: only one taken from a list's ``next``/``previous``
  link is valid, anything else is a 400 naming ``cursor``;
- an id in a body or query names a record that must exist and that the
  caller may use (a case's client, an assignee, a referral's service, a
  legal hold's case of that client, a consent's signed form): a made-up UUID
  is a 400 naming the field (``does_not_exist``, ``invalid_assignee``);
- an uploaded document must be a PDF, an image or a text document by its
  bytes, not by its declared type (``unsupported_file_type``), whose name
  agrees with its bytes and which passes the content checks of
  casework/services/file_checks.py (``extension_mismatch``,
  ``polyglot_file``, ``active_content``, ``pdf_not_checkable``, the archive
  codes…);
- ``If-Match`` must name the record's current version: any other
  well-formed ETag is a 412 ``stale_version``;
- a date is measured against today (a birth or a consent not in the
  future, a respond-by date not in the past: ``future``, ``past``) or
  against another date of the body (a consent's expiry after the date it was
  given: ``date_order``): a static schema has no today, and no comparison
  between two fields;
- a report's period: ``from`` and ``to`` each match the schema's pattern (a
  month or a real day in the years a report may cover), but the end may not
  come before the start (``invalid_period``, a ``to`` before the default
  start too) and the period may not be longer than the report allows
  (``period_too_long``) — two parameters compared with each other;
- a rule that depends on the agency (a public authority may not rely on
  legitimate interests: ``public_authority``);
- a rule that depends on the client's consents: a supervisor sending a
  referral that no consent covers must give ``override_reason``
  (``override_reason_required``); with a covering consent the same body,
  without it, is valid;
- an HSDS import item is checked against HSDS 3.0's own ``service.json``
  (2.3 MB, every nested object of the standard): the schema spells out the
  fields Sanad reads and the objects of their lists, not what lies inside
  those objects — an ``hsds_invalid`` error deeper than that
  (``services.N.<list>.M.<field>…``);
- a plan agreement needs ``agreed_at`` unless its ``method`` is
  ``not_obtained``: one field required by another's value (``required``);
- a spreadsheet import judges the uploaded file by its content (``file``:
  ``empty_file``, ``encoding``, ``spreadsheet_too_large``,
  ``too_many_columns`` besides the document codes above) and its mapping
  against that file: ``mapping`` is JSON inside a form field (``invalid``),
  naming the file's sheets and headers (``unknown_sheet``,
  ``unknown_column``, ``mapped_twice``, ``name_column_required``,
  ``reference_column_required``, ``unknown_field``); a duplicate decision
  names a row that is a possible duplicate and one of its candidates
  (``not_a_duplicate``, ``not_a_candidate``, ``client`` ``required``);
- ``GET /referrals/check/`` needs a ``service`` or a ``to_agency``: one of
  two query parameters, which OpenAPI 3.0 cannot require (a body can, with
  ``anyOf``, and the bodies do) — ``service_or_agency``.

Every body is JSON but the document upload's, which is multipart; a
multipart body carries only text: when the fuzzer sends
an object, a number or no fields at all where the schema wants another type,
the server receives text like any other (``"{}"``, ``"5"``) or an empty form,
and cannot tell. "Schema-violating request accepted" (ST201) for a ``type``
violation in such a body is dropped; in a JSON body it still fails the run.

Only those rejections are dropped, and only when every error of the problem
document is one of them. Any other 400 to a schema-valid request, and every
other check, still fails the run.
"""

import json
import re

import schemathesis

# (field, code) of the errors the schema cannot rule out; None: any field.
UNRESOLVABLE = {
    ("cursor", "invalid"),
    (None, "does_not_exist"),
    (None, "invalid_assignee"),
    ("file", "unsupported_file_type"),
    ("file", "extension_mismatch"),
    ("file", "polyglot_file"),
    ("file", "active_content"),
    ("file", "pdf_not_checkable"),
    ("file", "compression_ratio_too_high"),
    ("file", "archive_too_many_entries"),
    ("file", "archive_too_large"),
    ("file", "archive_unsafe_entry"),
    ("file", "damaged_file"),
    ("service", "service_or_agency"),
    (None, "future"),
    (None, "past"),
    ("expires_at", "date_order"),
    ("to", "invalid_period"),
    ("from", "period_too_long"),
    ("lawful_basis", "public_authority"),
    ("override_reason", "override_reason_required"),
    ("agreed_at", "required"),
    # Spreadsheet imports: the file's content, the mapping against the file, the rows.
    ("file", "empty_file"),
    ("file", "encoding"),
    ("file", "spreadsheet_too_large"),
    ("file", "too_many_columns"),
    ("mapping", "invalid"),
    ("sheet", "unknown_sheet"),
    ("case_sheet", "unknown_sheet"),
    ("document_sheet", "unknown_sheet"),
    ("case_sheet", "invalid"),
    ("document_sheet", "invalid"),
    ("mapping.columns", "unknown_sheet"),
    ("mapping.columns", "name_column_required"),
    ("mapping.columns", "reference_column_required"),
    ("row", "not_a_duplicate"),
    ("client", "not_a_candidate"),
    ("client", "required"),
    # A report job: which formats a kind offers, and each kind's own parameters
    # (an object whose keys depend on `kind`).
    ("format", "format_not_offered"),
}


# services.N.<list>.M.<field>…: inside an object of a list of an HSDS item, but
# for the fields referrals.hsds.SERVICE_IMPORT_SCHEMA spells out there.
HSDS_NESTED = re.compile(r"^services\.\d+\.([a-z_]+)\.\d+\.([a-z_]+)(\.|$)")
HSDS_SPELLED_OUT = {
    ("phones", "id"),
    ("phones", "number"),
    ("languages", "id"),
    ("languages", "code"),
    ("service_at_locations", "id"),
    ("attributes", "id"),
}


def _is_unresolvable(error: dict) -> bool:
    code = error.get("code")
    field = str(error.get("field") or "")
    if field.startswith("parameters."):
        return True
    # A column of the uploaded file: mapping.columns.<sheet>.<header>.
    if field.startswith("mapping.") and code in (
        "unknown_column",
        "mapped_twice",
        "unknown_field",
        "invalid",
        "invalid_choice",
    ):
        return True
    nested = HSDS_NESTED.match(field) if code == "hsds_invalid" else None
    if nested and (nested.group(1), nested.group(2)) not in HSDS_SPELLED_OUT:
        return True
    return (error.get("field"), code) in UNRESOLVABLE or (None, code) in UNRESOLVABLE


FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    if failure.code == "ST201":
        sent_as = (getattr(case, "media_type", None) or "").split(";")[0].strip()
        return not (sent_as in FORM_MEDIA_TYPES and "violates `type`" in (failure.message or ""))
    if failure.code != "ST202" or response.status_code not in (400, 412):
        return True
    try:
        problem = json.loads(response.content)
    except ValueError:
        return True
    if not isinstance(problem, dict):
        return True
    if response.status_code == 412:
        return problem.get("code") != "stale_version"
    errors = problem.get("errors") or []
    return not (errors and all(_is_unresolvable(error) for error in errors))
