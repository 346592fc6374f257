import json
import os
import socket
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, models
from django.db.models import Count, Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import text
from .paper_urls import paper_url

# Enough for two lines of a list at any width (the rest is cut by CSS line-clamp).
PREVIEW_CHARS = 400


def annotate_votes(queryset: models.QuerySet, to_paper: str = "") -> models.QuerySet:
    """The one definition of "papers with their votes", shown alike by every page, feed and API answer:

        local_votes     votes cast here (community's Vote)
        imported_votes  the paper's upvotes on Hugging Face: the largest count any of its daily-list
                        entries carries (Hugging Face counts upvotes per paper, not per day, and a count
                        only grows, so the largest copy is the latest known)
        upvotes         local_votes + imported_votes

    `to_paper` is the path from the model queried to its paper: "" for papers, "paper__" for daily entries
    (Paper.objects.with_votes(), DailyEntry.objects.with_votes()).

    The rule is community's (votes and daily entries are its tables), but every view that shows it starts
    from papers or reaches them through entries, and the catalog is the ground floor, importing no app
    above it. So the rule lives here and names community's relations to Paper ("votes", "daily_entries"),
    which the ORM resolves without an import; tests/test_upvotes_agree.py fails if they drift apart.
    """
    # Two joins, one row per (vote, entry) pair of a paper: the distinct count and the maximum are exact.
    # The sum in a second step refers to the two counts instead of building them again (less to compile).
    return queryset.annotate(
        local_votes=Count(f"{to_paper}votes", distinct=True),
        imported_votes=Coalesce(Max(f"{to_paper}daily_entries__imported_upvotes"), 0),
    ).annotate(upvotes=models.F("local_votes") + models.F("imported_votes"))


class PaperQuerySet(models.QuerySet):
    def newest(self):
        return self.order_by("-listed_on", "-arxiv_id")

    def new_between(self, start: datetime, end: datetime):
        """The one definition of "new papers" of a period (digests): first seen by this catalog from start
        (inclusive) to end (exclusive), whichever source brought them, and announced at most
        PAPERTIDE_ARXIV_RECONCILE_DAYS days before the end.

        By first_seen rather than the announcement day, so that a paper harvested late (after its day's
        digest went out) is new in the next period instead of never; the age limit keeps an import of old
        papers (a snapshot, a backfill) from flooding the next digest. The limit is the reconciliation's
        window: what the weekly re-read can still bring in counts as new."""
        oldest = (end - timedelta(days=settings.PAPERTIDE_ARXIV_RECONCILE_DAYS)).date()
        return self.filter(first_seen__gte=start, first_seen__lt=end, listed_on__gte=oldest)

    def with_votes(self):
        """Each paper with `local_votes`, `imported_votes` and `upvotes` (see annotate_votes)."""
        return annotate_votes(self)

    def in_category(self, category: str):
        """Papers listed in a category, as primary or cross-list."""
        if connection.features.supports_json_field_contains:  # PostgreSQL: JSON containment
            listed = models.Q(categories__contains=[category])
        else:  # SQLite has no JSON containment: match the quoted name in the stored JSON text
            listed = models.Q(categories__icontains=json.dumps(category))
        return self.filter(models.Q(primary_category=category) | listed)


# Named at module level so that the type checker's Django plugin can follow the generated manager class.
PaperManager = models.Manager.from_queryset(PaperQuerySet)


class RealPapers(PaperManager):
    """Papers from a source: synthetic load-test copies (bench/scale.py) are never listed, shown or found."""

    def get_queryset(self):
        return super().get_queryset().filter(synthetic=False)


# arXiv renders papers as HTML from their LaTeX sources since December 2023.
HTML_SINCE = date(2023, 12, 1)


class Paper(models.Model):
    """A paper, keyed by its arXiv id without version. Text fields keep arXiv's raw text; the
    ``*_display`` properties give the cleaned form (LaTeX to Unicode, hard line breaks joined)."""

    arxiv_id = models.CharField(max_length=32, unique=True)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list, help_text="Author names in the paper's order.")
    categories = models.JSONField(default=list, help_text="arXiv categories, primary first.")
    primary_category = models.CharField(max_length=32, blank=True, db_index=True)
    comments = models.TextField(blank=True)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField(max_length=255, blank=True)
    report_no = models.TextField(blank=True)
    license = models.CharField(max_length=255, blank=True)
    published = models.DateTimeField(null=True, blank=True, help_text="First version submitted.")
    updated = models.DateTimeField(null=True, blank=True, help_text="Latest version submitted.")
    announced = models.DateField(null=True, blank=True, help_text="Day arXiv announced it, where known.")
    listed_on = models.DateField(
        null=True, blank=True, help_text="Announcement day, or the first version's day where that is unknown."
    )
    current_version = models.PositiveSmallIntegerField(null=True, blank=True)
    # Display forms of title and abstract, filled by the worker when it embeds the paper (it cleans them
    # anyway) and emptied when the raw text changes: cleaning an abstract costs about a millisecond, too
    # much for every search result, too much for bulk import. Empty means "clean it when shown".
    title_clean = models.TextField(blank=True, editable=False)
    abstract_clean = models.TextField(blank=True, editable=False)
    # Fingerprint of the last source record that changed this paper: a re-import of the same record is
    # recognised from this one column, without loading and comparing the whole row (2x faster re-imports).
    record_digest = models.CharField(max_length=32, blank=True, editable=False)
    # A copy made for load tests (bench/scale.py), id "synthetic-N-<real id>": it loads the indexes like a
    # real paper, but the default manager leaves it out, so no page, feed, API or digest ever shows it.
    synthetic = models.BooleanField(default=False, editable=False)
    # When the catalog first had the paper, whichever source brought it; a re-import never moves it. "New
    # papers" (digests) go by this, not by listed_on alone: see PaperQuerySet.new_between. Nullable without
    # a database default so that SQLite adds the column in place (a rebuilt table loses the FTS triggers);
    # the upsert and save() fill it.
    first_seen = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = RealPapers()
    everything = PaperQuerySet.as_manager()  # synthetic copies too: the upsert path and index rebuilds
    # Annotated by PaperQuerySet.with_votes() (annotate_votes); declared for type checks.
    local_votes: int
    imported_votes: int
    upvotes: int

    class Meta:
        indexes = [models.Index(fields=["-listed_on", "-arxiv_id"], name="paper_newest")]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title_display[:80]}"

    def save(self, *args, **kwargs):
        if self._state.adding and self.first_seen is None:
            self.first_seen = timezone.now()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return paper_url("paper", self.arxiv_id)

    @property
    def title_display(self) -> str:
        return self.title_clean or text.clean(self.title)

    @property
    def abstract_display(self) -> str:
        return self.abstract_clean or text.clean(self.abstract)

    @property
    def abstract_preview(self) -> str:
        """The abstract for a list's two lines: the clean form where the worker made it, else the raw text
        with its line breaks joined and cut short. Cleaning takes about 3 ms an abstract (50 rows: 150 ms
        a page), so a list never cleans; the paper's own page does."""
        if self.abstract_clean:
            return self.abstract_clean
        words = " ".join(self.abstract.split())
        return words if len(words) <= PREVIEW_CHARS else words[:PREVIEW_CHARS].rsplit(" ", 1)[0] + " …"

    @property
    def code_badge(self) -> "CodeLink | None":
        """The code link a list's row shows: the most starred GitHub repository the paper links, else its
        first code link (CodeLink.CODE_KINDS). From the links community.rows prefetches with their
        repositories (`code_links_shown`); without them, from code_links (a query a paper)."""
        links = getattr(self, "code_links_shown", None)
        if links is None:
            links = [link for link in self.code_links.all() if link.kind in CodeLink.CODE_KINDS]
        starred = [link for link in links if link.repository_id and link.repository.stars is not None]
        if starred:
            return max(starred, key=lambda link: link.repository.stars)
        return links[0] if links else None

    @property
    def authors_display(self) -> list[str]:
        return [text.clean(name) for name in self.authors]

    @property
    def authors_preview(self) -> list[str]:
        """The first authors, for lists: cleaning thousands of names to show six would be waste."""
        return [text.clean(name) for name in self.authors[:6]]

    @property
    def comments_display(self) -> str:
        return text.clean(self.comments)

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.current_version}" if self.current_version else self.arxiv_id

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.versioned_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.versioned_id}"

    @property
    def html_url(self) -> str:
        """arXiv's HTML rendering of the paper (from its LaTeX source): made for papers submitted since
        December 2023 (HTML_SINCE), and not for every one of those, so "" for older papers."""
        day = self.published.date() if self.published else self.listed_on
        return f"https://arxiv.org/html/{self.versioned_id}" if day and day >= HTML_SINCE else ""


class Version(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    submitted = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["paper", "number"], name="version_unique")]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id}v{self.number}"


class CodeLink(models.Model):
    KINDS = [
        ("github", "GitHub"),
        ("code", "Code"),
        ("huggingface", "Hugging Face"),
        ("project", "Project page"),
    ]
    # The kinds that count as "has code" (search filter, trending bonus); a project page does not.
    CODE_KINDS = ("github", "code", "huggingface")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="code_links")
    url = models.URLField(max_length=500)
    kind = models.CharField(max_length=16, choices=KINDS)
    position = models.PositiveSmallIntegerField(default=0)
    # Where the link came from: found in the abstract and comments ("abstract"), or stated by a source
    # (Hugging Face's "githubRepo" and "projectPage": "huggingface"). Each is rewritten only by its own
    # origin, so re-reading an abstract never deletes a Hugging Face link, nor the other way round.
    ABSTRACT = "abstract"
    source = models.CharField(max_length=16, default=ABSTRACT, editable=False)
    # The GitHub repository a "github" link names, filled by the GitHub sync (catalog/github.py).
    repository = models.ForeignKey(
        "Repository",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="code_links",
    )

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["paper", "url"], name="codelink_unique")]
        indexes = [models.Index(fields=["kind"])]

    def __str__(self) -> str:
        return self.url


def this_process() -> str:
    """host:pid, naming the process that runs an import."""
    return f"{socket.gethostname()[:150]}:{os.getpid()}"


def process_gone(owner: str) -> bool:
    """Whether `owner` (host:pid) names a process of this host that no longer runs. Another host's process
    cannot be asked: never gone. A pid taken by a new process since reads as alive (the safe side)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname()[:150] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it runs, as another user
    return False


class IngestRunQuerySet(models.QuerySet):
    def interrupted(self) -> list["IngestRun"]:
        """Runs still "running" whose process on this host is gone (killed, out of memory, the machine
        restarted), each with a message saying so (not saved)."""
        runs = [r for r in self.filter(state=IngestRun.RUNNING).exclude(owner="") if process_gone(r.owner)]
        for run in runs:
            run.message = f"interrupted: its process ({run.owner}) ended before the import finished"
        return runs

    def mark_interrupted(self) -> int:
        """Mark the interrupted runs "failed", with their message: otherwise they would read as running for
        ever. Returns how many."""
        marked = 0
        for run in self.interrupted():
            marked += IngestRun.objects.filter(pk=run.pk, state=IngestRun.RUNNING, owner=run.owner).update(
                state=IngestRun.FAILED, message=run.message
            )
        return marked


class IngestRun(models.Model):
    """One run of an import: what it was asked, how far it got, what it did. An OAI-PMH harvest keeps its
    resumption token here, saved with each page, so an interrupted harvest continues where it stopped."""

    RUNNING, DONE, FAILED = "running", "done", "failed"
    source = models.CharField(max_length=32)
    params = models.CharField(max_length=500, help_text="The request, as a stable key.")
    state = models.CharField(max_length=16, default=RUNNING, db_index=True)
    resume_token = models.TextField(blank=True)
    cursor = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    owner = models.CharField(
        max_length=200, blank=True, default=this_process, help_text="The process running it (host:pid)."
    )

    objects = IngestRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source} {self.params} ({self.state})"


class Repository(models.Model):
    """A GitHub repository that papers link to, with its stars as the GitHub sync last read them.

    `name` is the "owner/name" a link spells, lowercased (GitHub names are case-insensitive), so two
    spellings are one repository. `full_name` is GitHub's own spelling, and the new name after GitHub
    redirected a moved or renamed repository: later reads ask for it directly.
    """

    OK, GONE, PRIVATE = "ok", "gone", "private"
    STATES = [
        (OK, "Public"),
        (GONE, "Gone (GitHub answers 404: deleted, or private to us)"),
        (PRIVATE, "Private (readable with the token only; stars not kept)"),
    ]
    name = models.CharField(max_length=200, unique=True, help_text="owner/name as linked, lowercased.")
    full_name = models.CharField(
        max_length=200, blank=True, help_text="GitHub's owner/name, after redirects."
    )
    state = models.CharField(max_length=16, choices=STATES, default=OK)
    stars = models.PositiveIntegerField(null=True, blank=True, help_text="The last count read.")
    etag = models.CharField(max_length=200, blank=True, help_text="Of the last answer, for If-None-Match.")
    checked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "repositories"

    def __str__(self) -> str:
        return self.full_name or self.name

    @property
    def url(self) -> str:
        return f"https://github.com/{self}"


class StarCount(models.Model):
    """A repository's star count from the moment it was read. A sample is added only when the count
    differs from the last one, so a count holds until the next sample and re-reading adds nothing."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="star_counts")
    at = models.DateTimeField()
    stars = models.PositiveIntegerField()

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["repository", "at"], name="starcount_series")]

    def __str__(self) -> str:
        return f"{self.repository}: {self.stars} at {self.at:%Y-%m-%d %H:%M}"


class GitHubQuota(models.Model):
    """The GitHub API quota as its last answer told (x-ratelimit-*), and how long the sync must wait
    after hitting a limit. One row: shared by every worker, shown on the operator's status page."""

    limit = models.PositiveIntegerField(null=True, blank=True)
    remaining = models.PositiveIntegerField(null=True, blank=True)
    reset_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"GitHub quota {self.remaining}/{self.limit}"
