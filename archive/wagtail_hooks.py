"""Archive records in the Wagtail admin: snippets with revisions and drafts, under one menu."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Meeting, Report, Workshop


class MeetingViewSet(SnippetViewSet):
    model = Meeting
    icon = "date"
    list_display = ["title", "date", "status", "meeting_type", "department", "is_public", "live"]
    list_filter = ["status", "meeting_type", "department", "fiscal_year", "is_public"]
    search_fields = ["title", "venue", "note"]
    ordering = ["-date"]
    copy_view_enabled = True
    inspect_view_enabled = True


class WorkshopViewSet(SnippetViewSet):
    model = Workshop
    icon = "group"
    list_display = ["title", "date", "status", "department", "is_public", "live"]
    list_filter = ["status", "department", "fiscal_year", "is_public"]
    search_fields = ["title", "theme", "venue", "outcome"]
    ordering = ["-date"]
    inspect_view_enabled = True


class ReportViewSet(SnippetViewSet):
    model = Report
    icon = "doc-full-inverse"
    list_display = ["title", "published_on", "department", "is_public", "live"]
    list_filter = ["department", "fiscal_year", "is_public"]
    search_fields = ["title", "summary"]
    ordering = ["-published_on"]
    inspect_view_enabled = True


class ArchiveViewSetGroup(SnippetViewSetGroup):
    items = (MeetingViewSet, WorkshopViewSet, ReportViewSet)
    menu_icon = "folder-open-inverse"
    menu_label = _("アーカイブ")
    menu_name = "archive"


register_snippet(ArchiveViewSetGroup)
