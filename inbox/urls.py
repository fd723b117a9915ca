from django.urls import path

from inbox import approval_views, automation_views, saved_reply_views, views

app_name = "inbox"

urlpatterns = [
    path("", views.interaction_list, name="list"),
    path("interactions/<int:interaction_id>/", views.interaction_detail, name="detail"),
    path("interactions/<int:interaction_id>/replies/", views.reply_create, name="reply-create"),
    path("interactions/<int:interaction_id>/vip/", views.contact_vip, name="contact-vip"),
    path("interactions/<int:interaction_id>/replies/check/", views.reply_check, name="reply-check"),
    path("replies/<int:reply_id>/status/", views.reply_status, name="reply-status"),
    path("approvals/", approval_views.approval_queue, name="approvals"),
    path("automation/", automation_views.automation, name="automation"),
    path("automation/hours/", automation_views.business_hours, name="business-hours"),
    path(
        "automation/rules/<int:rule_id>/edit/",
        automation_views.automation_rule_edit,
        name="automation-rule-edit",
    ),
    path(
        "automation/rules/<int:rule_id>/delete/",
        automation_views.automation_rule_delete,
        name="automation-rule-delete",
    ),
    path(
        "automation/accounts/<int:account_id>/",
        automation_views.account_maintenance,
        name="account-maintenance",
    ),
    path("saved-replies/", saved_reply_views.saved_reply_list, name="saved-replies"),
    path(
        "saved-replies/picker/",
        saved_reply_views.saved_reply_picker,
        name="saved-reply-picker",
    ),
    path(
        "saved-replies/<int:saved_reply_id>/edit/",
        saved_reply_views.saved_reply_edit,
        name="saved-reply-edit",
    ),
    path(
        "saved-replies/<int:saved_reply_id>/delete/",
        saved_reply_views.saved_reply_delete,
        name="saved-reply-delete",
    ),
    path(
        "saved-replies/<str:kind>/<int:saved_reply_id>/use/",
        saved_reply_views.saved_reply_use,
        name="saved-reply-use",
    ),
    path(
        "approvals/<int:reply_id>/decide/",
        approval_views.approval_decide,
        name="approval-decide",
    ),
]
