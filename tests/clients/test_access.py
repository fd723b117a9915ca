"""Who gets what on every page of the slice: 200, 403 (member without the capability),
404 (not a member: the same page a missing URL gets), or the login page (anonymous)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from accounts.models import User
from inbox.models import Reply
from tests.conftest import Cast, SessionClients
from tests.factories import make_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment_a(cast: Cast, session_clients: SessionClients) -> Any:
    with tenant_context(session_clients.client_a):
        return make_comment(cast.page_a)


def login(http: HttpClient, user: User | None) -> HttpClient:
    if user is not None:
        http.force_login(user)
    return http


CLIENT_A_PAGES = [
    "/clients/client-a/",
    "/clients/client-a/inbox/",
    "/clients/client-a/inbox/interactions/{comment}/",
]

# who -> expected status for client A's pages (after following the /clients/a/ redirect)
EXPECTED_PAGE_STATUS = {
    "owner": 200,
    "agent_a": 200,
    "approver_a": 200,
    "viewer_a": 200,
    "agent_b": 404,
    "outsider": 404,
}


@pytest.mark.parametrize("who", list(EXPECTED_PAGE_STATUS))
@pytest.mark.parametrize("page", CLIENT_A_PAGES)
def test_client_a_pages_by_member(
    client: HttpClient, cast: Cast, comment_a: Any, who: str, page: str
) -> None:
    login(client, getattr(cast, who))

    response = client.get(page.format(comment=comment_a.pk), follow=True)

    assert response.status_code == EXPECTED_PAGE_STATUS[who]


@pytest.mark.parametrize("who", ["agent_b", "outsider"])
@pytest.mark.parametrize("page", [*CLIENT_A_PAGES, "/clients/client-a/inbox/replies/1/status/"])
def test_not_yours_is_identical_to_does_not_exist(
    client: HttpClient, cast: Cast, comment_a: Any, who: str, page: str
) -> None:
    login(client, getattr(cast, who))

    denied = client.get(page.format(comment=comment_a.pk))
    missing_client = client.get(page.replace("client-a", "no-such-client").format(comment=1))

    assert denied.status_code == missing_client.status_code == 404
    assert denied.content == missing_client.content


def test_missing_object_inside_own_client_is_the_same_404(
    client: HttpClient, cast: Cast, comment_a: Any
) -> None:
    login(client, cast.agent_b)
    not_member = client.get(f"/clients/client-a/inbox/interactions/{comment_a.pk}/")
    login(client, cast.agent_a)
    missing = client.get("/clients/client-a/inbox/interactions/999999999/")

    assert missing.status_code == not_member.status_code == 404
    assert missing.content == not_member.content


@pytest.mark.parametrize("slug", ["client-a", "no-such-client"])
def test_anonymous_is_sent_to_login_whether_or_not_the_client_exists(
    client: HttpClient, slug: str
) -> None:
    response = client.get(f"/clients/{slug}/inbox/")

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/clients/{slug}/inbox/"


def test_inactive_client_is_404_even_for_its_agency_owner(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session_clients.client_a, "is_active", False)  # the session's object
    session_clients.client_a.save(update_fields=["is_active"])
    login(client, cast.owner)

    assert client.get("/clients/client-a/inbox/").status_code == 404


# who -> status of POSTing a reply in client A, and whether a reply exists afterwards
EXPECTED_REPLY = {
    "owner": (302, True),
    "agent_a": (302, True),
    "approver_a": (403, False),
    "viewer_a": (403, False),
    "agent_b": (404, False),
    "outsider": (404, False),
}


@pytest.mark.parametrize("who", list(EXPECTED_REPLY))
def test_reply_action_by_member(
    client: HttpClient,
    cast: Cast,
    comment_a: Any,
    session_clients: SessionClients,
    who: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    login(client, getattr(cast, who))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/clients/client-a/inbox/interactions/{comment_a.pk}/replies/",
            {"text": "Yes, it comes in navy blue."},
        )

    expected_status, reply_exists = EXPECTED_REPLY[who]
    assert response.status_code == expected_status
    with tenant_context(session_clients.client_a):
        assert Reply.objects.exists() is reply_exists


def test_agent_of_b_cannot_reply_to_a_comment_of_a_through_their_own_client(
    client: HttpClient, cast: Cast, comment_a: Any, session_clients: SessionClients
) -> None:
    # The id of client A's comment, asked for inside client B: it does not exist there.
    login(client, cast.agent_b)

    response = client.post(
        f"/clients/client-b/inbox/interactions/{comment_a.pk}/replies/", {"text": "Hello"}
    )

    assert response.status_code == 404
    with tenant_context(session_clients.client_a):
        assert not Reply.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("agent_a", 404), ("approver_a", 404), ("outsider", 200)],
)
def test_client_create_page_is_for_agency_owners_and_admins(
    client: HttpClient, cast: Cast, who: str, expected: int
) -> None:
    login(client, getattr(cast, who))
    assert client.get("/agency/clients/new/").status_code == expected


@pytest.mark.parametrize("who", ["agent_a", "approver_a", "outsider"])
def test_client_create_denied_changes_nothing(client: HttpClient, cast: Cast, who: str) -> None:
    from clients.models import Client

    login(client, getattr(cast, who))
    before = Client.objects.count()

    response = client.post(
        "/agency/clients/new/",
        {
            "agency": cast.page_a.client.agency_id,
            "name": "Sneaky",
            "slug": "sneaky",
            "default_language": "en",
            "time_zone": "UTC",
        },
    )

    assert response.status_code in {200, 404}  # 200: the form refuses another agency's id
    assert Client.objects.count() == before


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("owner", {"Client A", "Client B"}),
        ("agent_a", {"Client A"}),
        ("approver_a", {"Client A"}),
        ("agent_b", {"Client B"}),
        ("outsider", set()),
    ],
)
def test_agency_home_lists_only_the_users_clients(
    client: HttpClient, cast: Cast, who: str, visible: set[str]
) -> None:
    login(client, getattr(cast, who))

    response = client.get("/")

    shown = {c.name for c in response.context["clients"]}
    assert shown == visible


def test_operator_page_is_for_staff_only(client: HttpClient, cast: Cast) -> None:
    login(client, cast.owner)
    assert client.get("/agency/inbound-events/").status_code == 404
    cast.owner.is_staff = True
    cast.owner.save()
    assert client.get("/agency/inbound-events/").status_code == 200


def test_operators_replay_parked_deliveries_and_nobody_else_can(
    client: HttpClient, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    from clients.models import InboundEvent

    parked = InboundEvent.objects.create(
        platform="facebook",
        account_external_id=cast.page_a.external_account_id,
        dedupe_key="parked-1",
        payload={},
        status="failed",
        attempts=5,
        last_error="RuntimeError: boom",
    )
    login(client, cast.owner)
    assert client.post(f"/agency/inbound-events/{parked.pk}/replay/").status_code == 404
    cast.owner.is_staff = True
    cast.owner.save()
    with django_capture_on_commit_callbacks(execute=False) as scheduled:
        response = client.post(f"/agency/inbound-events/{parked.pk}/replay/")
    assert response.status_code == 302
    parked.refresh_from_db()
    assert (parked.status, parked.attempts) == ("pending", 0)
    assert len(scheduled) == 1  # processing is queued after the commit
    # Already pending: nothing to replay, and an unknown id is simply not found.
    assert client.post(f"/agency/inbound-events/{parked.pk}/replay/").status_code == 404
    assert client.post("/agency/inbound-events/replay/").status_code == 302


def test_operators_see_and_replay_a_delivery_that_could_not_be_split(
    client: HttpClient, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    from clients.models import InboundDelivery

    parked = InboundDelivery.objects.create(
        events="[]", event_count=3, last_error="invalid input syntax for type json <b>"
    )
    login(client, cast.owner)
    assert client.post(f"/agency/inbound-deliveries/{parked.pk}/replay/").status_code == 404
    cast.owner.is_staff = True
    cast.owner.save()
    page = client.get("/agency/inbound-events/").content.decode()
    assert "invalid input syntax for type json &lt;b&gt;" in page  # escaped
    with django_capture_on_commit_callbacks(execute=False) as scheduled:
        response = client.post(f"/agency/inbound-deliveries/{parked.pk}/replay/")
    assert response.status_code == 302
    parked.refresh_from_db()
    assert parked.last_error == ""
    assert len(scheduled) == 1
    assert client.post(f"/agency/inbound-deliveries/{parked.pk}/replay/").status_code == 404
    assert client.post("/agency/inbound-deliveries/999999/replay/").status_code == 404
