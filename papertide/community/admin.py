from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Count

from papertide.accounts import privacy

from .models import Comment, DailyEntry, HubPaper, Report, UpvoteCount


@admin.register(DailyEntry)
class DailyEntryAdmin(admin.ModelAdmin):
    list_display = ["day", "paper", "source", "imported_upvotes", "submitted_by"]
    list_filter = ["source"]
    date_hierarchy = "day"
    raw_id_fields = ["paper", "submitted_by"]


@admin.register(HubPaper)
class HubPaperAdmin(admin.ModelAdmin):
    list_display = ["paper", "organization", "num_comments", "submitter", "read_at"]
    search_fields = ["paper__arxiv_id", "organization", "submitter"]
    raw_id_fields = ["paper"]


@admin.register(UpvoteCount)
class UpvoteCountAdmin(admin.ModelAdmin):
    list_display = ["paper", "at", "upvotes"]
    date_hierarchy = "at"
    search_fields = ["paper__arxiv_id"]
    raw_id_fields = ["paper"]


class PendingFilter(admin.SimpleListFilter):
    title = "moderation"
    parameter_name = "moderation"

    def lookups(self, request, model_admin):
        return [("pending", "Hidden by reports, pending")]

    def queryset(self, request, queryset):
        return queryset.pending() if self.value() == "pending" else queryset


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "paper", "short_body", "hidden", "deleted", "report_count"]
    list_filter = [PendingFilter, "hidden", "deleted"]
    search_fields = ["body", "user__username", "paper__arxiv_id"]
    raw_id_fields = ["paper", "user", "parent"]
    actions = ["restore", "remove"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "paper")
            .annotate(report_total=Count("reports"))
        )

    @admin.display(description="comment")
    def short_body(self, comment):
        return comment.body[:80]

    @admin.display(description="reports", ordering="report_total")
    def report_count(self, comment):
        return comment.report_total

    # The admin's queryset carries a COUNT annotation: the verdicts act on the plain rows it names.
    @admin.action(description="Restore: show the selected comments (their reports settled)")
    def restore(self, request, queryset):
        Comment.objects.filter(pk__in=queryset.values("pk")).restore()

    @admin.action(description="Remove: hide the selected comments (their reports settled)")
    def remove(self, request, queryset):
        Comment.objects.filter(pk__in=queryset.values("pk")).remove()


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "comment", "user", "reason", "resolved"]
    list_filter = ["resolved"]
    raw_id_fields = ["comment", "user"]


class ModeratedUserAdmin(UserAdmin):
    actions = ["suspend", "reinstate"]

    # An account deleted here goes the way a reader's own deletion goes (accounts.privacy.delete_account):
    # their comments lose their text but keep their threads, their admin history and sessions go.
    def delete_model(self, request, obj):
        privacy.delete_account(obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            privacy.delete_account(user)

    @admin.action(description="Suspend the selected users (they cannot log in; their comments are hidden)")
    def suspend(self, request, queryset):
        queryset.exclude(pk=request.user.pk).update(is_active=False)

    @admin.action(description="Reinstate the selected users")
    def reinstate(self, request, queryset):
        queryset.update(is_active=True)


admin.site.unregister(User)
admin.site.register(User, ModeratedUserAdmin)
