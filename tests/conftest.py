"""Shared fixtures: one set of tenant schemas per test session, the standard cast, the simulator.

Tenant schemas are created once per session (committed, reused with --reuse-db); every test
then runs inside a transaction that is rolled back, so tests stay independent and fast.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Agency, AgencyMembership, Membership, User
from accounts.roles import AgencyRole, ClientRole
from clients.models import Client, ConnectedAccount, Platform
from clients.services import connect_account, create_client
from clients.simulator.server import make_server
from config.settings.simulated_platforms import simulated_base_urls, simulated_oauth_providers

pytest_plugins = ["tests.live"]

PASSWORD = "correct horse battery staple"
PAGE_A = "105000000000001"  # the Page of the worked examples in platforms.md
PAGE_B = "105000000000002"


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """pytest-django's fixture, except that the test database is set up even when no
    collected test carries a django_db marker.

    pytest-django only sets up the aliases its marked tests ask for. The live-process tests
    (tests/live.py) commit data without that marker; run alone, they would otherwise work on
    the development database."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases={"default"},
            keepdb=django_db_keepdb and not django_db_createdb,
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            try:
                teardown_databases(db_cfg, verbosity=request.config.option.verbose)
            except Exception as error:
                request.node.warn(
                    pytest.PytestWarning(f"Error when trying to teardown test databases: {error!r}")
                )


@dataclass(frozen=True)
class SessionClients:
    agency: Agency
    other_agency: Agency
    client_a: Client
    client_b: Client


def _ensure_client(agency: Agency, slug: str, name: str) -> Client:
    return Client.objects.filter(slug=slug).first() or create_client(
        agency=agency, name=name, slug=slug
    )


@pytest.fixture(scope="session")
def session_clients(django_db_setup: None, django_db_blocker: Any) -> SessionClients:
    with django_db_blocker.unblock():
        agency, _ = Agency.objects.get_or_create(slug="agency-one", defaults={"name": "Agency One"})
        other, _ = Agency.objects.get_or_create(slug="agency-two", defaults={"name": "Agency Two"})
        return SessionClients(
            agency=agency,
            other_agency=other,
            client_a=_ensure_client(agency, "client-a", "Client A"),
            client_b=_ensure_client(agency, "client-b", "Client B"),
        )


@dataclass(frozen=True)
class Cast:
    """The standard cast: who may see what is tested against all of them by default."""

    owner: User  # agency owner of Agency One (manager of every client)
    agent_a: User
    approver_a: User
    viewer_a: User
    agent_b: User
    outsider: User  # owner of another agency
    page_a: ConnectedAccount
    page_b: ConnectedAccount


def make_user(email: str, **fields: Any) -> User:
    return User.objects.create_user(email, PASSWORD, full_name=email.split("@")[0], **fields)


@pytest.fixture
def cast(db: None, session_clients: SessionClients) -> Cast:
    clients = session_clients
    owner = make_user("owner@agency-one.test")
    AgencyMembership.objects.create(user=owner, agency=clients.agency, role=AgencyRole.OWNER)
    members = {}
    for email, client, role in [
        ("agent-a@agency-one.test", clients.client_a, ClientRole.AGENT),
        ("approver-a@brand-a.test", clients.client_a, ClientRole.APPROVER),
        ("viewer-a@brand-a.test", clients.client_a, ClientRole.VIEWER),
        ("agent-b@agency-one.test", clients.client_b, ClientRole.AGENT),
    ]:
        user = make_user(email)
        AgencyMembership.objects.create(user=user, agency=clients.agency, role=AgencyRole.MEMBER)
        Membership.objects.create(user=user, client=client, role=role)
        members[email] = user
    outsider = make_user("owner@agency-two.test")
    AgencyMembership.objects.create(
        user=outsider, agency=clients.other_agency, role=AgencyRole.OWNER
    )
    return Cast(
        owner=owner,
        agent_a=members["agent-a@agency-one.test"],
        approver_a=members["approver-a@brand-a.test"],
        viewer_a=members["viewer-a@brand-a.test"],
        agent_b=members["agent-b@agency-one.test"],
        outsider=outsider,
        page_a=connect_account(
            client=clients.client_a,
            platform=Platform.FACEBOOK,
            external_account_id=PAGE_A,
            name="Client A Page",
            access_token="page-token-a",
        ),
        page_b=connect_account(
            client=clients.client_b,
            platform=Platform.FACEBOOK,
            external_account_id=PAGE_B,
            name="Client B Page",
            access_token="page-token-b",
        ),
    )


@pytest.fixture
def in_client_a(session_clients: SessionClients) -> Iterator[Client]:
    """Run the test body inside client A's schema."""
    with tenant_context(session_clients.client_a):
        yield session_clients.client_a
    connection.set_schema_to_public()


@pytest.fixture
def in_client_b(session_clients: SessionClients) -> Iterator[Client]:
    with tenant_context(session_clients.client_b):
        yield session_clients.client_b
    connection.set_schema_to_public()


class Simulator:
    def __init__(self) -> None:
        self.server = make_server("127.0.0.1", 0)
        self.state = self.server.RequestHandlerClass.state  # type: ignore[attr-defined]
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.requests)

    def reset(self) -> None:
        self.state.reset()

    def seed(self, collection: str, items: list[dict[str, Any]]) -> None:
        """Data the simulator's read endpoints serve (see SimulatorState.data)."""
        self.state.add(collection, items)

    def fail(
        self, path: str, status: int, *, count: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        """The next `count` requests whose path matches `path` fail with `status` (and these
        headers instead of the platform's own rate-limit ones)."""
        from clients.simulator.server import FailureRule

        with self.state.lock:
            self.state.failures.append(
                FailureRule(
                    path=re.compile(path), status=status, remaining=count, headers=headers or {}
                )
            )


@pytest.fixture(scope="session")
def _simulator_server() -> Iterator[Simulator]:
    simulator = Simulator()
    yield simulator
    simulator.server.shutdown()


@pytest.fixture(autouse=True)
def simulator(_simulator_server: Simulator, settings: Any) -> Simulator:
    """Every test talks to the platform simulator, never to a platform."""
    for name, url in simulated_base_urls(_simulator_server.url).items():
        setattr(settings, name, url)
    settings.OAUTH_PROVIDERS = simulated_oauth_providers(_simulator_server.url)
    _simulator_server.reset()
    return _simulator_server


@pytest.fixture
def eager_retries() -> Iterator[None]:
    """Let Celery's eager mode run a task's retries inline instead of raising Retry."""
    from config.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _public_schema_afterwards() -> Iterator[None]:
    """A request to a client's page leaves the connection in that client's schema; the next
    test must not start there."""
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache (this worker's own Redis database): what one test
    cached, such as the agency queue's counts, must not answer for the next."""
    cache.clear()
    return
