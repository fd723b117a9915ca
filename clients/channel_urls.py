from django.urls import path

from clients import channel_views

urlpatterns = [
    path("", channel_views.channels, name="channels"),
    path("connect/<str:platform>/", channel_views.channel_connect, name="channel-connect"),
    path("choose/<str:nonce>/", channel_views.channel_choose, name="channel-choose"),
    path(
        "<int:account_id>/disconnect/",
        channel_views.channel_disconnect,
        name="channel-disconnect",
    ),
]
