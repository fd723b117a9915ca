from django.urls import path

from inbox import approval_views, views

app_name = "inbox"

urlpatterns = [
    path("", views.interaction_list, name="list"),
    path("interactions/<int:interaction_id>/", views.interaction_detail, name="detail"),
    path("interactions/<int:interaction_id>/replies/", views.reply_create, name="reply-create"),
    path("interactions/<int:interaction_id>/replies/check/", views.reply_check, name="reply-check"),
    path("replies/<int:reply_id>/status/", views.reply_status, name="reply-status"),
    path("approvals/", approval_views.approval_queue, name="approvals"),
    path(
        "approvals/<int:reply_id>/decide/",
        approval_views.approval_decide,
        name="approval-decide",
    ),
]
