"""The guideline editor: managers save versions, everyone else reads; live preview."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from guidelines.forms import GuidelineForm
from guidelines.models import GuidelineVersion
from tests.conftest import Cast, SessionClients

pytestmark = pytest.mark.django_db

URL = "/clients/client-a/guidelines/"


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "voice_summary": "Warm and brief.",
        "example_replies": "Hi Anna, thanks!\nHello, glad you asked.",
        "banned_phrases": "cheap => affordable\nwarn: free shipping => delivery included",
        "approval_phrases": "refund => refunds",
        "emoji_policy": "max",
        "emoji_max": "1",
        "emoji_allowed": "",
        "restrict_links": "on",
        "allowed_link_domains": "northwind.example",
        "personalize": "on",
        "de_formality": "formal",
        "de_greeting": "Hallo {first_name}\nGuten Tag",
        "de_greeting_required": "on",
        "x_max_length": "200",
        "note": "first version",
    }
    data.update(overrides)
    return data


def versions(session_clients: SessionClients) -> list[GuidelineVersion]:
    with tenant_context(session_clients.client_a):
        return list(GuidelineVersion.objects.order_by("number"))


def test_manager_saves_a_version_from_the_form(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    client.force_login(cast.owner)

    response = client.post(URL, form_data())

    assert response.status_code == 302
    [version] = versions(session_clients)
    assert (version.number, version.note) == (1, "first version")
    rules = version.rules
    assert rules["defaults"]["banned_phrases"] == [
        {"phrase": "cheap", "replacement": "affordable", "severity": "block"},
        {"phrase": "free shipping", "replacement": "delivery included", "severity": "warn"},
    ]
    assert rules["defaults"]["links"] == {"allowed_domains": ["northwind.example"]}
    assert rules["languages"] == {
        "de": {
            "formality": "formal",
            "greeting": {"required": True, "phrases": ["Hallo {first_name}", "Guten Tag"]},
        }
    }
    assert rules["networks"] == {"x": {"max_length": 200}}


def test_saved_rules_come_back_into_the_form_unchanged(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    client.force_login(cast.owner)
    client.post(URL, form_data())
    [saved] = versions(session_clients)

    form = GuidelineForm(data={**GuidelineForm.initial_from_rules(saved.rules), "note": ""})

    assert form.is_valid(), form.errors
    assert form.to_rules() == saved.rules


@pytest.mark.parametrize(
    "overrides",
    [
        {"banned_phrases": "=> nothing"},
        {"emoji_policy": "sometimes"},
        {"de_formality": "posh"},
        {"de_greeting": "", "de_greeting_required": "on"},
        {"x_max_length": "0"},
    ],
)
def test_invalid_form_saves_nothing(
    client: HttpClient, cast: Cast, session_clients: SessionClients, overrides: dict[str, str]
) -> None:
    client.force_login(cast.owner)

    response = client.post(URL, form_data(**overrides))

    assert response.status_code == 422
    assert versions(session_clients) == []


@pytest.mark.parametrize("who", ["agent_a", "approver_a", "viewer_a"])
def test_members_read_but_only_managers_save(
    client: HttpClient, cast: Cast, session_clients: SessionClients, who: str
) -> None:
    client.force_login(getattr(cast, who))

    page = client.get(URL)
    saved = client.post(URL, form_data())

    assert page.status_code == 200
    assert "Save as a new version" not in page.content.decode()
    assert saved.status_code == 403
    assert versions(session_clients) == []


@pytest.mark.parametrize("who", ["agent_b", "outsider"])
def test_non_members_get_404(client: HttpClient, cast: Cast, who: str) -> None:
    client.force_login(getattr(cast, who))
    assert client.get(URL).status_code == 404
    assert client.post(f"{URL}preview/", form_data()).status_code == 404


def test_preview_checks_a_sample_against_the_unsaved_form(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    client.force_login(cast.owner)

    response = client.post(
        f"{URL}preview/",
        {
            **form_data(),
            "sample": "Du bist cheap",
            "language": "de",
            "network": "facebook",
            "first_name": "Anna",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert '<mark class="warn">Du</mark>' in html  # informal, the form says formal
    assert '<mark class="block">cheap</mark>' in html
    assert versions(session_clients) == []


def test_preview_explains_form_errors(client: HttpClient, cast: Cast) -> None:
    client.force_login(cast.owner)

    response = client.post(
        f"{URL}preview/",
        {**form_data(x_max_length="0"), "sample": "hi", "language": "en", "network": "x"},
    )

    assert response.status_code == 200
    assert 'class="block"' in response.content.decode()


def test_agent_cannot_use_the_preview(client: HttpClient, cast: Cast) -> None:
    client.force_login(cast.agent_a)
    assert client.post(f"{URL}preview/", form_data()).status_code == 403
