"""Platform webhooks: verify, store, acknowledge. Nothing else happens in the request.

Every endpoint checks the platform's proof (signature, token) on the exact bytes received
before parsing anything, answers 413 for oversized bodies and 400 for malformed ones, and
acknowledges only after the events are committed (acknowledged means stored)."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clients.platforms import google_business, meta, x
from clients.platforms.base import SplitEvent
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


def _receive(
    request: HttpRequest,
    *,
    proof: Callable[[bytes], bool],
    refused: str,
    refused_code: str = "bad_signature",
    split: Callable[[Any], list[SplitEvent]],
    what: str,
    answer: HttpResponse,
) -> HttpResponse:
    """The POST every platform's webhook shares: a size limit, the platform's proof checked on
    the exact bytes received before anything is parsed, the split into events, and the answer
    only once they are stored."""
    raw = _read_limited_body(request)
    if raw is None:
        return _problem(413, "body_too_large", "The delivery is larger than this server accepts.")
    if not proof(raw):
        return _problem(401, refused_code, refused)
    try:
        events = split(json.loads(raw))
    except (ValueError, UnicodeDecodeError) as error:
        return _problem(400, "malformed_payload", f"The delivery is not {what}: {error}")
    new_ids = store_inbound_events(events)
    logger.info("Delivery (%s): %d events, %d new", what, len(events), len(new_ids))
    return answer


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        challenge = meta.answer_handshake(request.GET.dict(), settings.META_VERIFY_TOKEN)
        if challenge is None:
            return HttpResponse("Verification failed.", status=403, content_type="text/plain")
        return HttpResponse(challenge, content_type="text/plain")

    return _receive(
        request,
        proof=lambda raw: meta.verify_signature(
            raw, request.headers.get(meta.SIGNATURE_HEADER), settings.META_APP_SECRET
        ),
        refused="X-Hub-Signature-256 is missing or does not match.",
        split=meta.split_delivery,
        what="a Meta webhook",
        answer=HttpResponse("EVENT_RECEIVED", content_type="text/plain"),
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def x_webhook(request: HttpRequest) -> HttpResponse:
    """X Account Activity: the CRC on GET (§2.1), signed deliveries on POST (§2.2)."""
    if request.method == "GET":
        crc_token = request.GET.get("crc_token", "")
        if not crc_token or not settings.X_CONSUMER_SECRET:
            return _problem(400, "missing_crc_token", "A crc_token parameter is required.")
        return JsonResponse(x.crc_response(crc_token, settings.X_CONSUMER_SECRET))

    return _receive(
        request,
        proof=lambda raw: x.verify_signature(
            raw, request.headers.get(x.SIGNATURE_HEADER), settings.X_CONSUMER_SECRET
        ),
        refused="x-twitter-webhooks-signature is missing or does not match.",
        split=x.split_delivery,
        what="an X activity",
        answer=HttpResponse(status=200),
    )


@csrf_exempt
@require_http_methods(["POST"])
def google_webhook(request: HttpRequest) -> HttpResponse:
    """Google Business Profile notifications through a Pub/Sub push subscription (§3.3).

    The push URL carries a shared secret (?token=...). The notification only names the review:
    processing fetches it. Pub/Sub redelivers anything not answered 2xx, so a notification
    we do not use is acknowledged too."""
    token = request.GET.get("token", "")
    expected = settings.GOOGLE_PUSH_TOKEN
    return _receive(
        request,
        proof=lambda raw: bool(expected) and hmac.compare_digest(token.encode(), expected.encode()),
        refused="The push token is missing or does not match.",
        refused_code="bad_token",
        split=google_business.split_push,
        what="a Pub/Sub push",
        answer=HttpResponse(status=204),
    )
