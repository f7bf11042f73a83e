from django.urls import path

from . import views

app_name = "channels"
urlpatterns = [
    path("", views.lab_index, name="lab"),
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
