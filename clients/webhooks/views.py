"""Platform webhooks served by Django: verify, store, acknowledge. Nothing else happens in the
request. What each request gets is decided in deliveries.py, shared with the lean receiver
(receiver.py) that serves these endpoints in production; this path serves deployments without
it and the tests' client."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from clients.services import store_inbound_events
from clients.webhooks import deliveries

logger = logging.getLogger(__name__)


def _read_limited_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is larger than WEBHOOK_MAX_BODY_BYTES."""
    if deliveries.too_large(request.headers.get("Content-Length")):
        return None
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    body = request.read(limit + 1)
    return None if len(body) > limit else body


@csrf_exempt
def webhook(request: HttpRequest, endpoint: str) -> HttpResponse:
    query = request.GET.dict()
    if request.method == "GET":
        answer = deliveries.answer_get(endpoint, query)
    elif request.method == "POST":
        headers = {name.lower(): value for name, value in request.headers.items()}
        answer = deliveries.answer_post(endpoint, _read_limited_body(request), headers, query)
        if answer.events:
            new_ids = store_inbound_events(answer.events)
            logger.info(
                "Delivery (%s): %d events, %d new", endpoint, len(answer.events), len(new_ids)
            )
    else:
        answer = deliveries.not_allowed(endpoint)
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers:
        response[name] = value
    return response
