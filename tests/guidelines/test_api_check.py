"""POST /clients/<slug>/api/v1/replies/check: the checker for integrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer

from guidelines.services import save_guideline_version
from tests.conftest import Cast, SessionClients
from tests.factories import make_comment

pytestmark = pytest.mark.django_db

URL = "/clients/client-a/api/v1/replies/check"
RULES = {"defaults": {"banned_phrases": [{"phrase": "cheap", "replacement": "affordable"}]}}


@pytest.fixture
def comment(cast: Cast, session_clients: SessionClients) -> Any:
    with tenant_context(session_clients.client_a):
        save_guideline_version(rules=RULES, author=cast.owner)
        return make_comment(cast.page_a)


def post(http: HttpClient, body: Any, url: str = URL) -> Any:
    return http.post(url, data=body, content_type="application/json")


def test_check_a_reply_to_an_interaction(client: HttpClient, cast: Cast, comment: Any) -> None:
    client.force_login(cast.agent_a)

    response = post(client, {"text": "So cheap!", "interaction_id": comment.pk})

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "guideline_version": 1,
        "is_blocked": True,
        "needs_approval": False,
        "length": 9,
        "limit": 8000,
        "violations": [
            {
                "rule": "banned_phrase",
                "severity": "block",
                "start": 3,
                "end": 8,
                "message": "“cheap” is not in this brand's vocabulary.",
                "suggestion": "Use “affordable” instead.",
            }
        ],
    }


def test_check_for_a_network_without_an_interaction(
    client: HttpClient, cast: Cast, comment: Any
) -> None:
    client.force_login(cast.viewer_a)

    response = post(client, {"text": "a" * 281, "network": "x", "language": "en"})

    assert response.status_code == 200
    assert (response.json()["length"], response.json()["is_blocked"]) == (281, True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"interaction_id": 1}, "text"),
        ({"text": "hi"}, "network"),
        ({"text": "hi", "network": "myspace"}, "network"),
        ({"text": "x" * 20001, "network": "x"}, "text"),
        ({"text": "hi", "interaction_id": "one"}, "interaction_id"),
    ],
)
def test_invalid_input_is_a_400_problem_naming_the_field(
    client: HttpClient, cast: Cast, body: dict[str, Any], field: str
) -> None:
    client.force_login(cast.agent_a)

    response = post(client, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["status"]) == ("invalid", 400)
    assert field in problem["field_errors"]


def test_malformed_json_is_a_400_problem(client: HttpClient, cast: Cast) -> None:
    client.force_login(cast.agent_a)

    response = client.post(URL, data=b"{nope", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_interaction_of_another_client_is_404(client: HttpClient, cast: Cast, comment: Any) -> None:
    client.force_login(cast.agent_b)

    response = post(
        client,
        {"text": "hi", "interaction_id": comment.pk},
        "/clients/client-b/api/v1/replies/check",
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("who", ["agent_b", "outsider"])
def test_not_a_member_gets_the_same_404_as_a_missing_client(
    client: HttpClient, cast: Cast, who: str
) -> None:
    client.force_login(getattr(cast, who))

    denied = post(client, {"text": "hi", "network": "x"})
    missing = post(client, {"text": "hi", "network": "x"}, "/clients/nope/api/v1/replies/check")

    assert denied.status_code == missing.status_code == 404
    assert denied.content == missing.content


def test_anonymous_gets_401_json(client: HttpClient) -> None:
    response = post(client, {"text": "hi", "network": "x"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_committed_openapi_schema_is_current() -> None:
    generated = OpenApiYamlRenderer().render(
        SchemaGenerator(urlconf="config.urls_schema").get_schema(public=True),
        renderer_context={},
    )
    committed = (Path(__file__).resolve().parents[2] / "schema.yml").read_bytes()
    assert yaml.safe_load(generated) == yaml.safe_load(committed), "run `make schema`"
