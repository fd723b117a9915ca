"""Platform webhooks: verify, store, acknowledge. Nothing else happens in the request."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clients.platforms import meta
from clients.services import store_inbound_events

logger = logging.getLogger(__name__)


def _problem(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _read_limited_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is larger than WEBHOOK_MAX_BODY_BYTES."""
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        challenge = meta.answer_handshake(request.GET.dict(), settings.META_VERIFY_TOKEN)
        if challenge is None:
            return HttpResponse("Verification failed.", status=403, content_type="text/plain")
        return HttpResponse(challenge, content_type="text/plain")

    raw = _read_limited_body(request)
    if raw is None:
        return _problem(413, "body_too_large", "The delivery is larger than this server accepts.")
    # The signature covers the exact bytes received; it is checked before anything is parsed.
    if not meta.verify_signature(
        raw, request.headers.get(meta.SIGNATURE_HEADER), settings.META_APP_SECRET
    ):
        return _problem(401, "bad_signature", "X-Hub-Signature-256 is missing or does not match.")
    try:
        payload = json.loads(raw)
        events = meta.split_delivery(payload)
    except (ValueError, UnicodeDecodeError) as error:
        return _problem(400, "malformed_payload", f"The delivery is not a Meta webhook: {error}")
    new_ids = store_inbound_events(events)
    logger.info("Meta delivery: %d events, %d new", len(events), len(new_ids))
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")
