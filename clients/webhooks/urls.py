from django.urls import re_path

from clients.webhooks import views

# Platforms are configured with a URL once; accept it with or without the trailing slash
# (APPEND_SLASH cannot redirect a POST).
urlpatterns = [
    re_path(r"^meta/?$", views.meta_webhook, name="webhook-meta"),
    re_path(r"^x/?$", views.x_webhook, name="webhook-x"),
    re_path(r"^google/?$", views.google_webhook, name="webhook-google"),
]
