"""``Idempotency-Key`` for POSTs that create records (clients, cases, referrals).

The first successful request stores which record it created, in the same
transaction as the record. A retry with the same key and body within 24 hours
creates nothing: it answers with that record *as the caller may see it now*
(``replay`` reads it again through the scoped selectors, so a record the
caller lost access to answers 404) and ``Idempotent-Replayed: true``. Only
ids are stored, never the response body.

Concurrent requests with one key are serialised: a transaction-scoped
advisory lock on PostgreSQL; SQLite runs every transaction as BEGIN IMMEDIATE.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from accounts.models import IdempotencyRecord
from config.errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"
LIFETIME = timedelta(hours=24)


def _request_hash(path: str, data) -> str:
    body = json.dumps([path, data], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def _lock(user_id, scope: str, key: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"idempotency:{user_id}:{scope}:{key}"],
            )


def idempotent(
    request,
    scope: str,
    produce: Callable[[], Response],
    replay: Callable[[str], Response] | None = None,
    *,
    resource_id: Callable[[Response], object] | None = None,
) -> Response:
    """Run ``produce`` once per (user, scope, Idempotency-Key); ``produce``
    returns a 2xx response whose data has the new record's ``id``, ``replay``
    answers for that id on a retry."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return produce()
    if len(key) > 200:
        raise InvalidInput(
            _("The Idempotency-Key is too long (at most 200 characters)."),
            code="invalid",
            field=HEADER,
        )
    request_hash = _request_hash(request.path, request.data)
    with transaction.atomic():
        _lock(request.user.pk, scope, key)
        now = timezone.now()
        lookup = {"user": request.user, "scope": scope, "key": key}
        IdempotencyRecord.objects.filter(**lookup, expires_at__lte=now).delete()
        record = IdempotencyRecord.objects.filter(**lookup).first()
        if record is not None:
            if record.request_hash != request_hash:
                raise Conflict(
                    _("This Idempotency-Key was already used with a different request."),
                    code="idempotency_key_reused",
                )
            response = (
                replay(record.resource_id)
                if replay
                else Response({"id": record.resource_id}, status=record.status_code)
            )
            response["Idempotent-Replayed"] = "true"
            return response
        response = produce()
        if 200 <= response.status_code < 300:
            IdempotencyRecord.objects.create(
                **lookup,
                request_hash=request_hash,
                status_code=response.status_code,
                resource_id=str(
                    resource_id(response) if resource_id is not None else response.data["id"]
                ),
                expires_at=now + LIFETIME,
            )
        return response
