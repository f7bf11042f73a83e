from django.urls import path

from . import views
from .feeds import ArchiveAtomFeed, ArchiveRssFeed

app_name = "archive"
urlpatterns = [
    path("", views.archive_index, name="index"),
    path("feed/", ArchiveRssFeed(), name="feed_rss"),
    path("feed/atom/", ArchiveAtomFeed(), name="feed_atom"),
    path("meetings.ics", views.meetings_ics, name="meetings_ics"),
    path("<slug:slug>.ics", views.record_ics, name="record_ics"),
    path("<slug:slug>/ics", views.record_ics, name="record_ics_alt"),
    path("<slug:slug>/", views.record_detail, name="detail"),
]
