"""``Idempotency-Key`` for POSTs that create records (clients, cases, referrals).

The first successful answer is stored with the key, in the same transaction as
the record it created; a retry with the same key and body gets that answer
again (``Idempotent-Replayed: true``) and creates nothing.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.models import IdempotencyRecord
from config.errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("ETag", "Location")


def _replay(record: IdempotencyRecord, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        raise Conflict(
            _("This Idempotency-Key was already used with a different request."),
            code="idempotency_key_reused",
        )
    return Response(
        record.response_body,
        status=record.status_code,
        headers={**record.headers, "Idempotent-Replayed": "true"},
    )


def idempotent(request, scope: str, produce: Callable[[], Response]) -> Response:
    """Run ``produce`` once per (user, scope, Idempotency-Key)."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return produce()
    if len(key) > 200:
        raise InvalidInput(
            _("The Idempotency-Key is too long (at most 200 characters)."),
            code="invalid",
            field=HEADER,
        )
    body = JSONRenderer().render(request.data)
    request_hash = hashlib.sha256(body).hexdigest()
    lookup = {"user": request.user, "scope": scope, "key": key}
    record = IdempotencyRecord.objects.filter(**lookup).first()
    if record is not None:
        return _replay(record, request_hash)
    try:
        with transaction.atomic():
            response = produce()
            if 200 <= response.status_code < 300:
                IdempotencyRecord.objects.create(
                    **lookup,
                    request_hash=request_hash,
                    status_code=response.status_code,
                    response_body=json.loads(JSONRenderer().render(response.data)),
                    headers={h: response[h] for h in REPLAYED_HEADERS if response.has_header(h)},
                )
            return response
    except IntegrityError:
        # A concurrent request with the same key committed first: its answer is ours.
        record = IdempotencyRecord.objects.filter(**lookup).first()
        if record is None:
            raise
        return _replay(record, request_hash)
