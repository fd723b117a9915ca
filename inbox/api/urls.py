from django.urls import re_path

from inbox.api import views

urlpatterns = [
    re_path(
        r"^interactions/(?P<interaction_id>[0-9]+)/moderation/?$",
        views.ModerationView.as_view(),
        name="api-interaction-moderation",
    ),
]
