"""Putting papers into collections and taking them out, and read marks: the one place that keeps an
interest built on a collection in step (`Collection.touch()`) whichever page saved the paper."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from papertide.catalog.models import Paper

from .models import Collection, Entry, ReadMark


def add(collection: Collection, paper: Paper) -> bool:
    """Put the paper into the collection; True if it was not there. Twice (two tabs, a double click)
    still makes one entry: the unique constraint decides, and get_or_create reads the winner's row."""
    try:
        with transaction.atomic():
            _, created = Entry.objects.get_or_create(collection=collection, paper=paper)
    except IntegrityError:  # the other request's row is not visible to this transaction yet
        created = False
    if created:
        collection.touch()
    return created


def remove(collection: Collection, paper: Paper) -> bool:
    """Take the paper out of the collection; True if it was there."""
    deleted, _ = Entry.objects.filter(collection=collection, paper=paper).delete()
    if deleted:
        collection.touch()
    return bool(deleted)


def set_collections(user, paper: Paper, chosen) -> None:
    """The paper ends up in exactly the chosen collections of the user's (a paper can be in several)."""
    chosen_ids = {c.pk for c in chosen}
    for collection in Collection.objects.of(user).filter(entries__paper=paper).exclude(pk__in=chosen_ids):
        remove(collection, paper)
    for collection in chosen:
        add(collection, paper)


def mark_read(user, paper: Paper, read: bool) -> None:
    if read:
        try:
            with transaction.atomic():
                ReadMark.objects.get_or_create(user=user, paper=paper)
        except IntegrityError:  # marked by a concurrent request
            pass
    else:
        ReadMark.objects.filter(user=user, paper=paper).delete()


def saved_ids(user) -> frozenset[int]:
    """The ids of the papers in the user's reading list: one query, for every save button of a page."""
    return frozenset(
        Entry.objects.filter(collection__owner=user, collection__is_reading_list=True).values_list(
            "paper_id", flat=True
        )
    )


def unsaved_reading_list(user) -> Collection:
    """The reading list as the first save will make it, for pages to show before then: a GET writes
    nothing, not even a reader's empty reading list."""
    return Collection(owner=user, name=Collection.READING_LIST, slug="reading-list", is_reading_list=True)


def collections_with(user, paper: Paper) -> list:
    """The user's collections, the reading list first, each with `has`: whether the paper is in it.
    One query."""
    holds = Entry.objects.filter(collection=OuterRef("pk"), paper=paper)
    collections: list[Any] = list(Collection.objects.of(user).annotate(has=Exists(holds)))
    if not any(c.is_reading_list for c in collections):
        reading_list: Any = unsaved_reading_list(user)
        reading_list.has = False
        collections.insert(0, reading_list)
    return collections
