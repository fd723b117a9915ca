from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client as HttpClient
from django_tenants.utils import schema_exists

from clients.models import Client, Domain
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_owner_creates_a_client_with_its_own_schema(client: HttpClient, cast: Cast) -> None:
    client.force_login(cast.owner)

    response = client.post(
        "/agency/clients/new/",
        {
            "agency": cast.page_a.client.agency_id,
            "name": "Acme Store",
            "slug": "acme-store",
            "default_language": "de",
            "time_zone": "Europe/Berlin",
        },
    )

    assert response.status_code == 302
    created = Client.objects.get(slug="acme-store")
    assert (created.schema_name, created.default_language, created.time_zone) == (
        "client_acme_store",
        "de",
        "Europe/Berlin",
    )
    assert Domain.objects.get(tenant=created).domain == "acme-store"
    assert schema_exists("client_acme_store")
    connection.set_schema_to_public()
    assert client.get("/clients/acme-store/inbox/").status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slug", "client-a", "already in use"),
        ("slug", "Not A Slug!", "valid"),
        ("time_zone", "Mars/Olympus", "Unknown time zone"),
        ("name", "", "required"),
    ],
)
def test_invalid_client_form_explains_and_creates_nothing(
    client: HttpClient, cast: Cast, field: str, value: str, message: str
) -> None:
    client.force_login(cast.owner)
    data = {
        "agency": cast.page_a.client.agency_id,
        "name": "Acme",
        "slug": "acme",
        "default_language": "en",
        "time_zone": "UTC",
        field: value,
    }
    before = Client.objects.count()

    response = client.post("/agency/clients/new/", data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Client.objects.count() == before


def test_owner_cannot_create_a_client_in_another_agency(client: HttpClient, cast: Cast) -> None:
    client.force_login(cast.outsider)
    before = Client.objects.count()

    response = client.post(
        "/agency/clients/new/",
        {
            "agency": cast.page_a.client.agency_id,
            "name": "X",
            "slug": "x-brand",
            "default_language": "en",
            "time_zone": "UTC",
        },
    )

    assert response.status_code == 200
    assert "agency" in response.context["form"].errors
    assert Client.objects.count() == before


def test_create_client_command(cast: Cast, capsys: Any) -> None:
    call_command(
        "create_client", agency="agency-one", name="Brand C", slug="brand-c", language="pl"
    )

    assert Client.objects.get(slug="brand-c").default_language == "pl"
    assert "/clients/brand-c/" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already in use"):
        call_command("create_client", agency="agency-one", name="Again", slug="brand-c")
    with pytest.raises(CommandError, match="No agency"):
        call_command("create_client", agency="nope", name="N", slug="n-brand")
