from django.contrib import admin

from .models import DailyEntry


@admin.register(DailyEntry)
class DailyEntryAdmin(admin.ModelAdmin):
    list_display = ["day", "paper", "source", "imported_upvotes", "submitted_by"]
    list_filter = ["source"]
    date_hierarchy = "day"
    raw_id_fields = ["paper", "submitted_by"]
