from django.contrib import admin

from .models import Digest, SavedSearch, Subscription


class SavedSearchInline(admin.TabularInline):
    model = SavedSearch
    fields = ["query", "threshold", "model"]
    readonly_fields = ["model"]
    extra = 0


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "user", "frequency", "hour", "time_zone", "state", "confirmed_at", "bounces"]
    list_filter = ["state", "frequency"]
    search_fields = ["email", "user__username"]
    readonly_fields = ["confirmed_at", "created_at", "modified_at"]
    inlines = [SavedSearchInline]


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = [
        "subscription",
        "due_on",
        "period_start",
        "period_end",
        "state",
        "attempts",
        "papers",
        "sent_at",
    ]
    list_filter = ["state", "due_on"]
    search_fields = ["subscription__email", "message_id"]
    readonly_fields = [f.name for f in Digest._meta.fields]
