from django.urls import path

from clients import views

urlpatterns = [
    path("", views.agency_home, name="agency-home"),
    path("agency/clients/new/", views.client_create, name="client-create"),
    path("agency/inbound-events/", views.inbound_event_list, name="inbound-event-list"),
    path(
        "agency/inbound-events/replay/",
        views.inbound_event_replay_all,
        name="inbound-event-replay-all",
    ),
    path(
        "agency/inbound-events/<int:event_id>/replay/",
        views.inbound_event_replay,
        name="inbound-event-replay",
    ),
    path(
        "agency/inbound-deliveries/<int:delivery_id>/replay/",
        views.inbound_delivery_replay,
        name="inbound-delivery-replay",
    ),
    path("agency/saved-replies/", views.agency_saved_replies, name="agency-saved-replies"),
    path(
        "agency/saved-replies/<int:saved_reply_id>/delete/",
        views.agency_saved_reply_delete,
        name="agency-saved-reply-delete",
    ),
]
