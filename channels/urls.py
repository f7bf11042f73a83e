from django.urls import path

from . import attachment_views, follow_views, membership_views, views

app_name = "channels"
urlpatterns = [
    path("", views.lab_index, name="lab"),
    # --- membership, attachments, follows (C2); fixed prefixes before "<slug>/"
    path("attachments/<uuid:public_id>/", attachment_views.download, name="attachment"),
    path("invitations/", membership_views.invitations, name="invitations"),
    path("invitations/<int:membership_id>/respond/", membership_views.invitation_respond, name="invitation_respond"),
    path("invitation/<str:token>/", membership_views.invitation, name="invitation"),
    path("follows/", follow_views.my_follows, name="follows"),
    path("unsubscribe/<str:token>/", follow_views.unsubscribe, name="unsubscribe"),
    path("<slug:slug>/members/", membership_views.members, name="members"),
    path(
        "<slug:slug>/members/<int:membership_id>/<slug:action>/",
        membership_views.member_action,
        name="member_action",
    ),
    path("<slug:slug>/join/", membership_views.join, name="join"),
    path("<slug:slug>/leave/", membership_views.leave, name="leave"),
    path("<slug:slug>/follow/", follow_views.follow, name="follow_channel"),
    path("<slug:slug>/unfollow/", follow_views.unfollow, name="unfollow_channel"),
    path("<slug:slug>/t/<int:thread_id>/follow/", follow_views.follow, name="follow_thread"),
    path("<slug:slug>/t/<int:thread_id>/unfollow/", follow_views.unfollow, name="unfollow_thread"),
    # --- end C2
    # --- threads and posts (C1)
    path("<slug:slug>/", views.channel_detail, name="channel"),
    path("<slug:slug>/new/", views.new_thread, name="new_thread"),
    path("<slug:slug>/settings/", views.channel_settings, name="settings"),
    path("<slug:slug>/t/<int:thread_id>/", views.thread_detail, name="thread"),
    path("<slug:slug>/t/<int:thread_id>/reply/", views.reply, name="reply"),
    path("<slug:slug>/t/<int:thread_id>/phase/", views.change_phase, name="phase"),
    path("<slug:slug>/p/<int:post_id>/", views.post_permalink, name="post"),
    path("<slug:slug>/p/<int:post_id>/edit/", views.edit_post, name="edit_post"),
    path("<slug:slug>/p/<int:post_id>/delete/", views.delete_post, name="delete_post"),
    path("<slug:slug>/p/<int:post_id>/revisions/", views.post_revisions, name="post_revisions"),
]
