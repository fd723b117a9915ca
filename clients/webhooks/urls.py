from django.urls import re_path

from clients.webhooks import views

# Platforms are configured with a URL once; accept it with or without the trailing slash
# (APPEND_SLASH cannot redirect a POST).
urlpatterns = [
    re_path(r"^(?P<endpoint>meta)/?$", views.webhook, name="webhook-meta"),
    re_path(r"^(?P<endpoint>x)/?$", views.webhook, name="webhook-x"),
    re_path(r"^(?P<endpoint>google)/?$", views.webhook, name="webhook-google"),
]
