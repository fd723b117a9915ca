"""What a platform's webhook request gets, whoever serves it.

The Django views (views.py) and the lean receiver (receiver.py) both ask this module for the
answer; they differ only in how they read the body and store the events. Every POST checks
the platform's proof (signature, token) on the exact bytes received before parsing anything,
answers 413 for oversized bodies and 400 for malformed ones, and names the events that must
be committed before the answer is sent (acknowledged means stored). The handshake GETs (Meta's
hub.challenge, X's CRC) are answered here too.

Header names are given in lower case; the query as a plain dict (the last value of a repeated
parameter, as Django's QueryDict.dict())."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from clients.models import InboundEvent
from clients.platforms import google_business, meta, x
from clients.platforms.base import SplitEvent
from clients.services import decode_json

Headers = Mapping[str, str]
Query = Mapping[str, str]


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "text/plain"
    # Store these (committed) before sending the answer.
    events: Sequence[SplitEvent] = field(default_factory=tuple)
    headers: tuple[tuple[str, str], ...] = ()


def problem(status: int, code: str, message: str) -> Answer:
    body = json.dumps({"code": code, "message": message}).encode()
    return Answer(status, body, "application/json")


NOT_FOUND = problem(404, "not_found", "There is no webhook endpoint here.")
TOO_LARGE = problem(413, "body_too_large", "The delivery is larger than this server accepts.")


@dataclass(frozen=True)
class Endpoint:
    """One platform's webhook: how it proves a delivery, how it splits into events, what it
    expects back, and its handshake GET if it has one."""

    proof: Callable[[bytes, Headers, Query], bool]
    refused: str
    refused_code: str
    split: Callable[[Any], list[SplitEvent]]
    what: str
    accepted: Answer
    handshake: Callable[[Query], Answer] | None = None


def _meta_proof(raw: bytes, headers: Headers, query: Query) -> bool:
    signature = headers.get(meta.SIGNATURE_HEADER.lower())
    return meta.verify_signature(raw, signature, settings.META_APP_SECRET)


def _meta_handshake(query: Query) -> Answer:
    challenge = meta.answer_handshake(dict(query), settings.META_VERIFY_TOKEN)
    if challenge is None:
        return Answer(403, b"Verification failed.")
    return Answer(200, challenge.encode())


def _x_proof(raw: bytes, headers: Headers, query: Query) -> bool:
    signature = headers.get(x.SIGNATURE_HEADER.lower())
    return x.verify_signature(raw, signature, settings.X_CONSUMER_SECRET)


def _x_crc(query: Query) -> Answer:
    """X Account Activity's challenge-response check (§2.1)."""
    crc_token = query.get("crc_token", "")
    if not crc_token or not settings.X_CONSUMER_SECRET:
        return problem(400, "missing_crc_token", "A crc_token parameter is required.")
    body = json.dumps(x.crc_response(crc_token, settings.X_CONSUMER_SECRET)).encode()
    return Answer(200, body, "application/json")


def _google_proof(raw: bytes, headers: Headers, query: Query) -> bool:
    """Pub/Sub push (§3.3) carries a shared secret in the URL (?token=...)."""
    expected = settings.GOOGLE_PUSH_TOKEN
    token = query.get("token", "")
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


ENDPOINTS: dict[str, Endpoint] = {
    "meta": Endpoint(
        proof=_meta_proof,
        refused="X-Hub-Signature-256 is missing or does not match.",
        refused_code="bad_signature",
        split=meta.split_delivery,
        what="a Meta webhook",
        accepted=Answer(200, b"EVENT_RECEIVED"),
        handshake=_meta_handshake,
    ),
    "x": Endpoint(
        proof=_x_proof,
        refused="x-twitter-webhooks-signature is missing or does not match.",
        refused_code="bad_signature",
        split=x.split_delivery,
        what="an X activity",
        accepted=Answer(200),
        handshake=_x_crc,
    ),
    # The notification only names the review: processing fetches it. Pub/Sub redelivers
    # anything not answered 2xx, so a notification we do not use is acknowledged too.
    "google": Endpoint(
        proof=_google_proof,
        refused="The push token is missing or does not match.",
        refused_code="bad_token",
        split=google_business.split_push,
        what="a Pub/Sub push",
        accepted=Answer(204),
    ),
}


def not_allowed(name: str) -> Answer:
    endpoint = ENDPOINTS.get(name)
    if endpoint is None:
        return NOT_FOUND
    refusal = problem(405, "method_not_allowed", "This endpoint does not accept that method.")
    allowed = "GET, POST" if endpoint.handshake else "POST"
    return Answer(refusal.status, refusal.body, refusal.content_type, headers=(("Allow", allowed),))


def answer_get(name: str, query: Query) -> Answer:
    endpoint = ENDPOINTS.get(name)
    if endpoint is None or endpoint.handshake is None:
        return not_allowed(name)
    return endpoint.handshake(query)


def answer_post(name: str, raw: bytes | None, headers: Headers, query: Query) -> Answer:
    """`raw` is None when the body was larger than WEBHOOK_MAX_BODY_BYTES."""
    endpoint = ENDPOINTS.get(name)
    if endpoint is None:
        return NOT_FOUND
    if raw is None:
        return TOO_LARGE
    if not endpoint.proof(raw, headers, query):
        return problem(401, endpoint.refused_code, endpoint.refused)
    try:
        events = endpoint.split(decode_json(raw))
    except (ValueError, UnicodeDecodeError) as error:
        return problem(400, "malformed_payload", f"The delivery is not {endpoint.what}: {error}")
    unstorable = _unstorable(events)
    if unstorable:
        return problem(
            400, "malformed_payload", f"The delivery is not {endpoint.what}: {unstorable}"
        )
    accepted = endpoint.accepted
    return Answer(accepted.status, accepted.body, accepted.content_type, events)


# The columns a platform's ids go into, and how long they may be.
_ID_LIMITS = {
    name: int(getattr(InboundEvent._meta.get_field(name), "max_length", 0) or 0)
    for name in ("account_external_id", "dedupe_key")
}


def _unstorable(events: Sequence[SplitEvent]) -> str:
    """Why an event cannot be stored as it is (an id longer than any platform's), or ''."""
    for event in events:
        for name, limit in _ID_LIMITS.items():
            if len(getattr(event, name)) > limit:
                return f"an event's {name.replace('_', ' ')} is longer than {limit} characters"
    return ""


def too_large(declared_length: str | None) -> bool:
    """Whether a declared Content-Length is already over the limit (read nothing then)."""
    try:
        return int(declared_length or 0) > settings.WEBHOOK_MAX_BODY_BYTES
    except ValueError:
        return False
