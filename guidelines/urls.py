from django.urls import path

from guidelines import views

app_name = "guidelines"

urlpatterns = [
    path("", views.guideline_edit, name="edit"),
    path("preview/", views.guideline_preview, name="preview"),
]
