"""One connector module per platform, all of the same shape (DESIGN.md, "Connectors"):

- `normalize_event(payload)`: a stored event in the common model (one interaction, a list of
  them, or None for what Parley does not keep);
- `enrich_event(account, payload)` (optional): what a thin event needs fetched first;
- `poll(account, cursor)` (polling platforms): new events and the next cursor;
- outbound: `answer`, `set_hidden`, `delete`, `block`, with `REPLYABLE_KINDS` and
  `PRIVATE_REPLIES`; an action a platform has no API for raises `Unsupported`.

Webhook verification and splitting live in the platform's module too (meta, x,
google_business). Base URLs come from settings."""

from types import ModuleType
from typing import Any

from clients.platforms.base import NormalizedInteraction


def get_connector(platform: str) -> ModuleType | None:
    """The connector module of `platform`, if there is one."""
    from clients.platforms import (
        facebook,
        google_business,
        instagram,
        linkedin,
        messenger,
        tiktok,
        x,
        youtube,
    )

    return {
        "facebook": facebook,
        "messenger": messenger,
        "instagram": instagram,
        "x": x,
        "google_business": google_business,
        "youtube": youtube,
        "linkedin": linkedin,
        "tiktok": tiktok,
    }.get(platform)


def normalize_all(connector: ModuleType, payload: dict[str, Any]) -> list[NormalizedInteraction]:
    """Whatever the connector's normalize_event returns, as a list."""
    found = connector.normalize_event(payload)
    if found is None:
        return []
    return list(found) if isinstance(found, list) else [found]


# Messenger events arrive for the Page they were sent to: they route to its Facebook account.
ACCOUNT_PLATFORM_OF_EVENT = {"messenger": "facebook"}
# Platforms without webhooks for what we need: Celery beat polls each connected account.
POLLING_PLATFORMS = ("google_business", "youtube", "linkedin", "tiktok")
