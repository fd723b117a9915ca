from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import tenant_context

from accounts.models import Agency, AgencyMembership, Membership, User
from accounts.roles import AgencyRole, ClientRole
from clients.models import Platform
from clients.services import connect_account, create_client
from escalation.models import EscalationRule, Priority
from guidelines.services import save_guideline_version
from inbox.approvals import get_approval_policy
from inbox.models import AutoReplyRule, Team

DEMO_PASSWORD = "parley-demo"  # noqa: S105 - printed to the demo user on purpose
DEMO_AGENCY_SLUG = "demo-agency"
DEMO_CLIENTS = [
    # slug, name, language, time zone, Facebook page id
    ("northwind-coffee", "Northwind Coffee", "en", "Europe/London", "105000000000001"),
    ("bergblick-outdoor", "Bergblick Outdoor", "de", "Europe/Berlin", "105000000000002"),
    ("zielony-rower", "Zielony Rower", "pl", "Europe/Warsaw", "105000000000003"),
]
# The tone of voice of each demo client, and which of its replies it approves.
DEMO_GUIDELINES: dict[str, dict[str, Any]] = {
    "northwind-coffee": {
        "voice_summary": "Warm, brief, a little playful; never salesy.",
        "defaults": {
            "banned_phrases": [{"phrase": "cheap", "replacement": "affordable"}],
            "approval_phrases": [{"phrase": "refund", "topic": "refunds"}],
            "emoji": {"policy": "max", "max": 2},
            "personalize": True,
        },
        "languages": {"en": {"sign_off": {"required": True, "phrases": ["— Team Northwind"]}}},
    },
    "bergblick-outdoor": {
        "voice_summary": "Sachlich, freundlich, immer per Sie.",
        "defaults": {
            "banned_phrases": [{"phrase": "billig", "replacement": "günstig"}],
            "approval_phrases": [{"phrase": "Rückerstattung", "topic": "Rückerstattungen"}],
        },
        "languages": {
            "de": {
                "formality": "formal",
                "greeting": {"required": True, "phrases": ["Hallo {first_name}", "Guten Tag"]},
                "sign_off": {"required": True, "phrases": ["Ihr Bergblick-Team"]},
            }
        },
    },
    "zielony-rower": {
        "voice_summary": "Uprzejmie, konkretnie, zawsze per Pan/Pani.",
        "defaults": {
            "banned_phrases": [{"phrase": "tani", "replacement": "w dobrej cenie"}],
            "approval_phrases": [{"phrase": "zwrot pieniędzy", "topic": "zwroty"}],
        },
        "languages": {
            "pl": {
                "formality": "formal",
                "sign_off": {"required": True, "phrases": ["Zespół Zielony Rower"]},
            }
        },
    },
}
DEMO_APPROVAL_MODES = {
    "northwind-coffee": "flagged",
    "bergblick-outdoor": "all",
    "zielony-rower": "none",
}
# Every demo client escalates legal threats in its languages, e-mailing its account lead.
DEMO_ESCALATION_KEYWORDS = [
    "lawyer",
    "lawsuit",
    "Anwalt",
    "verklagen",
    "prawnik",
    "pozew",
    "адвокат",
    "суд",
]
# e-mail, full name, agency role, role on every demo client (None: by agency role only)
DEMO_USERS = [
    ("owner@demo.parley.test", "Olivia Owner", AgencyRole.OWNER, None),
    ("admin@demo.parley.test", "Adam Admin", AgencyRole.ADMIN, None),
    ("manager@demo.parley.test", "Maja Manager", AgencyRole.MEMBER, ClientRole.MANAGER),
    ("agent@demo.parley.test", "Ada Agent", AgencyRole.MEMBER, ClientRole.AGENT),
    ("approver@demo.parley.test", "Artur Approver", AgencyRole.MEMBER, ClientRole.APPROVER),
    ("viewer@demo.parley.test", "Vera Viewer", AgencyRole.MEMBER, ClientRole.VIEWER),
]


def demo_accounts(slug: str, page_id: str) -> list[tuple[str, str]]:
    """One account on every platform for a demo client (ids in each platform's shape)."""
    serial = page_id[-1]
    return [
        (Platform.FACEBOOK, page_id),
        (Platform.INSTAGRAM, f"1784140000000000{serial}"),
        (Platform.X, f"224499494{serial}"),
        (
            Platform.GOOGLE_BUSINESS,
            f"accounts/11223344556677889900{serial}/locations/99887766{serial}",
        ),
        (Platform.YOUTUBE, f"UCdemo{slug.replace('-', '')[:14]}{serial}"),
        (Platform.LINKEDIN, f"urn:li:organization:241418{serial}"),
        (Platform.TIKTOK, f"bc-demo-{slug}"),
    ]


class Command(BaseCommand):
    help = "Seed the demo agency once: 3 clients, a user per role, an account per platform."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--logins-only", action="store_true", help="only print the logins")

    def handle(self, *args: Any, logins_only: bool = False, **options: Any) -> None:
        if logins_only:
            self.print_logins()
            return
        if Agency.objects.filter(slug=DEMO_AGENCY_SLUG).exists():
            self.stdout.write("Demo data already present; keeping it.")
            return
        agency = Agency.objects.create(name="Demo Agency", slug=DEMO_AGENCY_SLUG)
        clients = [
            create_client(
                agency=agency, name=name, slug=slug, default_language=language, time_zone=tz
            )
            for slug, name, language, tz, _page in DEMO_CLIENTS
        ]
        with transaction.atomic():
            for client, (_slug, name, _lang, _tz, page_id) in zip(
                clients, DEMO_CLIENTS, strict=True
            ):
                for platform, external_id in demo_accounts(client.slug, page_id):
                    connect_account(
                        client=client,
                        platform=platform,
                        external_account_id=external_id,
                        name=f"{name} ({Platform(platform).label})",
                        access_token=f"demo-token-{platform}-{external_id}",
                    )
            for email, full_name, agency_role, client_role in DEMO_USERS:
                user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name)
                AgencyMembership.objects.create(user=user, agency=agency, role=agency_role)
                if client_role is not None:
                    for client in clients:
                        Membership.objects.create(user=user, client=client, role=client_role)
            operator = User.objects.get(email="owner@demo.parley.test")
            operator.is_staff = True
            operator.save(update_fields=["is_staff"])
        for client in clients:
            with tenant_context(client):
                save_guideline_version(
                    rules=DEMO_GUIDELINES[client.slug], author=operator, note="Demo guideline"
                )
                policy = get_approval_policy()
                policy.mode = DEMO_APPROVAL_MODES[client.slug]
                policy.approver_emails = ["brand-stakeholder@demo.parley.test"]
                policy.save()
                EscalationRule.objects.create(
                    name="Legal threats",
                    keywords=DEMO_ESCALATION_KEYWORDS,
                    priority=Priority.URGENT,
                    require_approval=True,
                    notify_emails=["manager@demo.parley.test"],
                )
                support = Team.objects.create(name="Support")
                support.members.set(
                    User.objects.filter(
                        email__in=["agent@demo.parley.test", "manager@demo.parley.test"]
                    )
                )
                EscalationRule.objects.create(
                    name="Unhappy big accounts",
                    sentiment="negative",
                    min_follower_count=10000,
                    priority=Priority.HIGH,
                )
            if client.slug == "northwind-coffee":
                with tenant_context(client):
                    AutoReplyRule.objects.create(
                        name="Shipping to Ireland",
                        keywords=["ship to Ireland", "shipping to Ireland"],
                        kinds=["comment"],
                        response=(
                            "Hi {contact.first_name}, yes: we ship to Ireland in 3 to 5 "
                            "working days. — Team Northwind"
                        ),
                    )
        self.stdout.write(self.style.SUCCESS("Seeded the demo agency."))

    def print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, full_name, agency_role, client_role in DEMO_USERS:
            role = f"{client_role} of every demo client" if client_role else f"agency {agency_role}"
            self.stdout.write(f"  {email:<28} {full_name:<16} {role}")
