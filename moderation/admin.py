"""Read-only admin: every change goes through moderation.services (and so into the audit log)."""

from django.contrib import admin

from .models import AuditEntry, Escalation, Flag, NGWord, QueueItem


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "action", "category", "actor", "channel", "post")
    list_filter = ("action", "category")
    list_select_related = ("actor", "channel", "post")
    date_hierarchy = "created_at"


@admin.register(QueueItem)
class QueueItemAdmin(ReadOnlyAdmin):
    list_display = ("id", "post", "channel", "state", "hold_code", "flag_count", "priority", "opened_at")
    list_filter = ("state", "hold_code")
    list_select_related = ("post", "channel")


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ("id", "post", "reason", "state", "created_at")
    list_filter = ("reason", "state")
    exclude = ("flagger",)  # nobody learns who flagged, not even here


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("id", "department", "state", "created_at", "answered_at")
    list_filter = ("state", "department")


@admin.register(NGWord)
class NGWordAdmin(ReadOnlyAdmin):
    list_display = ("word", "created_at")
