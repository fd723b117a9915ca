from __future__ import annotations

import contextlib
import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """The signed-in user's language and time zone, for this request only (both are restored
    afterwards, so nothing else running in the thread inherits them)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        with contextlib.ExitStack() as preferences:
            preferences.enter_context(translation.override(user.language))
            request.LANGUAGE_CODE = user.language
            with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
                preferences.enter_context(timezone.override(zoneinfo.ZoneInfo(user.time_zone)))
            return self.get_response(request)
