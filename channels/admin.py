"""Django admin for the Web Common Space (superusers). Everything users typed is shown escaped:
no format_html/mark_safe of user text here. Moderation decisions belong in the moderation app."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Channel, Citation, Membership, PhaseChange, Post, PostRevision, Thread, Tier, Workspace


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ja", "identity"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name_ja", "slug"]
    filter_horizontal = ["owners"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["display_name", "tier", "members_only", "posting_policy"]
    list_filter = ["tier", "members_only", "posting_policy"]
    search_fields = ["name_ja", "slug"]
    filter_horizontal = ["departments"]
    raw_id_fields = ["linked_channel"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["channel", "user", "state", "role", "updated_at"]
    list_filter = ["state", "role", "channel__tier"]
    raw_id_fields = ["user", "channel"]


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 0
    raw_id_fields = ["page", "meeting"]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "channel",
        "kind",
        "phase",
        "visibility",
        "is_locked",
        "visible_post_count",
        "last_activity_at",
    ]
    list_filter = ["channel__tier", "kind", "phase", "visibility", "is_locked"]
    search_fields = ["title"]
    raw_id_fields = ["author", "channel", "last_post"]
    readonly_fields = ["visible_post_count", "last_activity_at", "last_post", "created_at"]
    inlines = [CitationInline]
    list_select_related = ["channel"]


class RevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    fields = ["created_at", "editor", "body"]
    readonly_fields = fields
    can_delete = False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "thread", "visibility", "is_deleted_by_author", "author_was_staff", "created_at"]
    list_filter = ["visibility", "is_deleted_by_author", "author_was_staff", "thread__channel__tier"]
    search_fields = ["body"]
    raw_id_fields = ["thread", "author", "quoted"]
    # body_html is derived (rendered on save): never edited here, shown as plain text only.
    readonly_fields = ["rendered_html", "edited_at", "created_at", "idempotency_key"]
    exclude = ["body_html"]
    inlines = [RevisionInline]
    list_select_related = ["thread"]

    @admin.display(description=_("表示用HTML（エスケープして表示）"))
    def rendered_html(self, obj):
        return obj.body_html

    def has_change_permission(self, request, obj=None):
        # Changing text here would bypass rendering and history; use the site or moderation tools.
        return False


@admin.register(PhaseChange)
class PhaseChangeAdmin(admin.ModelAdmin):
    list_display = ["thread", "from_phase", "to_phase", "actor", "created_at"]
    raw_id_fields = ["thread", "actor"]
