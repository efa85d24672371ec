from django.contrib import admin

from .models import Message, MessageTemplate


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "channel", "language", "version", "active", "sensitive", "created_at"]
    list_filter = ["channel", "language", "active"]
    search_fields = ["code", "body"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by services only (retry from the outbox page)."""

    list_display = ["created_at", "channel", "masked_to", "template_code", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel"]
    exclude = ["body", "context"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
