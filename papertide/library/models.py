"""A reader's library: collections of saved papers, what they have read, their interests and ratings.

Everything here belongs to one account and goes with it (on_delete=CASCADE from the user): deleting an
account deletes its library, ratings and interests.
"""

import itertools
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

if TYPE_CHECKING:
    from papertide.catalog.models import Paper

MAX_COLLECTION_NAME = 100


class CollectionQuerySet(models.QuerySet):
    def of(self, user):
        return self.filter(owner=user)

    def public(self):
        return self.filter(public=True, owner__is_active=True)


class Collection(models.Model):
    """A named set of papers. Every reader has one reading list (made on first use, `reading_list()`);
    other collections are theirs to name. Private unless made public: a public one has a page and a feed."""

    READING_LIST = "Reading list"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections")
    name = models.CharField(max_length=MAX_COLLECTION_NAME)
    slug = models.SlugField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    is_reading_list = models.BooleanField(default=False, editable=False)
    public = models.BooleanField(default=False)
    papers: "models.ManyToManyField[Paper, Entry]" = models.ManyToManyField(
        "catalog.Paper", through="Entry", related_name="collections"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(
        default=timezone.now, help_text="When a paper was last added or removed."
    )

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["-is_reading_list", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "slug"], name="collection_slug_per_owner"),
            models.UniqueConstraint(
                fields=["owner"], condition=Q(is_reading_list=True), name="one_reading_list_per_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner}: {self.name}"

    @classmethod
    def reading_list(cls, user) -> "Collection":
        found = cls.objects.filter(owner=user, is_reading_list=True).first()
        if found is not None:
            return found
        collection, _ = cls.objects.get_or_create(
            owner=user, is_reading_list=True, defaults={"name": cls.READING_LIST, "slug": "reading-list"}
        )
        return collection

    @classmethod
    def create(cls, user, name: str, **fields) -> "Collection":
        """A new collection with a slug of its own among the owner's ("ideas", "ideas-2", ...)."""
        base = slugify(name)[:100] or "collection"
        for attempt in itertools.count(1):
            taken = set(cls.objects.filter(owner=user, slug__startswith=base).values_list("slug", flat=True))
            slug, n = base, 1
            while slug in taken:
                n += 1
                slug = f"{base}-{n}"
            try:
                with transaction.atomic():
                    return cls.objects.create(
                        owner=user, name=name.strip()[:MAX_COLLECTION_NAME], slug=slug, **fields
                    )
            except IntegrityError:
                # Another request of the owner's took the slug in the same instant (a double click on
                # "make"): look again, and this one gets the next free slug, as it would a moment later.
                if attempt == 5:
                    raise
        raise AssertionError("unreachable")

    def touch(self) -> None:
        """Its papers changed: so did the interest built on it, if any."""
        now = timezone.now()
        Collection.objects.filter(pk=self.pk).update(changed_at=now)
        Interest.objects.filter(collection=self).update(changed_at=now)


class Entry(models.Model):
    """A paper in a collection, since when."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="entries")
    paper = models.ForeignKey("catalog.Paper", on_delete=models.CASCADE, related_name="library_entries")
    added_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["-added_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["collection", "paper"], name="entry_once")]

    def __str__(self) -> str:
        return f"{self.collection}: {self.paper_id}"


class ReadMark(models.Model):
    """A reader marked a paper as read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_marks")
    paper = models.ForeignKey("catalog.Paper", on_delete=models.CASCADE, related_name="read_marks")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="read_once")]

    def __str__(self) -> str:
        return f"{self.user} read {self.paper_id}"


class Interest(models.Model):
    """What a reader wants to hear about: a classifier over the paper embeddings.

    Its positives are the papers of its collection (when it was made from one, or from three papers), the
    papers its words found when it was made from words (`seeds`), and the papers rated "more like this"
    for it; its negatives are those rated "less like this" and a sample of other recent papers. The model
    (library.recommend) is retrained when they change (`changed_at` after `trained_at`), never per request.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interests")
    name = models.CharField(max_length=MAX_COLLECTION_NAME)
    collection = models.OneToOneField(
        Collection, null=True, blank=True, on_delete=models.CASCADE, related_name="interest"
    )
    query = models.CharField(max_length=500, blank=True, help_text="The words it was started from.")
    seeds = models.JSONField(default=list, blank=True, help_text="Paper ids those words found.")
    in_digest = models.BooleanField(default=True, help_text="Its papers get a section in the e-mail digest.")
    threshold = models.FloatField(
        default=0.7, help_text="The least match (0 to 1) a paper needs to be in the digest's section."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(default=timezone.now)
    # The trained model: a linear classifier's weights (float32 bytes) and intercept. Empty until trained.
    trained_at = models.DateTimeField(null=True, blank=True)
    weights = models.BinaryField(null=True, blank=True, editable=False)
    intercept = models.FloatField(default=0.0, editable=False)
    positives = models.PositiveIntegerField(default=0, help_text="Positive examples at the last training.")
    negatives = models.PositiveIntegerField(default=0, help_text="Rated negatives at the last training.")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.owner}: {self.name}"

    @property
    def stale(self) -> bool:
        return self.trained_at is None or self.changed_at > self.trained_at

    def changed(self) -> None:
        Interest.objects.filter(pk=self.pk).update(changed_at=timezone.now())


class Rating(models.Model):
    """A reader's "more like this" (+1) or "less like this" (-1) on a paper, for one of their interests.
    Private to the reader; undone by deleting the row."""

    MORE, LESS = 1, -1
    VALUES = [(MORE, "More like this"), (LESS, "Less like this")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings")
    interest = models.ForeignKey(Interest, on_delete=models.CASCADE, related_name="ratings")
    paper = models.ForeignKey("catalog.Paper", on_delete=models.CASCADE, related_name="ratings")
    value = models.SmallIntegerField(choices=VALUES)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interest", "paper"], name="rating_once"),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="rating_value"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {'+' if self.value > 0 else '-'} {self.paper_id} for {self.interest_id}"


class FeedKey(models.Model):
    """A reader's private feed key: signed into every private feed link (library.private_feeds), so that
    replacing it (the reader's "reset") makes every link handed out before stop working. Made on first use.
    Not a token: a link needs the site's secret key too, and the database keeps no link."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_key")
    key = models.CharField(max_length=64)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"feed key of {self.user}"
