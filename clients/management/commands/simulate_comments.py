from __future__ import annotations

import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clients.models import ConnectedAccount, Platform
from clients.simulator.generator import post_meta_delivery, random_demo_comment


class Command(BaseCommand):
    help = (
        "Post signed Facebook Page comments to Parley's Meta webhook, as Meta would, for every "
        "connected Facebook page (or one --page), in each client's language."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/webhooks/meta/")
        parser.add_argument("--count", type=int, default=3, help="comments per page")
        parser.add_argument("--page", help="only this Page id")

    def handle(self, *args: Any, url: str, count: int, page: str | None, **options: Any) -> None:
        accounts = ConnectedAccount.objects.filter(platform=Platform.FACEBOOK).select_related(
            "client"
        )
        if page:
            accounts = accounts.filter(external_account_id=page)
        if not accounts:
            raise CommandError("No connected Facebook page to post comments to.")
        for account in accounts:
            post_object_id = str(random.randrange(10**14, 10**15))  # noqa: S311 - a fake post id
            for _ in range(count):
                payload = random_demo_comment(
                    page_id=account.external_account_id,
                    language=account.client.default_language,
                    post_object_id=post_object_id,
                )
                response = post_meta_delivery(url, payload, app_secret=settings.META_APP_SECRET)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}: {response.text}")
            self.stdout.write(f"Posted {count} comments to {account.name} ({account.client.slug})")
