"""One connector module per platform, all of the same shape: verify a delivery, split it into
events, normalize an event, then the outbound calls. Base URLs come from settings."""

from types import ModuleType


def get_connector(platform: str) -> ModuleType | None:
    """The connector module that normalizes events of `platform`, if there is one yet."""
    from clients.platforms import facebook, instagram, messenger

    return {"facebook": facebook, "messenger": messenger, "instagram": instagram}.get(platform)


# Messenger events arrive for the Page they were sent to: they route to its Facebook account.
ACCOUNT_PLATFORM_OF_EVENT = {"messenger": "facebook"}
