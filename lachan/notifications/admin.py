from django.contrib import admin

from .models import MessageTemplate


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "channel", "language", "version", "active", "sensitive", "created_at"]
    list_filter = ["channel", "language", "active"]
    search_fields = ["code", "body"]

# The outbox (Message: who was sent what, the template naming a result) is not in the admin: its pages keep the
# reader in their jurisdiction and the audit trail.
