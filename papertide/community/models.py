from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from papertide.catalog.models import annotate_votes

# The daily list's order: most upvoted first, then the later day, then the arXiv id (stable).
RANKED = ("-upvotes", "-day", "paper__arxiv_id")


class DailyEntryQuerySet(models.QuerySet):
    def latest_day(self) -> date | None:
        """The latest day of the daily list, or None while it is empty."""
        return self.aggregate(day=Max("day"))["day"]

    def between(self, start: date, end: date):
        """The entries listed from start to end (inclusive), one per paper: its latest in that time among
        these entries (so filter first, by submitter say, then ask for the period)."""
        listed = self.filter(day__range=(start, end))
        if start == end:
            return listed  # a paper has one entry a day (a constraint), and the page of a day is the hot path
        later = self.order_by().filter(paper=OuterRef("paper"), day__gt=OuterRef("day"), day__lte=end)
        return listed.exclude(Exists(later))

    def with_votes(self):
        """Each entry with its paper's `local_votes`, `imported_votes` and `upvotes`: the same numbers as
        Paper.objects.with_votes() (catalog.models.annotate_votes), whichever entry shows them."""
        return annotate_votes(self, "paper__")

    def ranked(self, newest_day_first: bool = False):
        """A period's entries ranked: most upvoted first, then the later day, then the arXiv id. The daily
        page, the API and the feeds all order by this; `newest_day_first` keeps the days apart (the feed and
        the API's publishedAt sort), each day ranked the same way."""
        order = ("-day", *(field for field in RANKED if field != "-day")) if newest_day_first else RANKED
        return self.with_votes().order_by(*order)


class DailyEntry(models.Model):
    """A paper's place in the daily list of one day.

    Entries come from people on this instance (``submitted_by``) or from an import of another site's
    daily list (``source``, e.g. Hugging Face), whose upvote count is kept in ``imported_upvotes``: it is
    never mixed with votes cast here, so both stay visible and the daily list can add them.
    """

    LOCAL, HUGGINGFACE = "local", "huggingface"
    SOURCES = [(LOCAL, "This instance"), (HUGGINGFACE, "Hugging Face daily papers")]

    paper = models.ForeignKey("catalog.Paper", on_delete=models.CASCADE, related_name="daily_entries")
    day = models.DateField(db_index=True)
    source = models.CharField(max_length=16, choices=SOURCES, default=LOCAL)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    imported_upvotes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DailyEntryQuerySet.as_manager()
    # Annotated by DailyEntryQuerySet.with_votes() (catalog.models.annotate_votes); declared for type checks.
    local_votes: int
    imported_votes: int
    upvotes: int

    class Meta:
        verbose_name_plural = "daily entries"
        ordering = ["-day", "-imported_upvotes"]
        constraints = [models.UniqueConstraint(fields=["paper", "day"], name="dailyentry_once_a_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.paper.arxiv_id}"


class Vote(models.Model):
    """One person's upvote of a paper. One row per (user, paper): the count is exact whatever the
    concurrency, since a second vote by the same person is refused by the database itself.

    When the person deletes their account the vote stays, counted as before, without its link to them
    (user NULL; docs/privacy.md). The constraint still holds for every live account: NULLs are distinct in
    a unique constraint on SQLite and PostgreSQL alike, so a paper may have many such votes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="votes"
    )
    paper = models.ForeignKey("catalog.Paper", on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="vote_once")]

    def __str__(self) -> str:
        return f"{self.user or '[deleted]'} ▲ {self.paper.arxiv_id}"


class CommentQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(hidden=False, deleted=False, user__is_active=True)

    def thread_heads(self):
        """The top-level comments a paper's page shows: the visible ones, and the deleted ones (by their
        author, or with the author's account) that still have a visible reply. Those are shown as
        "[deleted]", without name or text, so that the replies keep their thread."""
        answered = Exists(Comment.objects.visible().filter(parent=OuterRef("pk")))
        return (self.visible() | self.filter(answered, deleted=True)).filter(parent=None)

    def hide(self) -> int:
        """A moderator hides these comments: kept, out of every page, and shown again by unhide()."""
        return self.update(hidden=True)

    def unhide(self) -> int:
        return self.update(hidden=False)

    def pending(self):
        """Hidden by the reports of several people (Report.file), waiting for a moderator to restore or
        remove them."""
        return self.filter(hidden=True, reports__resolved=False).distinct()

    def restore(self) -> int:
        """A moderator's verdict on reported comments: shown again; their reports are settled."""
        Report.objects.filter(comment__in=self).update(resolved=True)
        return self.unhide()

    def remove(self) -> int:
        """A moderator's verdict on reported comments: hidden for good; their reports are settled."""
        Report.objects.filter(comment__in=self).update(resolved=True)
        return self.hide()


class Comment(models.Model):
    """A comment on a paper, or a reply to one (one level deep). Markdown, rendered and sanitised."""

    # "comments" is taken: arXiv's own comments field of the paper.
    paper = models.ForeignKey("catalog.Paper", on_delete=models.CASCADE, related_name="discussion")
    # NULL once the author deleted their account: the comment keeps its place (its replies their thread),
    # its text is blanked and it is shown as "[deleted]" (accounts.privacy, community.privacy).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(max_length=10_000)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False, help_text="Deleted by its author.")
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator.")

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user or '[deleted]'} on {self.paper.arxiv_id}: {self.body[:40]}"

    @property
    def html(self) -> str:
        from .markdown import render

        return render(self.body)

    # State changes: each one UPDATE of this row (no save() writing back every field this instance read),
    # and this instance follows it. Who may make them is the caller's rule (the author, a moderator).

    def edit(self, body: str, now: datetime | None = None) -> bool:
        """The author's new text. Only while the comment is not deleted, checked in the same UPDATE: an edit
        racing the author's delete from another tab cannot bring the comment back. False when it was."""
        edited_at = now or timezone.now()
        if not Comment.objects.filter(pk=self.pk, deleted=False).update(body=body, edited_at=edited_at):
            return False
        self.body, self.edited_at = body, edited_at
        return True

    def delete_by_author(self) -> None:
        """Deleted by its author: the row stays (its replies keep their thread); its text is shown no more."""
        Comment.objects.filter(pk=self.pk).update(deleted=True)
        self.deleted = True

    def hide(self) -> None:
        Comment.objects.filter(pk=self.pk).hide()
        self.hidden = True

    def unhide(self) -> None:
        Comment.objects.filter(pk=self.pk).unhide()
        self.hidden = False


class Report(models.Model):
    """Someone's report of a comment, for the moderators (admin). Reports of PAPERTIDE_REPORTS_TO_HIDE
    people hide the comment until a moderator restores or removes it (CommentQuerySet.pending)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="report_once")]

    def __str__(self) -> str:
        return f"report of comment {self.comment_id}: {self.reason[:40]}"

    @classmethod
    def file(cls, comment: Comment, user, reason: str) -> bool:
        """`user` reports `comment` (a second report by the same person counts once). True when the comment
        is now hidden pending moderation: reported by enough people since a moderator last decided."""
        try:
            with transaction.atomic():
                cls.objects.create(comment=comment, user=user, reason=reason)
        except IntegrityError:
            pass  # reported by this person already
        # One report per person (report_once): the unresolved reports are as many as the people.
        if comment.reports.filter(resolved=False).count() >= settings.PAPERTIDE_REPORTS_TO_HIDE:
            comment.hide()
        return comment.hidden


class HubPaper(models.Model):
    """What Hugging Face's daily list says of a paper beyond the catalog's fields, as of its latest read:
    its machine-written summary and keywords (Hugging Face's, shown as theirs), the organisation, the
    discussion's comment count, who submitted it. One row a paper, written by the import (daily_import)."""

    paper = models.OneToOneField("catalog.Paper", on_delete=models.CASCADE, related_name="hub")
    ai_summary = models.TextField(blank=True)
    ai_keywords = models.JSONField(default=list, blank=True)
    organization = models.CharField(max_length=100, blank=True, help_text="The Hugging Face name.")
    organization_name = models.CharField(max_length=200, blank=True)
    num_comments = models.PositiveIntegerField(default=0)
    discussion_id = models.CharField(max_length=64, blank=True)
    submitter = models.CharField(max_length=100, blank=True, help_text="The Hugging Face user.")
    read_at = models.DateTimeField(help_text="When Hugging Face said this.")

    def __str__(self) -> str:
        return f"Hugging Face on {self.paper_id}"

    @property
    def page_url(self) -> str:
        """The paper's page on Hugging Face, where its discussion is."""
        return f"{settings.PAPERTIDE_HF_URL.rstrip('/')}/papers/{self.paper.arxiv_id}"

    @property
    def organization_url(self) -> str:
        return f"{settings.PAPERTIDE_HF_URL.rstrip('/')}/{self.organization}" if self.organization else ""

    @property
    def submitter_url(self) -> str:
        """The submitter's profile on Hugging Face (a Hugging Face user, not one of this instance's)."""
        return f"{settings.PAPERTIDE_HF_URL.rstrip('/')}/{self.submitter}" if self.submitter else ""


class UpvoteCount(models.Model):
    """A paper's Hugging Face upvote count as read at one time: the series of its counts, one row each
    time a read found a count different from the one before it (so re-reading changes nothing). The
    daily entries carry the latest (DailyEntry.imported_upvotes); trending reads the growth
    (community.upvotes.upvote_velocity)."""

    paper = models.ForeignKey("catalog.Paper", on_delete=models.CASCADE, related_name="upvote_counts")
    at = models.DateTimeField(help_text="When the count was read.")
    upvotes = models.PositiveIntegerField()

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["paper", "at"], name="upvotecount_once_a_time")]

    def __str__(self) -> str:
        return f"{self.paper_id} {self.upvotes} at {self.at:%Y-%m-%d %H:%M}"
