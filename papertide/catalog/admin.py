from django.contrib import admin
from django.db import models

from .models import CodeLink, IngestRun, Paper, Repository, StarCount, Version


class VersionInline(admin.TabularInline):
    model = Version
    extra = 0


class CodeLinkInline(admin.TabularInline):
    model = CodeLink
    extra = 0
    # A link typed without a scheme is https (Django 5 warns that its http default changes in 6.0).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "title", "primary_category", "listed_on", "current_version"]
    list_filter = ["primary_category"]
    search_fields = ["=arxiv_id", "title"]
    date_hierarchy = "listed_on"
    ordering = ["-listed_on", "-arxiv_id"]  # newest first, as the site lists them (the paper_newest index)
    readonly_fields = ["first_seen", "created_at", "modified_at"]
    inlines = [VersionInline, CodeLinkInline]
    show_full_result_count = False  # COUNT(*) over a large catalog on every page is slow


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "source", "params", "state", "new", "updated", "unchanged", "rejected"]
    list_filter = ["source", "state"]
    readonly_fields = [f.name for f in IngestRun._meta.fields]


class StarCountInline(admin.TabularInline):
    model = StarCount
    extra = 0
    readonly_fields = ["at", "stars"]
    ordering = ["-at"]


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    """Filled by the GitHub sync (catalog/github.py); shown to see what it read, not to edit."""

    list_display = ["name", "full_name", "state", "stars", "checked_at"]
    list_filter = ["state"]
    search_fields = ["name", "full_name"]
    readonly_fields = ["name", "full_name", "state", "stars", "etag", "checked_at", "created_at"]
    inlines = [StarCountInline]
