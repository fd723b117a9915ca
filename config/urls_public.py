"""URLs outside any client: the agency app, sign-in, and the platforms' webhooks."""

from django.urls import include, path

from inbox import approval_views

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("clients.urls")),
    path("webhooks/", include("clients.webhooks.urls")),
    path(
        "approvals/<slug:client_slug>/<str:token>/",
        approval_views.approval_link,
        name="approval-link",
    ),
]

handler404 = "config.views.page_not_found"
