from __future__ import annotations

import pytest

from accounts.roles import Capability, ClientRole, role_allows
from accounts.selectors import get_client_role
from tests.conftest import Cast, SessionClients

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "capability", "allowed"),
    [
        (ClientRole.MANAGER, Capability.MANAGE_CLIENT, True),
        (ClientRole.AGENT, Capability.REPLY, True),
        (ClientRole.AGENT, Capability.APPROVE_REPLY, False),
        (ClientRole.APPROVER, Capability.APPROVE_REPLY, True),
        (ClientRole.APPROVER, Capability.REPLY, False),
        (ClientRole.VIEWER, Capability.VIEW_INBOX, True),
        (ClientRole.VIEWER, Capability.REPLY, False),
        (None, Capability.VIEW_INBOX, False),
    ],
)
def test_role_capabilities(role: ClientRole | None, capability: Capability, allowed: bool) -> None:
    assert role_allows(role, capability) is allowed


def test_client_roles_of_the_cast(cast: Cast, session_clients: SessionClients) -> None:
    a, b = session_clients.client_a, session_clients.client_b
    assert get_client_role(user=cast.owner, client=a) == ClientRole.MANAGER
    assert get_client_role(user=cast.owner, client=b) == ClientRole.MANAGER
    assert get_client_role(user=cast.agent_a, client=a) == ClientRole.AGENT
    assert get_client_role(user=cast.agent_a, client=b) is None
    assert get_client_role(user=cast.approver_a, client=a) == ClientRole.APPROVER
    assert get_client_role(user=cast.outsider, client=a) is None


def test_deactivated_user_has_no_role(cast: Cast, session_clients: SessionClients) -> None:
    cast.agent_a.is_active = False
    assert get_client_role(user=cast.agent_a, client=session_clients.client_a) is None
