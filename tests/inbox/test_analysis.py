"""Reading incoming messages: language, sentiment, needs-reply, spam, in four languages."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from clients.platforms.meta import split_delivery
from clients.services import process_inbound_event, store_inbound_events
from clients.simulator.generator import feed_comment_delivery
from inbox.analysis import analyze
from inbox.approvals import get_approval_policy
from inbox.models import ApprovalPolicy, AutoReplyRule, Interaction, Reply
from inbox.services import create_reply
from tests.conftest import PAGE_A, Cast

EVAL_SET = Path(__file__).resolve().parents[2] / "bench" / "data" / "analysis_eval.jsonl"


@pytest.mark.parametrize(
    ("text", "client_language", "language", "sentiment", "needs_reply"),
    [
        ("Is this available in blue?", "de", "en", "neutral", True),
        ("Wo bleibt meine Bestellung?", "en", "de", "negative", True),
        ("Zamówienie nie dotarło, skandal", "en", "pl", "negative", True),
        ("Спасибо, всё отлично!", "en", "ru", "positive", False),
        ("Na toll, schon wieder verspätet. Danke für nichts.", "de", "de", "negative", True),
        ("😍😍😍", "pl", "pl", "positive", False),  # emoji only: the client's language
        ("@anna_k look at this", "en", "en", "neutral", False),  # friends tagging friends
        ("Danke!", "de", "de", "positive", False),
    ],
)
def test_reads_messages(
    text: str, client_language: str, language: str, sentiment: str, needs_reply: bool
) -> None:
    result = analyze(text, fallback_language=client_language)

    assert (result.language, result.sentiment, result.needs_reply) == (
        language,
        sentiment,
        needs_reply,
    )


def test_spam_and_abuse() -> None:
    spam = analyze("Free followers! check my profile http://x.example", fallback_language="en")
    abuse = analyze("Kurwa, co za obsługa", fallback_language="pl")

    assert (spam.is_spam, spam.needs_reply) == (True, False)
    assert abuse.is_abusive


def test_the_labelled_set_is_complete() -> None:
    rows = [json.loads(line) for line in EVAL_SET.read_text().splitlines()]
    assert Counter(row["client_language"] for row in rows) == {
        "en": 100,
        "de": 100,
        "pl": 100,
        "ru": 100,
    }
    assert {row["sentiment"] for row in rows} == {"positive", "neutral", "negative"}


def test_quality_does_not_fall_below_the_measured_floor() -> None:
    """Deterministic: the analyzer's answers on the labelled set. bench/analysis.py prints the
    figures; this only catches a change that makes them clearly worse."""
    rows = [json.loads(line) for line in EVAL_SET.read_text().splitlines()]
    results = [analyze(row["text"], fallback_language=row["client_language"]) for row in rows]

    def accuracy(task: str, attribute: str) -> float:
        return sum(
            getattr(r, attribute) == row[task] for r, row in zip(results, rows, strict=True)
        ) / len(rows)

    assert accuracy("language", "language") >= 0.95
    assert accuracy("sentiment", "sentiment") >= 0.78
    assert accuracy("needs_reply", "needs_reply") >= 0.85
    assert accuracy("spam", "is_spam") >= 0.95


# --- in the pipeline ---------------------------------------------------------------------


def deliver(text: str, serial: int, captured: Any, author: str = "6000000000000001") -> Interaction:
    payload = feed_comment_delivery(
        page_id=PAGE_A,
        author_id=author,
        author_name="Jane Doe",
        message=text,
        comment_object_id=str(800000000000000 + serial),
        post_object_id="700000000000001",
        created_time=1717000000 + serial,
    )
    with captured(execute=True):
        for event_id in store_inbound_events(split_delivery(payload)):
            process_inbound_event(event_id=event_id)
    return Interaction.objects.get(external_id=f"700000000000001_{800000000000000 + serial}")


@pytest.mark.django_db
def test_ingestion_stores_the_reading_and_decides_needs_reply(
    cast: Cast, in_client_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    praise = deliver("Amazing service, thank you!", 1, django_capture_on_commit_callbacks)
    complaint = deliver(
        "Still waiting for my refund, this is terrible", 2, django_capture_on_commit_callbacks
    )

    assert (praise.language, praise.sentiment, praise.needs_reply) == ("en", "positive", False)
    assert (complaint.sentiment, complaint.needs_reply) == ("negative", True)
    assert complaint.sentiment_score is not None
    assert complaint.sentiment_score < 0


@pytest.mark.django_db
def test_spam_is_flagged_and_never_answered_automatically(
    cast: Cast, in_client_a: Any, simulator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    AutoReplyRule.objects.create(
        name="Profile", keywords=["profile"], kinds=["comment"], response="Thanks for reaching out!"
    )

    spam = deliver(
        "Free followers! check my profile http://grow.example",
        1,
        django_capture_on_commit_callbacks,
    )

    assert (spam.is_spam, spam.needs_reply) == (True, False)
    assert simulator.requests == []


@pytest.mark.django_db
def test_flagged_policy_holds_replies_to_unhappy_people(
    cast: Cast, in_client_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    policy = get_approval_policy()
    policy.mode = ApprovalPolicy.Mode.FLAGGED
    policy.save()
    complaint = deliver(
        "Worst service ever, I want my money back", 1, django_capture_on_commit_callbacks
    )

    reply = create_reply(interaction=complaint, author=cast.agent_a, text="We are sorry.")

    assert reply.status == Reply.Status.PENDING_APPROVAL
    assert reply.approval_reasons == ["The person is unhappy (negative sentiment)."]
