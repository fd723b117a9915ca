"""Batch ingestion ends exactly where ingesting each event alone does, in fewer queries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from clients.models import Client, InboundEvent, WorkItem
from clients.platforms.meta import split_delivery
from clients.services import (
    connect_account,
    process_inbound_event,
    process_inbound_events,
    store_inbound_events,
)
from clients.simulator.generator import feed_comment_delivery, messenger_delivery
from escalation.models import EscalationRule
from inbox.models import Contact, Conversation, Interaction
from tests.conftest import PAGE_A, PAGE_B, Cast, SessionClients

pytestmark = pytest.mark.django_db


def deliveries(page: str) -> list[dict[str, Any]]:
    """A morning's mix: new comments, a reply to one in the same batch, an edit that arrives
    before its comment, a deletion, a reaction, messages and the Page's echo, repeats."""
    post = "700000000000001"
    comment = lambda n, **kw: feed_comment_delivery(  # noqa: E731
        page_id=page,
        author_id=f"600000000000{n:04d}",
        author_name=f"Person {n}",
        message=kw.pop("message", f"Is model {n} available in blue?"),
        post_object_id=post,
        comment_object_id=f"80000000000{n:04d}",
        created_time=1717000000 + n,
        **kw,
    )
    return [
        comment(1),
        comment(2, message="Where is my order? Still waiting!"),
        comment(3, parent_comment_id=f"{post}_800000000000001", message="Same question here?"),
        comment(4, verb="edited", message="Edited first: does it ship to Ireland?"),
        comment(4, message="Does it ship?"),
        comment(5, message="Thanks, lovely!"),
        comment(5, verb="remove"),
        comment(1),  # a repeat
        {
            "object": "page",
            "entry": [
                {
                    "id": page,
                    "time": 1717000100,
                    "changes": [
                        {
                            "field": "feed",
                            "value": {
                                "from": {"id": "6000000000000009", "name": "Liker"},
                                "item": "reaction",
                                "reaction_type": "love",
                                "verb": "add",
                                "post_id": f"{page}_{post}",
                                "parent_id": f"{page}_{post}",
                                "created_time": 1717000100,
                            },
                        }
                    ],
                }
            ],
        },
        messenger_delivery(
            page_id=page,
            person_id="7000000000000001",
            text="Hello, where is my refund?",
            mid="m_1",
            timestamp_ms=1717000200000,
        ),
        messenger_delivery(
            page_id=page,
            person_id="7000000000000001",
            text="We are on it!",
            mid="m_2",
            timestamp_ms=1717000300000,
            is_echo=True,
        ),
        messenger_delivery(
            page_id=page,
            person_id="7000000000000002",
            text="I want to speak to a human",
            mid="m_3",
            timestamp_ms=1717000400000,
        ),
        # Later, into threads that exist by then: a message from the first person, a reply
        # under the first comment.
        messenger_delivery(
            page_id=page,
            person_id="7000000000000001",
            text="Any news about the refund?",
            mid="m_4",
            timestamp_ms=1717000500000,
        ),
        comment(6, parent_comment_id=f"{post}_800000000000001", message="Danke, super!"),
    ]


def snapshot(client: Client, page: str) -> dict[str, Any]:
    """What the inbox shows, with the page id made neutral so two clients compare."""
    with tenant_context(client):
        interactions = sorted(
            Interaction.objects.values_list(
                "platform",
                "external_id",
                "kind",
                "direction",
                "text",
                "is_deleted",
                "needs_reply",
                "sentiment",
                "conversation__thread_key",
                "contact__external_id",
                "edited_at",
            )
        )
        conversations = sorted(
            Conversation.objects.values_list(
                "thread_key",
                "needs_reply",
                "last_inbound_at",
                "latest_inbound__external_id",
                "status",
                "contact__external_id",
                "kind",
                "priority",
                "last_activity_at",
                "sentiment",
                "language",
                "search_document",
            )
        )
        contacts = sorted(Contact.objects.values_list("platform", "external_id", "name"))
    work = sorted(
        WorkItem.objects.filter(client=client).values_list("needs_reply", "snippet", "priority")
    )
    text = json.dumps([interactions, conversations, contacts, work], default=str)
    return json.loads(text.replace(page, "PAGE"))


def test_batch_and_one_by_one_end_in_the_same_inbox(
    cast: Cast, session_clients: SessionClients, django_capture_on_commit_callbacks: Any
) -> None:
    for client in (session_clients.client_a, session_clients.client_b):
        with tenant_context(client):
            EscalationRule.objects.create(name="Orders", keywords=["order"], priority="high")
            # Engagement a rule cares about waits for a reply.
            EscalationRule.objects.create(name="Love", kinds=["like"], priority="urgent")
    connection.set_schema_to_public()

    with django_capture_on_commit_callbacks(execute=False):
        # In three batches: the later ones find some of their threads made by the earlier.
        mix = deliveries(PAGE_A)
        for part in (mix[:2], mix[2:10], mix[10:]):
            batch_ids = [i for d in part for i in store_inbound_events(split_delivery(d))]
            process_inbound_events(event_ids=batch_ids)
        # Stored only now: a batch also takes along whatever else is pending.
        alone_ids = [i for d in deliveries(PAGE_B) for i in store_inbound_events(split_delivery(d))]
        for event_id in alone_ids:
            process_inbound_event(event_id=event_id)

    batched = snapshot(session_clients.client_a, PAGE_A)
    alone = snapshot(session_clients.client_b, PAGE_B)
    assert batched == alone
    interactions, conversations = batched[0], batched[1]
    # 6 comments, a reaction, 3 messages and the echo; no repeat.
    assert len(interactions) == 11
    edited = [row for row in interactions if row[1].endswith("_800000000000004")]
    assert edited[0][4] == "Edited first: does it ship to Ireland?"
    assert {c[7] for c in conversations} == {"normal", "high", "urgent"}  # the rules ran
    reaction = next(row for row in interactions if row[2] == "like")
    assert reaction[6] is True  # needs a reply: the rule said so
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_a_batch_takes_a_fixed_number_of_queries(
    cast: Cast, django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any
) -> None:
    def comments(first: int, count: int) -> list[int]:
        ids = []
        for n in range(first, first + count):
            delivery = feed_comment_delivery(
                page_id=PAGE_A,
                author_id=f"61{n:014d}",
                author_name=f"P{n}",
                message=f"Question {n}: is it in stock?",
                comment_object_id=f"9{n:014d}",
                created_time=1717000000 + n,
            )
            ids += store_inbound_events(split_delivery(delivery))
        return ids

    with django_capture_on_commit_callbacks(execute=False):
        small = comments(0, 5)
        # Which events are pending (and which need a fetch); lock and read the events (its
        # own, then others pending), the accounts; per client: the schema switch, what is
        # known already, contacts, the interactions' ids, parents, conversations (and those
        # found, with their list fields), interactions, escalation rules, work items,
        # automation rules; the events' outcome; back to public. The same for 5 events as
        # for 200.
        with django_assert_max_num_queries(18) as few:
            process_inbound_events(event_ids=small)
        large = comments(100, 200)
        with django_assert_max_num_queries(len(few.captured_queries)):
            process_inbound_events(event_ids=large)
    assert InboundEvent.objects.filter(status="processed").count() == 205


def test_a_batch_takes_along_what_other_deliveries_left_pending(
    cast: Cast, session_clients: SessionClients, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        first = store_inbound_events(split_delivery(deliveries(PAGE_A)[0]))
        others = [
            i for d in deliveries(PAGE_B)[:4] for i in store_inbound_events(split_delivery(d))
        ]
        process_inbound_events(event_ids=first)
    assert set(
        InboundEvent.objects.filter(pk__in=first + others).values_list("status", flat=True)
    ) == {"processed"}
    with (
        django_capture_on_commit_callbacks(execute=False),
        CaptureQueriesContext(connection) as late,
    ):
        process_inbound_events(event_ids=others)  # their own task: nothing left to do
    # Which are still pending (none), look for others; the savepoint pair.
    assert len(late.captured_queries) <= 4
    # Nothing is locked: a lock is a write (WAL), and under a backlog most of a task's
    # events were taken along before it ran.
    assert not [q for q in late.captured_queries if "FOR UPDATE" in q["sql"]]


def test_a_failing_batch_falls_back_to_one_by_one_and_parks_only_the_bad_event(
    cast: Cast, session_clients: SessionClients, django_capture_on_commit_callbacks: Any
) -> None:
    # A client whose schema is gone: anything routed to it fails inside the batch.
    broken = Client(
        schema_name="client_without_schema",
        slug="broken",
        name="Broken",
        agency=session_clients.agency,
    )
    broken.auto_create_schema = False
    broken.save()
    connect_account(
        client=broken,
        platform="facebook",
        external_account_id="105000000000666",
        name="Broken Page",
        access_token="t",
    )
    with django_capture_on_commit_callbacks(execute=False):
        bad = store_inbound_events(split_delivery(deliveries("105000000000666")[0]))
        good = store_inbound_events(split_delivery(deliveries(PAGE_A)[0]))
        process_inbound_events(event_ids=bad)  # takes `good` along, then fails

    statuses = dict(InboundEvent.objects.values_list("pk", "status"))
    assert statuses[good[0]] == "processed"  # taken along, then processed on its own
    failed = InboundEvent.objects.get(pk=bad[0])
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert "does not exist" in failed.last_error, failed.last_error


def test_a_payload_number_orjson_refuses_is_still_read_by_the_batch(
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        stored = store_inbound_events(split_delivery(deliveries(PAGE_A)[0]))
    # jsonb keeps any number; orjson refuses one beyond a double (the batch decodes with it).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clients_inboundevent SET payload = jsonb_set(payload, '{extra}', '1e400')"
            " WHERE id = ANY(%s)",
            [stored],
        )
    with django_capture_on_commit_callbacks(execute=False):
        process_inbound_events(event_ids=stored)

    assert set(InboundEvent.objects.filter(pk__in=stored).values_list("status", flat=True)) == {
        "processed"
    }
    assert "one by one" not in caplog.text  # the batch itself read them
