from django.urls import path

from inbox import (
    approval_views,
    automation_views,
    saved_reply_views,
    team_views,
    views,
    work_views,
)

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="list"),
    path(
        "conversations/<int:conversation_id>/",
        views.conversation_detail,
        name="conversation",
    ),
    path(
        "conversations/<int:conversation_id>/thread/",
        views.conversation_thread,
        name="conversation-thread",
    ),
    path(
        "conversations/<int:conversation_id>/presence/",
        views.conversation_presence,
        name="conversation-presence",
    ),
    path(
        "interactions/<int:interaction_id>/moderate/",
        work_views.interaction_moderate,
        name="interaction-moderate",
    ),
    path(
        "conversations/<int:conversation_id>/status/",
        work_views.conversation_status,
        name="conversation-status",
    ),
    path(
        "conversations/<int:conversation_id>/assign/",
        work_views.conversation_assign,
        name="conversation-assign",
    ),
    path(
        "conversations/<int:conversation_id>/tags/",
        work_views.conversation_tag,
        name="conversation-tag",
    ),
    path(
        "conversations/<int:conversation_id>/tags/<int:tag_id>/remove/",
        work_views.conversation_untag,
        name="conversation-untag",
    ),
    path(
        "conversations/<int:conversation_id>/snooze/",
        work_views.conversation_snooze,
        name="conversation-snooze",
    ),
    path(
        "conversations/<int:conversation_id>/no-reply-needed/",
        work_views.conversation_no_reply_needed,
        name="conversation-no-reply-needed",
    ),
    path(
        "conversations/<int:conversation_id>/contact-notes/",
        work_views.contact_notes,
        name="contact-notes",
    ),
    path(
        "conversations/<int:conversation_id>/notes/",
        work_views.conversation_note,
        name="conversation-note",
    ),
    path("teams/", team_views.team_list, name="teams"),
    path("teams/<int:team_id>/edit/", team_views.team_edit, name="team-edit"),
    path("teams/<int:team_id>/delete/", team_views.team_delete, name="team-delete"),
    path("bulk/", work_views.bulk, name="bulk"),
    path("bulk/undo/", work_views.bulk_undo, name="bulk-undo"),
    path("views/", work_views.saved_view_create, name="saved-view-create"),
    path("views/<int:view_id>/delete/", work_views.saved_view_delete, name="saved-view-delete"),
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
