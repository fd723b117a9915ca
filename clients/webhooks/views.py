"""Platform webhooks: verify, store, acknowledge. Nothing else happens in the request.

Every endpoint checks the platform's proof (signature, token) on the exact bytes received
before parsing anything, answers 413 for oversized bodies and 400 for malformed ones, and
acknowledges only after the events are committed (acknowledged means stored)."""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clients.platforms import google_business, meta, x
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


@csrf_exempt
@require_http_methods(["GET", "POST"])
def x_webhook(request: HttpRequest) -> HttpResponse:
    """X Account Activity: the CRC on GET (§2.1), signed deliveries on POST (§2.2)."""
    if request.method == "GET":
        crc_token = request.GET.get("crc_token", "")
        if not crc_token or not settings.X_CONSUMER_SECRET:
            return _problem(400, "missing_crc_token", "A crc_token parameter is required.")
        return JsonResponse(x.crc_response(crc_token, settings.X_CONSUMER_SECRET))

    raw = _read_limited_body(request)
    if raw is None:
        return _problem(413, "body_too_large", "The delivery is larger than this server accepts.")
    if not x.verify_signature(
        raw, request.headers.get(x.SIGNATURE_HEADER), settings.X_CONSUMER_SECRET
    ):
        return _problem(
            401, "bad_signature", "x-twitter-webhooks-signature is missing or does not match."
        )
    try:
        events = x.split_delivery(json.loads(raw))
    except (ValueError, UnicodeDecodeError) as error:
        return _problem(400, "malformed_payload", f"The delivery is not an X activity: {error}")
    new_ids = store_inbound_events(events)
    logger.info("X delivery: %d events, %d new", len(events), len(new_ids))
    return HttpResponse(status=200)


@csrf_exempt
@require_http_methods(["POST"])
def google_webhook(request: HttpRequest) -> HttpResponse:
    """Google Business Profile notifications through a Pub/Sub push subscription (§3.3).

    The push URL carries a shared secret (?token=...). The notification only names the review:
    processing fetches it. Pub/Sub redelivers anything not answered 2xx, so a notification
    we do not use is acknowledged too."""
    token = request.GET.get("token", "")
    expected = settings.GOOGLE_PUSH_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        return _problem(401, "bad_token", "The push token is missing or does not match.")
    raw = _read_limited_body(request)
    if raw is None:
        return _problem(413, "body_too_large", "The delivery is larger than this server accepts.")
    try:
        events = google_business.split_push(json.loads(raw))
    except (ValueError, UnicodeDecodeError) as error:
        return _problem(400, "malformed_payload", f"The delivery is not a Pub/Sub push: {error}")
    new_ids = store_inbound_events(events)
    logger.info("Google push: %d events, %d new", len(events), len(new_ids))
    return HttpResponse(status=204)
