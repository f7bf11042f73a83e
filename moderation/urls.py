from django.urls import path

from . import views

app_name = "moderation"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("post/<int:post_id>/", views.item, name="item"),
    path("post/<int:post_id>/act/", views.act, name="act"),
    path("post/<int:post_id>/claim/", views.claim, name="claim"),
    path("post/<int:post_id>/identity/", views.identity, name="identity"),
    path("ng-words/", views.ng_words, name="ng_words"),
    path("ng-words/<int:pk>/delete/", views.ng_word_delete, name="ng_word_delete"),
    path("log/", views.audit_log, name="log"),
    path("log/export.csv", views.audit_export, name="log_export"),
    # Signed-in users: flag and withdraw.
    path("flag/<int:post_id>/", views.flag, name="flag"),
    path("flag/<int:post_id>/withdraw/", views.withdraw_flag, name="withdraw_flag"),
    path("flag/thread/<int:thread_id>/", views.flag_thread, name="flag_thread"),
    # City staff of the department an item is referred to.
    path("escalations/", views.escalations, name="escalations"),
    path("escalations/<int:pk>/", views.escalation_detail, name="escalation"),
    # Public.
    path("transparency/", views.transparency, name="transparency"),
]
