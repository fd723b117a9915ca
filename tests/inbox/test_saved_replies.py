"""Saved replies: filled in for the conversation, counted, scoped to the client and agency."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from clients.models import AgencySavedReply
from inbox.models import Interaction, SavedReply
from inbox.saved_replies import list_saved_replies
from tests.conftest import Cast, SessionClients
from tests.factories import make_comment

pytestmark = pytest.mark.django_db

BODY = (
    "Hi {contact.first_name}, [[order number]] ships today. {agent.first_name} from {client.name}"
)


@pytest.fixture
def saved(cast: Cast, session_clients: SessionClients) -> dict[str, Any]:
    with tenant_context(session_clients.client_a):
        own = SavedReply.objects.create(title="Shipping", category="orders", body=BODY)
        comment = make_comment(cast.page_a, author_name="Jane Doe")
    shared = AgencySavedReply.objects.create(
        agency=session_clients.agency, title="Thanks", body="Thank you, {contact.name}!"
    )
    foreign = AgencySavedReply.objects.create(
        agency=session_clients.other_agency, title="Other agency", body="Not yours"
    )
    return {"own": own, "shared": shared, "foreign": foreign, "comment": comment}


def use(http: HttpClient, kind: str, pk: int, interaction: int, slug: str = "client-a") -> Any:
    return http.post(
        f"/clients/{slug}/inbox/saved-replies/{kind}/{pk}/use/", {"interaction": interaction}
    )


def test_using_a_saved_reply_fills_it_in_and_counts_it(
    client: HttpClient, cast: Cast, session_clients: SessionClients, saved: dict[str, Any]
) -> None:
    client.force_login(cast.agent_a)

    response = use(client, "client", saved["own"].pk, saved["comment"].pk)

    assert response.status_code == 200
    assert response.content.decode() == (
        "Hi Jane, [[order number]] ships today. agent-a from Client A"
    )
    with tenant_context(session_clients.client_a):
        saved["own"].refresh_from_db()
    assert saved["own"].usage_count == 1


def test_agency_saved_reply_is_usable_in_its_clients_only(
    client: HttpClient, cast: Cast, saved: dict[str, Any]
) -> None:
    client.force_login(cast.agent_a)

    shared = use(client, "agency", saved["shared"].pk, saved["comment"].pk)
    foreign = use(client, "agency", saved["foreign"].pk, saved["comment"].pk)

    assert shared.content.decode() == "Thank you, Jane Doe!"
    assert foreign.status_code == 404
    saved["foreign"].refresh_from_db()
    assert saved["foreign"].usage_count == 0


def test_unknown_name_becomes_a_prompt_the_checker_blocks(
    client: HttpClient, cast: Cast, session_clients: SessionClients, saved: dict[str, Any]
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a, author_name="")
    client.force_login(cast.agent_a)

    text = use(client, "client", saved["own"].pk, comment.pk).content.decode()
    response = client.post(
        f"/clients/client-a/inbox/interactions/{comment.pk}/replies/", {"text": text}
    )

    assert text.startswith("Hi [[first name]],")
    assert response.status_code == 422
    assert "Fill in “first name” before sending." in response.context["form"].errors["text"][0]


@pytest.mark.parametrize(
    ("who", "status"), [("viewer_a", 403), ("approver_a", 403), ("agent_b", 404), ("outsider", 404)]
)
def test_only_repliers_of_the_client_use_saved_replies(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    saved: dict[str, Any],
    who: str,
    status: int,
) -> None:
    client.force_login(getattr(cast, who))

    assert use(client, "client", saved["own"].pk, saved["comment"].pk).status_code == status
    with tenant_context(session_clients.client_a):
        saved["own"].refresh_from_db()
    assert saved["own"].usage_count == 0


def test_picker_searches_both_kinds_and_escapes(
    client: HttpClient, cast: Cast, session_clients: SessionClients, saved: dict[str, Any]
) -> None:
    with tenant_context(session_clients.client_a):
        SavedReply.objects.create(title="<script>x</script> ships", body="ships <b>fast</b>")
    client.force_login(cast.agent_a)

    html = client.get(
        "/clients/client-a/inbox/saved-replies/picker/", {"q": "ships"}
    ).content.decode()

    assert "Shipping" in html
    assert "&lt;script&gt;x&lt;/script&gt; ships" in html
    assert "<script>x" not in html
    assert "Thanks" not in html  # no match for "ships"


def test_listing_filters_by_language(
    cast: Cast, session_clients: SessionClients, saved: dict[str, Any]
) -> None:
    with tenant_context(session_clients.client_a):
        SavedReply.objects.create(title="Danke", language="de", body="Danke!")
        titles = [
            c.title for c in list_saved_replies(client=session_clients.client_a, language="en")
        ]
    assert sorted(titles) == ["Shipping", "Thanks"]


def test_agent_keeps_saved_replies_and_viewer_cannot(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    url = "/clients/client-a/inbox/saved-replies/"
    data = {"title": "Hours", "category": "store", "language": "", "body": "9 to 5."}
    client.force_login(cast.viewer_a)
    assert client.post(url, data).status_code == 403
    client.force_login(cast.agent_a)

    assert client.post(url, data).status_code == 302
    assert client.post(url, {**data, "title": ""}).status_code == 422
    with tenant_context(session_clients.client_a):
        created = SavedReply.objects.get()
    edit = f"/clients/client-a/inbox/saved-replies/{created.pk}/edit/"
    assert client.post(edit, {**data, "body": "10 to 6."}).status_code == 302
    with tenant_context(session_clients.client_a):
        created.refresh_from_db()
        assert created.body == "10 to 6."
    assert (
        client.post(f"/clients/client-a/inbox/saved-replies/{created.pk}/delete/").status_code
        == 302
    )
    with tenant_context(session_clients.client_a):
        assert not SavedReply.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("agent_a", 404), ("outsider", 200)])
def test_agency_saved_replies_page(client: HttpClient, cast: Cast, who: str, status: int) -> None:
    client.force_login(getattr(cast, who))
    assert client.get("/agency/saved-replies/").status_code == status


def test_owner_keeps_agency_saved_replies_but_not_another_agencys(
    client: HttpClient, cast: Cast, session_clients: SessionClients, saved: dict[str, Any]
) -> None:
    client.force_login(cast.owner)

    created = client.post(
        "/agency/saved-replies/",
        {"agency": session_clients.agency.pk, "title": "Welcome", "body": "Welcome!"},
    )
    foreign = client.post(
        "/agency/saved-replies/",
        {"agency": session_clients.other_agency.pk, "title": "Sneaky", "body": "x"},
    )
    delete_foreign = client.post(f"/agency/saved-replies/{saved['foreign'].pk}/delete/")

    assert created.status_code == 302
    assert foreign.status_code == 422
    assert delete_foreign.status_code == 404
    assert AgencySavedReply.objects.filter(title="Welcome").exists()
    assert not AgencySavedReply.objects.filter(title="Sneaky").exists()
    assert AgencySavedReply.objects.filter(pk=saved["foreign"].pk).exists()


def test_picker_offers_the_messages_language_and_language_neutral_replies(
    client: HttpClient, cast: Cast, session_clients: SessionClients, saved: dict[str, Any]
) -> None:
    with tenant_context(session_clients.client_a):
        SavedReply.objects.create(title="Danke DE", language="de", body="Danke!")
        SavedReply.objects.create(title="Dzięki PL", language="pl", body="Dzięki!")
        polish = make_comment(cast.page_a)
        Interaction.objects.filter(pk=polish.pk).update(language="pl")
    client.force_login(cast.agent_a)

    html = client.get(
        "/clients/client-a/inbox/saved-replies/picker/", {"interaction": polish.pk}
    ).content.decode()

    assert "Dzięki PL" in html
    assert "Shipping" in html  # any language
    assert "Danke DE" not in html
