from django.conf import settings
from django.db import models


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

    class Meta:
        verbose_name_plural = "daily entries"
        ordering = ["-day", "-imported_upvotes"]
        constraints = [models.UniqueConstraint(fields=["paper", "day"], name="dailyentry_once_a_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.paper.arxiv_id}"


class Vote(models.Model):
    """One person's upvote of a paper. One row per (user, paper): the count is exact whatever the
    concurrency, since a second vote by the same person is refused by the database itself."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes")
    paper = models.ForeignKey("catalog.Paper", on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="vote_once")]

    def __str__(self) -> str:
        return f"{self.user} ▲ {self.paper.arxiv_id}"
