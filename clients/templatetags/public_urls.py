"""`{% public_url "name" %}`: reverse a URL of the agency app (public urlconf) from any page.

Inside /clients/<slug>/ the request's urlconf is the client's, where names like "agency-home"
or "logout" do not exist."""

from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag
def public_url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(
        name, urlconf=settings.PUBLIC_SCHEMA_URLCONF, args=args or None, kwargs=kwargs or None
    )
