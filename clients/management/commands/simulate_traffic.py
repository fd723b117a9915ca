from __future__ import annotations

import random
import time
import zlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clients.models import ConnectedAccount
from clients.simulator import generator

# What each platform sends, and how it reaches Parley.
WEBHOOK_KINDS = {
    "facebook": ["comment", "comment", "dm", "like", "share", "mention", "review"],
    "instagram": [
        "instagram_comment",
        "instagram_comment",
        "instagram_dm",
        "instagram_mention",
        "instagram_story_mention",
    ],
    "x": ["mention", "comment", "dm", "follow", "like", "unfollow"],
}
POLLED = ("google_business", "youtube", "linkedin", "tiktok")


class Command(BaseCommand):
    help = (
        "Send realistic platform traffic to Parley at a chosen rate: signed Meta and X "
        "webhooks, Google review notifications, and new comments for the polled platforms "
        "(added to the simulator, where the pollers find them), in each client's language."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default=settings.PARLEY_BASE_URL, help="Parley's base URL")
        parser.add_argument("--simulator", default=getattr(settings, "SIMULATOR_URL", ""))
        parser.add_argument("--rate", type=float, default=1.0, help="events per second")
        parser.add_argument("--count", type=int, default=0, help="stop after this many (0: never)")
        parser.add_argument("--platform", action="append", help="only these platforms")

    def handle(self, *args: Any, **options: Any) -> None:
        # The post or video each polled account's comments go under, announced once.
        self.posts_announced: set[str] = set()
        accounts = list(ConnectedAccount.objects.select_related("client").exclude(status="closed"))
        if options["platform"]:
            accounts = [a for a in accounts if a.platform in options["platform"]]
        accounts = [a for a in accounts if a.platform in WEBHOOK_KINDS or a.platform in POLLED]
        if not accounts:
            raise CommandError("No connected account to send traffic to.")
        if options["rate"] <= 0:
            raise CommandError("--rate must be positive.")
        interval = 1 / options["rate"]
        sent = 0
        while not options["count"] or sent < options["count"]:
            started = time.monotonic()
            account = random.choice(accounts)  # noqa: S311 - demo traffic, not security
            try:
                self.send_one(
                    account, base_url=options["url"].rstrip("/"), simulator=options["simulator"]
                )
            except Exception as error:  # keep the stream going; say what failed
                self.stderr.write(f"{account}: {error}")
            sent += 1
            time.sleep(max(0.0, interval - (time.monotonic() - started)))

    def send_one(self, account: ConnectedAccount, *, base_url: str, simulator: str) -> None:
        language = account.client.default_language
        external_id = account.external_account_id
        if account.platform in ("facebook", "instagram"):
            kind = random.choice(WEBHOOK_KINDS[account.platform])  # noqa: S311
            if kind == "instagram_mention":
                payload, fetched = generator.instagram_mention(external_id, language=language)
                # What the enrichment fetch will find (the notification carries ids only).
                generator.seed_simulator(simulator, f"ig-mentions:{fetched['id']}", [fetched])
            else:
                payload = generator.meta_delivery(kind, account_id=external_id, language=language)
            response = generator.post_meta_delivery(
                f"{base_url}/webhooks/meta/", payload, app_secret=settings.META_APP_SECRET
            )
        elif account.platform == "x":
            kind = random.choice(WEBHOOK_KINDS["x"])  # noqa: S311
            payload = generator.x_delivery(kind, account_id=external_id, language=language)
            response = generator.post_x_delivery(
                f"{base_url}/webhooks/x", payload, consumer_secret=settings.X_CONSUMER_SECRET
            )
        elif account.platform == "google_business":
            review = generator.google_review(external_id, language=language)
            generator.seed_simulator(simulator, f"reviews:{external_id}", [review])
            response = generator.post_google_push(
                f"{base_url}/webhooks/google",
                generator.google_push(review),
                token=settings.GOOGLE_PUSH_TOKEN,
            )
        else:
            self.add_polled_comment(account, simulator=simulator, language=language)
            return
        if response.status_code >= 300:
            raise CommandError(f"{response.request.url} answered {response.status_code}")

    def add_polled_comment(
        self, account: ConnectedAccount, *, simulator: str, language: str
    ) -> None:
        external_id = account.external_account_id
        if account.platform == "youtube":
            thread = generator.youtube_thread(external_id, language=language)
            generator.seed_simulator(simulator, f"youtube:{external_id}", [thread])
        elif account.platform == "linkedin":
            post = f"urn:li:share:{zlib.crc32(external_id.encode())}"
            if post not in self.posts_announced:
                self.posts_announced.add(post)
                generator.seed_simulator(simulator, f"linkedin-posts:{external_id}", [{"id": post}])
            comment = generator.linkedin_comment(post, language=language)
            generator.seed_simulator(simulator, f"linkedin-comments:{post}", [comment])
        elif account.platform == "tiktok":
            video = f"7373{abs(hash(external_id)) % 10**15:015d}"
            generator.seed_simulator(
                simulator, f"tiktok-videos:{external_id}", [{"item_id": video}]
            )
            comment = generator.tiktok_comment(video, language=language)
            generator.seed_simulator(simulator, f"tiktok-comments:{video}", [comment])
