from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from accounts.models import Agency, User
from clients.models import Client, ConnectedAccount
from guidelines.selectors import get_current_guideline
from inbox.approvals import get_approval_policy

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_demo_agency_once(capsys: Any) -> None:
    call_command("seed_demo")
    call_command("seed_demo")

    assert Agency.objects.filter(slug="demo-agency").count() == 1
    clients = Client.objects.filter(agency__slug="demo-agency").order_by("slug")
    assert [(c.slug, c.default_language) for c in clients] == [
        ("bergblick-outdoor", "de"),
        ("northwind-coffee", "en"),
        ("zielony-rower", "pl"),
    ]
    assert ConnectedAccount.objects.filter(client__in=clients, platform="facebook").count() == 3
    assert User.objects.filter(email__endswith="@demo.parley.test").count() == 6
    with tenant_context(clients[0]):
        version, guideline = get_current_guideline()
        assert version is not None
        assert guideline.rules_for(language="de", network="facebook").formality == "formal"
        assert get_approval_policy().mode == "all"
    assert "Demo data already present" in capsys.readouterr().out
