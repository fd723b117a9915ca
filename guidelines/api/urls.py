from django.urls import re_path

from guidelines.api import views

urlpatterns = [
    re_path(r"^replies/check/?$", views.ReplyCheckView.as_view(), name="api-replies-check"),
]
