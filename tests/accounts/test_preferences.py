"""A person's own language and time zone: chosen once, applied on every page."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_a_person_switches_to_german_and_berlin_time(cast: Cast) -> None:
    http = HttpClient()
    http.force_login(cast.agent_a)

    response = http.post(
        "/account/preferences/",
        {"full_name": "Ada Agent", "language": "de", "time_zone": "Europe/Berlin"},
        follow=True,
    )

    assert "Ihre Einstellungen sind gespeichert." in response.content.decode()
    cast.agent_a.refresh_from_db()
    assert (cast.agent_a.language, cast.agent_a.time_zone) == ("de", "Europe/Berlin")
    assert 'lang="de"' in http.get("/clients/client-a/inbox/").content.decode()


@pytest.mark.parametrize(
    "change", [{"time_zone": "Mars/Olympus"}, {"language": "xx"}, {"full_name": "x" * 200}]
)
def test_invalid_preferences_change_nothing(cast: Cast, change: dict[str, str]) -> None:
    http = HttpClient()
    http.force_login(cast.agent_a)

    response = http.post(
        "/account/preferences/", {"language": "pl", "time_zone": "Europe/Warsaw", **change}
    )

    assert response.status_code == 422
    cast.agent_a.refresh_from_db()
    assert cast.agent_a.language == "en"
