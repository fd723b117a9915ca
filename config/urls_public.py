"""URLs outside any client: the agency app, sign-in, and the platforms' webhooks."""

from django.urls import include, path

from clients import channel_views
from inbox import approval_views

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("clients.urls")),
    path("webhooks/", include("clients.webhooks.urls")),
    # Where each platform sends a manager back after they allowed Parley (one per provider).
    path(
        "oauth/callback/<str:provider>/",
        channel_views.oauth_callback,
        name="oauth-callback",
    ),
    path(
        "approvals/<slug:client_slug>/<str:token>/",
        approval_views.approval_link,
        name="approval-link",
    ),
]

handler404 = "config.views.page_not_found"
