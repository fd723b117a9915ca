"""Roles and what they may do: the one place that maps a role to its capabilities.

Views and services ask `role_allows(role, Capability.X)`; nobody compares role names elsewhere.
"""

from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _


class AgencyRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


class ClientRole(models.TextChoices):
    MANAGER = "manager", _("Manager")
    AGENT = "agent", _("Agent")
    APPROVER = "approver", _("Approver")
    VIEWER = "viewer", _("Viewer")


class Capability(enum.StrEnum):
    VIEW_INBOX = "view_inbox"
    REPLY = "reply"
    APPROVE_REPLY = "approve_reply"
    MODERATE = "moderate"
    # Status, assignment, tags, snooze and internal notes of conversations.
    TRIAGE = "triage"
    MANAGE_CLIENT = "manage_client"


ROLE_CAPABILITIES: dict[ClientRole, frozenset[Capability]] = {
    ClientRole.MANAGER: frozenset(Capability),
    ClientRole.AGENT: frozenset(
        {Capability.VIEW_INBOX, Capability.REPLY, Capability.MODERATE, Capability.TRIAGE}
    ),
    # Client stakeholders read the conversations their decisions are about, and decide.
    ClientRole.APPROVER: frozenset({Capability.VIEW_INBOX, Capability.APPROVE_REPLY}),
    ClientRole.VIEWER: frozenset({Capability.VIEW_INBOX}),
}

# Agency owners and admins act as managers on every client of their agency.
AGENCY_ROLES_WITH_CLIENT_ACCESS: dict[AgencyRole, ClientRole] = {
    AgencyRole.OWNER: ClientRole.MANAGER,
    AgencyRole.ADMIN: ClientRole.MANAGER,
}
AGENCY_ROLES_THAT_MANAGE_CLIENTS = frozenset({AgencyRole.OWNER, AgencyRole.ADMIN})


def role_allows(role: ClientRole | str | None, capability: Capability) -> bool:
    if role is None:
        return False
    return capability in ROLE_CAPABILITIES[ClientRole(role)]
