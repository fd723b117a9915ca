"""URLs outside any client: the agency app, sign-in, and the platforms' webhooks."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("clients.urls")),
    path("webhooks/", include("clients.webhooks.urls")),
]

handler404 = "config.views.page_not_found"
