"""One connector module per platform, all of the same shape (DESIGN.md, "Connectors"):

- `normalize_event(payload)`: a stored event in the common model (one interaction, a list of
  them, or None for what Parley does not keep);
- `enrich_event(account, payload)` (optional): what a thin event needs fetched first;
- `poll(account, cursor)` (polling platforms): new events and the next cursor;
- outbound: `answer` (with `REPLYABLE_KINDS` and `PRIVATE_REPLIES`), and moderation:
  `moderation_refusal(action, kind)` says in words why an action is not possible (a platform
  without the API), else `set_hidden`, `delete` and `block` do it.

Webhook verification and splitting live in the platform's module too (meta, x,
google_business). Base URLs come from settings."""

from __future__ import annotations

import logging
from types import ModuleType
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from clients.platforms.base import NormalizedInteraction, ReplyTarget, Unsupported, fitted

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

logger = logging.getLogger(__name__)

MODERATION_ACTIONS = ("hide", "unhide", "delete", "block")


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
    """Whatever the connector's normalize_event returns, as a list, each interaction as the
    inbox can store it (`base.fitted`); one it cannot is logged and left out."""
    found = connector.normalize_event(payload)
    if found is None:
        return []
    kept = []
    for item in found if isinstance(found, list) else [found]:
        storable = fitted(item)
        if isinstance(storable, str):
            logger.warning("Not stored: %s", storable)
        else:
            kept.append(storable)
    return kept


# Messenger events arrive for the Page they were sent to: they route to its Facebook account.
ACCOUNT_PLATFORM_OF_EVENT = {"messenger": "facebook"}
# Platforms without webhooks for what we need: Celery beat polls each connected account.
POLLING_PLATFORMS = ("google_business", "youtube", "linkedin", "tiktok")


def moderation_refusal(platform: str, action: str, kind: str) -> str:
    """Why `action` cannot be done on a `kind` item of `platform` from Parley, or ""."""
    connector = get_connector(platform)
    if connector is None or action not in MODERATION_ACTIONS:
        return _("This action is not available here.")
    base_action = "hide" if action == "unhide" else action
    refusal = str(connector.moderation_refusal(base_action, kind))
    function = {"hide": "set_hidden", "delete": "delete", "block": "block"}[base_action]
    if not refusal and not hasattr(connector, function):
        refusal = _("This platform has no API for that.")
    return refusal


def moderate(account: ConnectedAccount, target: ReplyTarget, action: str, *, platform: str) -> None:
    """Do `action` on the platform (after moderation_refusal said it can be done)."""
    refusal = moderation_refusal(platform, action, target.kind)
    if refusal:
        raise Unsupported(refusal)
    connector = get_connector(platform)
    if action in ("hide", "unhide"):
        connector.set_hidden(account, target, hidden=action == "hide")  # type: ignore[union-attr]
    elif action == "delete":
        connector.delete(account, target)  # type: ignore[union-attr]
    else:
        connector.block(account, target)  # type: ignore[union-attr]
