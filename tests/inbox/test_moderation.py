"""Hide, unhide, delete and block on the platforms: one call each, and plain words where a
platform has no API for it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from clients.services import connect_account
from inbox.models import ConversationEvent, Interaction, ModerationAction
from inbox.moderation import ModerationNotAllowed, request_moderation, run_moderation
from inbox.tasks import moderate_task
from tests.conftest import Cast, SessionClients, Simulator
from tests.factories import make_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment(cast: Cast, in_client_a: Any) -> Interaction:
    return make_comment(cast.page_a)


def platform_calls(simulator: Simulator) -> list[dict[str, Any]]:
    return [r for r in simulator.requests if r["path"].startswith("/v21.0/")]


def url(interaction: Interaction, client_slug: str = "client-a") -> str:
    return (
        f"/clients/{client_slug}/inbox/interactions/{interaction.pk}/moderate/?to={interaction.pk}"
    )


@pytest.mark.parametrize(
    ("action", "method", "body", "hidden", "deleted"),
    [
        ("hide", "POST", {"is_hidden": "true"}, True, False),
        ("delete", "DELETE", {}, False, True),
    ],
)
def test_hide_and_delete_call_the_platform_once_and_show_at_once(
    cast: Cast,
    comment: Interaction,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
    action: str,
    method: str,
    body: dict[str, str],
    hidden: bool,
    deleted: bool,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        requested = request_moderation(interaction=comment, action=action, actor=cast.agent_a)
    assert run_moderation(action_id=requested.pk) is None  # the task ran twice: one call

    [call] = platform_calls(simulator)
    assert (call["method"], call["path"], call["body"]) == (
        method,
        f"/v21.0/{comment.external_id}",
        body,
    )
    comment.refresh_from_db()
    requested.refresh_from_db()
    assert (comment.is_hidden, comment.is_deleted, requested.status) == (hidden, deleted, "done")
    assert ConversationEvent.objects.filter(verb="moderated").count() == 1


def test_block_bans_the_author_from_the_page(
    cast: Cast, comment: Interaction, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request_moderation(interaction=comment, action="block", actor=cast.agent_a)
    [call] = platform_calls(simulator)
    assert call["path"] == f"/v21.0/{cast.page_a.external_account_id}/blocked"
    assert call["body"] == {"user": comment.contact.external_id}  # type: ignore[union-attr]


@pytest.mark.usefixtures("eager_retries")
def test_rate_limited_then_done_once_and_refusals_keep_the_platforms_words(
    cast: Cast, comment: Interaction, simulator: Simulator
) -> None:
    simulator.fail("^/v21.0/", 429, count=1)
    hide = request_moderation(interaction=comment, action="hide", actor=cast.agent_a)
    moderate_task.apply(args=[hide.pk])
    hide.refresh_from_db()
    assert hide.status == "done"
    assert len(platform_calls(simulator)) == 2  # the 429, then the call that worked

    simulator.fail("^/v21.0/", 400, count=1)
    delete = request_moderation(interaction=comment, action="delete", actor=cast.agent_a)
    moderate_task.apply(args=[delete.pk])
    delete.refresh_from_db()
    comment.refresh_from_db()
    assert (delete.status, delete.error_message, comment.is_deleted) == (
        "failed",
        "Injected failure",
        False,
    )


@pytest.mark.parametrize(
    ("platform", "kind", "action", "message"),
    [
        ("instagram", "comment", "block", "Instagram has no API to block people"),
        ("x", "mention", "block", "needs the Enterprise plan"),
        ("x", "mention", "delete", "X lets an account delete only its own posts"),
        ("google_business", "review", "hide", "Google does not let businesses hide reviews"),
        ("linkedin", "comment", "hide", "LinkedIn has no way to hide a comment"),
        ("tiktok", "comment", "block", "TikTok's API cannot block people"),
        ("messenger", "dm", "delete", "Messenger cannot hide or delete"),
    ],
)
def test_what_a_platform_cannot_do_is_refused_plainly_and_never_attempted(
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    in_client_a: Any,
    platform: str,
    kind: str,
    action: str,
    message: str,
) -> None:
    account = cast.page_a
    if platform != "messenger":
        account = connect_account(
            client=session_clients.client_a,
            platform=platform,
            external_account_id=f"{platform}-1",
            name=platform,
            access_token="token",
        )
    item = make_comment(account)
    Interaction.objects.filter(pk=item.pk).update(platform=platform, kind=kind)
    item.refresh_from_db()
    with pytest.raises(ModerationNotAllowed, match=message):
        request_moderation(interaction=item, action=action, actor=cast.agent_a)
    assert not ModerationAction.objects.exists()
    assert simulator.requests == []


def test_the_conversation_offers_what_is_possible_and_says_what_is_not(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with tenant_context(session_clients.client_a):
        item = make_comment(cast.page_a)
        Interaction.objects.filter(pk=item.pk).update(platform="instagram")
    connection.set_schema_to_public()
    client.force_login(cast.agent_a)

    page = client.get(f"/clients/client-a/inbox/interactions/{item.pk}/").content.decode()
    assert 'name="action" value="hide"' in page
    assert "Instagram has no API to block people" in page

    refused = client.post(url(item), {"action": "block"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    assert "Instagram has no API to block people" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(url(item), {"action": "hide"}, HTTP_HX_REQUEST="true")
    assert "Hide: Pending" in queued.content.decode()
    page = client.get(f"/clients/client-a/inbox/interactions/{item.pk}/").content.decode()
    assert "Hide: Done" in page
    assert 'name="action" value="unhide"' in page


def test_only_people_who_may_moderate_and_only_their_clients_items(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        item = make_comment(cast.page_a)
    connection.set_schema_to_public()
    client.force_login(cast.viewer_a)
    assert client.post(url(item), {"action": "hide"}).status_code == 403
    client.force_login(cast.agent_b)
    # No seat on client A: the same answer as for a client that does not exist.
    assert client.post(url(item), {"action": "hide"}).status_code == 404
    assert client.post(url(item, "client-b"), {"action": "hide"}).status_code == 404
    client.force_login(cast.agent_a)
    unknown = client.post(url(item), {"action": "explode"}, HTTP_HX_REQUEST="true")
    assert "Unknown action." in unknown.content.decode()
    with tenant_context(session_clients.client_a):
        assert not ModerationAction.objects.exists()


# (platform, kind, action, account id, the call the platform gets: method, path, body/query)
PLATFORM_CALLS = [
    ("instagram", "comment", "hide", "17841400000000001", "POST", "/v21.0/{id}", {"hide": "true"}),
    ("instagram", "comment", "delete", "17841400000000001", "DELETE", "/v21.0/{id}", {}),
    ("messenger", "dm", "block", None, "POST", "/v21.0/{page}/blocked", {"psid": "{person}"}),
    ("x", "comment", "hide", "2244994945", "PUT", "/2/tweets/{id}/hidden", {"hidden": True}),
    (
        "youtube",
        "comment",
        "hide",
        "UCchannel",
        "POST",
        "/youtube/v3/comments/setModerationStatus",
        {"id": "{id}", "moderationStatus": "heldForReview"},
    ),
    (
        "youtube",
        "comment",
        "block",
        "UCchannel",
        "POST",
        "/youtube/v3/comments/setModerationStatus",
        {"id": "{id}", "moderationStatus": "rejected", "banAuthor": "true"},
    ),
    (
        "tiktok",
        "comment",
        "hide",
        "bc-1",
        "POST",
        "/open_api/v1.3/business/comment/hide/",
        {"comment_id": "{id}", "action": "HIDE"},
    ),
    ("linkedin", "comment", "delete", "urn:li:organization:1", "DELETE", None, {}),
]


@pytest.mark.parametrize(
    ("platform", "kind", "action", "account_id", "method", "path", "expected"), PLATFORM_CALLS
)
def test_each_platforms_moderation_call(
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    in_client_a: Any,
    django_capture_on_commit_callbacks: Any,
    platform: str,
    kind: str,
    action: str,
    account_id: str | None,
    method: str,
    path: str | None,
    expected: dict[str, Any],
) -> None:
    account = cast.page_a
    if account_id is not None:
        account = connect_account(
            client=session_clients.client_a,
            platform=platform,
            external_account_id=account_id,
            name=platform,
            access_token="token",
        )
    item = make_comment(account)
    Interaction.objects.filter(pk=item.pk).update(platform=platform, kind=kind)
    if platform == "linkedin":
        Interaction.objects.filter(pk=item.pk).update(
            external_id="urn:li:comment:(urn:li:activity:7,7001)"
        )
        item.conversation.post_external_id = "urn:li:share:7"
        item.conversation.save(update_fields=["post_external_id"])
    item.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        requested = request_moderation(interaction=item, action=action, actor=cast.agent_a)
    requested.refresh_from_db()
    assert (requested.status, requested.error_message) == ("done", "")
    [call] = [r for r in simulator.requests if not r["path"].startswith("/oauth/")]
    assert call["method"] == method
    values = {"id": item.external_id, "page": cast.page_a.external_account_id}
    values["person"] = item.contact.external_id  # type: ignore[union-attr]
    if path is None:  # LinkedIn: the post, the comment's own id, and the organization acting
        assert call["path"] == "/rest/socialActions/urn%3Ali%3Ashare%3A7/comments/7001"
        assert call["query"] == {"actor": "urn:li:organization:1"}
        return
    assert call["path"] == path.format(**values)
    sent = {**call["query"], **call["body"]}
    for key, value in expected.items():
        assert sent[key] == (value.format(**values) if isinstance(value, str) else value)


def test_the_api_says_what_is_possible_and_refuses_the_rest_plainly(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with tenant_context(session_clients.client_a):
        item = make_comment(cast.page_a)
        Interaction.objects.filter(pk=item.pk).update(platform="instagram")
    connection.set_schema_to_public()
    api = f"/clients/client-a/api/v1/interactions/{item.pk}/moderation"

    client.force_login(cast.viewer_a)
    state = client.get(api).json()
    assert {o["action"]: o["available"] for o in state["options"]} == {
        "hide": True,
        "delete": True,
        "block": False,
    }
    [block] = [o for o in state["options"] if o["action"] == "block"]
    assert block["reason"].startswith("Instagram has no API to block people")
    assert client.post(api, {"action": "hide"}, content_type="application/json").status_code == 403

    client.force_login(cast.agent_a)
    refused = client.post(api, {"action": "block"}, content_type="application/json")
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "not_supported"
    assert refused.json()["detail"].startswith("Instagram has no API to block people")
    invalid = client.post(api, {"action": "explode"}, content_type="application/json")
    assert (invalid.status_code, list(invalid.json()["field_errors"])) == (400, ["action"])
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(api, {"action": "hide"}, content_type="application/json")
    assert accepted.status_code == 202
    assert accepted.json()["status"] == "pending"
    assert [h["status"] for h in client.get(api).json()["history"]] == ["done"]

    client.force_login(cast.agent_b)  # another client's agent: not found, as for a missing one
    other = f"/clients/client-b/api/v1/interactions/{item.pk}/moderation"
    assert client.get(other).status_code == 404
