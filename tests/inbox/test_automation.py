"""Automatic replies: keyword rules and maintenance mode, checked, logged, never looping."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from clients.platforms.meta import split_delivery
from clients.services import process_inbound_event, store_inbound_events
from clients.simulator.generator import feed_comment_delivery, messenger_delivery
from guidelines.services import save_guideline_version
from inbox.automation import run_automation
from inbox.models import AutomationEvent, AutoReplyRule, Interaction, Reply
from tests.conftest import PAGE_A, Cast, SessionClients, Simulator

pytestmark = pytest.mark.django_db

POST = "700000000000001"


def comment(
    serial: int,
    *,
    author: str = "6000000000000001",
    name: str = "Jane Doe",
    text: str = "What are your opening hours?",
    parent: str | None = None,
) -> dict[str, Any]:
    return feed_comment_delivery(
        page_id=PAGE_A,
        author_id=author,
        author_name=name,
        message=text,
        post_object_id=POST,
        comment_object_id=str(800000000000000 + serial),
        created_time=1717000000 + serial,
        parent_comment_id=parent,
    )


def deliver(payload: dict[str, Any], captured: Any) -> None:
    with captured(execute=True):
        for event_id in store_inbound_events(split_delivery(payload)):
            process_inbound_event(event_id=event_id)


def graph_calls(simulator: Simulator) -> list[dict[str, Any]]:
    return [r for r in simulator.requests if r["path"].endswith("/comments")]


@pytest.fixture
def hours_rule(cast: Cast, in_client_a: Any) -> AutoReplyRule:
    return AutoReplyRule.objects.create(
        name="Opening hours",
        keywords=["opening hours", "Öffnungszeiten"],
        kinds=["comment"],
        response="Hi {contact.first_name}, we are open 8 to 18. {agent.name}",
    )


def test_keyword_comment_gets_one_checked_reply(
    hours_rule: AutoReplyRule, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(comment(1), django_capture_on_commit_callbacks)

    [call] = graph_calls(simulator)
    assert call["body"] == {"message": "Hi Jane, we are open 8 to 18. Client A"}
    reply = Reply.objects.get()
    assert (reply.status, reply.automation_rule, reply.author_id) == ("sent", "Opening hours", None)
    event = AutomationEvent.objects.get()
    assert (event.rule, event.outcome, event.reply_id) == ("Opening hours", "replied", reply.pk)


def test_automation_runs_once_per_interaction(
    hours_rule: AutoReplyRule, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(comment(1), django_capture_on_commit_callbacks)
    interaction = Interaction.objects.get(direction="inbound")

    with django_capture_on_commit_callbacks(execute=True):
        assert run_automation(interaction_id=interaction.pk) is None

    assert len(graph_calls(simulator)) == 1


def test_two_bots_never_ping_pong(
    hours_rule: AutoReplyRule, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    # A bot that answers every reply with our keyword again, five times over.
    deliver(comment(1, name="Hours Bot"), django_capture_on_commit_callbacks)
    for round_number in range(2, 7):
        # Our own reply comes back as an echo (from the page): never answered.
        deliver(
            comment(
                100 + round_number,
                author=PAGE_A,
                name="Client A Page",
                text="Hi Hours, we are open 8 to 18.",
                parent=f"{POST}_800000000000001",
            ),
            django_capture_on_commit_callbacks,
        )
        deliver(
            comment(round_number, name="Hours Bot", text="opening hours? opening hours?"),
            django_capture_on_commit_callbacks,
        )

    assert len(graph_calls(simulator)) == 1
    outcomes = list(AutomationEvent.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["replied"] + ["rate_limited"] * 5


def test_other_people_are_answered_within_the_same_hour(
    hours_rule: AutoReplyRule, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(comment(1), django_capture_on_commit_callbacks)
    deliver(
        comment(2, author="6000000000000002", name="Sam Roe"), django_capture_on_commit_callbacks
    )

    assert len(graph_calls(simulator)) == 2


def test_maintenance_mode_answers_everything_once_per_person(
    cast: Cast, in_client_a: Any, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    cast.page_a.status = "maintenance"
    cast.page_a.maintenance_message = "This page is not monitored. Write to help@brand-a.test."
    cast.page_a.save()

    deliver(comment(1, text="Anyone there?"), django_capture_on_commit_callbacks)
    deliver(comment(2, text="Hello??"), django_capture_on_commit_callbacks)

    [call] = graph_calls(simulator)
    assert call["body"]["message"] == "This page is not monitored. Write to help@brand-a.test."
    assert Reply.objects.get().automation_rule == "maintenance"


def test_guideline_blocked_automation_is_logged_not_sent(
    cast: Cast,
    hours_rule: AutoReplyRule,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    save_guideline_version(
        rules={"defaults": {"banned_phrases": [{"phrase": "open 8 to 18"}]}}, author=cast.owner
    )

    deliver(comment(1), django_capture_on_commit_callbacks)

    assert graph_calls(simulator) == []
    event = AutomationEvent.objects.get()
    assert event.outcome == "blocked"
    assert "not in this brand's vocabulary" in event.detail
    assert not Reply.objects.exists()


def test_inactive_rules_and_other_words_do_nothing(
    hours_rule: AutoReplyRule, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(comment(1, text="Lovely coffee"), django_capture_on_commit_callbacks)
    hours_rule.is_active = False
    hours_rule.save()
    deliver(
        comment(2, author="6000000000000003", text="opening hours?"),
        django_capture_on_commit_callbacks,
    )

    assert graph_calls(simulator) == []
    assert not AutomationEvent.objects.exists()


# --- the page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("agent_a", 403), ("approver_a", 403), ("agent_b", 404)]
)
def test_automation_page_is_for_managers(
    client: HttpClient, cast: Cast, who: str, status: int
) -> None:
    client.force_login(getattr(cast, who))
    assert client.get("/clients/client-a/inbox/automation/").status_code == status


def test_manager_adds_a_rule_and_sets_maintenance(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    client.force_login(cast.owner)
    url = "/clients/client-a/inbox/automation/"
    rule = {
        "name": "Hours",
        "position": "1",
        "response": "8 to 18",
        "is_active": "on",
        "active_when": "always",
        "keywords_text": "hours\nÖffnungszeiten",
        "kinds": ["comment"],
    }

    assert client.post(url, {**rule, "keywords_text": " "}).status_code == 422
    assert client.post(url, rule).status_code == 302
    account_url = f"{url}accounts/{cast.page_a.pk}/"
    prefix = f"account-{cast.page_a.pk}"
    refused = client.post(account_url, {f"{prefix}-status": "maintenance"})
    accepted = client.post(
        account_url,
        {f"{prefix}-status": "maintenance", f"{prefix}-maintenance_message": "Write to us."},
    )

    assert (refused.status_code, accepted.status_code) == (422, 302)
    with tenant_context(session_clients.client_a):
        assert AutoReplyRule.objects.get().keywords == ["hours", "Öffnungszeiten"]
    cast.page_a.refresh_from_db()
    assert (cast.page_a.status, cast.page_a.maintenance_message) == ("maintenance", "Write to us.")


def test_manager_cannot_touch_another_clients_account(client: HttpClient, cast: Cast) -> None:
    client.force_login(cast.owner)
    prefix = f"account-{cast.page_b.pk}"

    response = client.post(
        f"/clients/client-a/inbox/automation/accounts/{cast.page_b.pk}/",
        {f"{prefix}-status": "maintenance", f"{prefix}-maintenance_message": "x"},
    )

    assert response.status_code == 404
    cast.page_b.refresh_from_db()
    assert cast.page_b.status == "active"


# --- direct messages ---------------------------------------------------------------------

PERSON = "7000000000000001"


def dm(text: str, minutes_ago: float = 0, mid: str | None = None) -> dict[str, Any]:
    from django.utils import timezone

    at = int((timezone.now().timestamp() - minutes_ago * 60) * 1000)
    return messenger_delivery(page_id=PAGE_A, person_id=PERSON, text=text, timestamp_ms=at, mid=mid)


def messenger_calls(simulator: Simulator) -> list[dict[str, Any]]:
    return [r for r in simulator.requests if r["path"].endswith("/messages")]


@pytest.fixture
def dm_rule(cast: Cast, in_client_a: Any) -> AutoReplyRule:
    return AutoReplyRule.objects.create(
        name="Order status",
        keywords=["order", "Bestellung", "zamówienie"],
        kinds=["dm"],
        response="You can follow your order at https://brand-a.test/orders.",
    )


def test_direct_message_keyword_is_answered_in_messenger(
    dm_rule: AutoReplyRule, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(dm("Where is my Bestellung?"), django_capture_on_commit_callbacks)

    [call] = messenger_calls(simulator)
    assert call["body"]["recipient"] == {"id": PERSON}
    assert AutomationEvent.objects.get().outcome == "replied"


def test_asking_for_a_person_hands_the_conversation_over(
    dm_rule: AutoReplyRule, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(
        dm("Ich möchte mit einem Mitarbeiter sprechen, nicht mit einem Bot"),
        django_capture_on_commit_callbacks,
    )
    deliver(dm("Also: where is my order?", mid="m_later"), django_capture_on_commit_callbacks)

    assert messenger_calls(simulator) == []
    assert list(AutomationEvent.objects.values_list("rule", "outcome")) == [
        ("handoff", "handed_off")
    ]
    first, later = Interaction.objects.order_by("occurred_at")
    assert first.needs_reply
    assert later.needs_reply
    assert first.conversation.automation_paused_until is not None


def test_handoff_words_in_comments_do_not_pause_anything(
    hours_rule: AutoReplyRule, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(
        comment(1, text="Are your opening hours human-friendly?"),
        django_capture_on_commit_callbacks,
    )

    assert len(graph_calls(simulator)) == 1


def test_outside_hours_rule_answers_only_when_the_team_is_away(
    cast: Cast, in_client_a: Any, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    from escalation.business_hours import get_business_hours

    hours = get_business_hours()
    hours.schedule = {"mon": [["09:00", "17:00"]]}
    hours.save()
    AutoReplyRule.objects.create(
        name="After hours",
        keywords=["help"],
        kinds=["comment"],
        active_when=AutoReplyRule.When.OUTSIDE_BUSINESS_HOURS,
        response="Our team is back tomorrow at 9.",
    )
    monday_10 = 1795428000  # 2026-11-23 10:00 UTC, a Monday
    monday_20 = monday_10 + 10 * 3600

    deliver(
        feed_comment_delivery(
            page_id=PAGE_A,
            author_id="6000000000000011",
            author_name="A",
            message="help please",
            created_time=monday_10,
        ),
        django_capture_on_commit_callbacks,
    )
    deliver(
        feed_comment_delivery(
            page_id=PAGE_A,
            author_id="6000000000000012",
            author_name="B",
            message="help please",
            created_time=monday_20,
        ),
        django_capture_on_commit_callbacks,
    )

    [call] = graph_calls(simulator)
    assert call["body"] == {"message": "Our team is back tomorrow at 9."}


@pytest.mark.parametrize(
    ("text", "hands_off"),
    [
        ("Can I talk to a person please?", True),
        ("Ich möchte mit einem Mitarbeiter sprechen", True),
        ("Chcę porozmawiać z konsultantem", True),
        ("Позовите человека, пожалуйста", True),
        ("Столик на 5 человек на субботу?", False),  # "for 5 people"
        ("Are your products human tested?", False),
    ],
)
def test_what_counts_as_asking_for_a_person(text: str, hands_off: bool) -> None:
    from inbox.automation import _HANDOFF

    assert bool(_HANDOFF.search(text)) is hands_off
