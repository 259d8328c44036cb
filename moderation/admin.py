from django.contrib import admin

from moderation.models import ModerationAction


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only and written by the moderation services alone."""

    list_display = ["created_at", "actor_name", "statement_id", "action", "reason", "conversation"]
    list_filter = ["action", "reason", "conversation"]
    search_fields = ["actor_name", "text_before", "text_after", "explanation"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
