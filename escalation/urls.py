from django.urls import path

from escalation import views

app_name = "escalation"

urlpatterns = [
    path("rules/", views.rule_list, name="rules"),
    path("rules/<int:rule_id>/edit/", views.rule_edit, name="rule-edit"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule-delete"),
]
