"""URLs inside a client, served under /clients/<slug>/ by the subfolder middleware."""

from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inbox:list"), name="client-home"),
    path("inbox/", include("inbox.urls")),
    path("guidelines/", include("guidelines.urls")),
    path("escalation/", include("escalation.urls")),
    path("channels/", include("clients.channel_urls")),
    path("api/v1/", include("guidelines.api.urls")),
    path("api/v1/", include("inbox.api.urls")),
]

handler404 = "config.views.page_not_found"
