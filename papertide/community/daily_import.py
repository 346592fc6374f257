"""Imported daily lists: a record's place in another site's daily list (Hugging Face's, read by the
hf_daily source) becomes a DailyEntry with that site's upvote count, in the upsert's transaction. The
count read is also appended to the paper's upvote series (UpvoteCount) when it differs from the count
before it, and what the list says of the paper besides (HubDetails) is kept in its HubPaper."""

from datetime import date, datetime

from django.utils import timezone

from papertide.catalog.records import HubDetails
from papertide.catalog.services import Upserted

from .models import DailyEntry, HubPaper, UpvoteCount

Series = list[tuple[datetime, int]]  # (at, upvotes), oldest first


def write_daily_listings(upserted: Upserted) -> set[str]:
    """The upsert's hook (registered in apps.py): create or update the imported entries of a batch, their
    upvote series and Hugging Face's details; return the ids whose rows changed, which count as updated
    even when the paper itself did not.

    Records are taken in order, so a batch holding several reads of one paper (captures of a day) applies
    them in turn. An entry's count is the latest read's, whatever the order of the imports: re-importing
    an older capture adds nothing to the series and leaves the entry as it is."""
    listed = [r for r in upserted.records if r.daily_listing]
    touched: set[str] = set()
    if not listed:
        return touched
    papers = upserted.papers
    ids = [papers[r.arxiv_id].pk for r in listed]
    existing: dict[int, dict[date, DailyEntry]] = {}  # paper -> day -> entry
    for e in DailyEntry.objects.filter(paper_id__in=ids):
        existing.setdefault(e.paper_id, {})[e.day] = e
    series: dict[int, Series] = {}
    for paper_id, at, upvotes in UpvoteCount.objects.filter(paper_id__in=ids).values_list(
        "paper_id", "at", "upvotes"
    ):
        series.setdefault(paper_id, []).append((at, upvotes))
    for samples in series.values():
        samples.sort()
    hubs = {h.paper_id: h for h in HubPaper.objects.filter(paper_id__in=ids)}
    now = timezone.now()
    new_counts: list[UpvoteCount] = []
    for record in listed:
        listing = record.daily_listing
        assert listing is not None  # (listed holds only records with one)
        day, source = listing.day, listing.source
        read_at = listing.read_at or now
        paper = papers[record.arxiv_id]
        samples = series.setdefault(paper.pk, [])
        if _append(samples, read_at, listing.upvotes):
            new_counts.append(UpvoteCount(paper_id=paper.pk, at=read_at, upvotes=listing.upvotes))
            touched.add(record.arxiv_id)
        upvotes = samples[-1][1]  # the latest known count
        entries = existing.setdefault(paper.pk, {})
        if day not in entries:
            entries[day] = DailyEntry.objects.create(
                paper=paper, day=day, source=source, imported_upvotes=upvotes
            )
            touched.add(record.arxiv_id)
        # Hugging Face counts upvotes per paper: each of its imported entries (a few papers are listed on
        # two days) shows the latest count.
        for entry in entries.values():
            if entry.source == source and entry.imported_upvotes != upvotes:
                DailyEntry.objects.filter(pk=entry.pk).update(imported_upvotes=upvotes)
                entry.imported_upvotes = upvotes
                touched.add(record.arxiv_id)
        if listing.details is not None and _write_details(hubs, paper.pk, listing.details, read_at):
            touched.add(record.arxiv_id)
    UpvoteCount.objects.bulk_create(new_counts, ignore_conflicts=True)
    return touched


def _append(samples: Series, at: datetime, upvotes: int) -> bool:
    """Put a read into the series (kept sorted) when the count differs from the one before it in time;
    say whether it went in. A read at a time already held (the same capture again) goes nowhere."""
    position = len(samples)
    while position and samples[position - 1][0] > at:
        position -= 1
    before = samples[position - 1] if position else None
    if before is not None and (before[0] == at or before[1] == upvotes):
        return False
    samples.insert(position, (at, upvotes))
    return True


def _write_details(hubs: dict[int, HubPaper], paper_id: int, details: HubDetails, read_at: datetime) -> bool:
    """Keep Hugging Face's details of a paper as of its latest read; say whether the row changed."""
    values = {
        "ai_summary": details.ai_summary,
        "ai_keywords": list(details.ai_keywords),
        "organization": details.organization[:100],
        "organization_name": details.organization_name[:200],
        "num_comments": details.num_comments,
        "discussion_id": details.discussion_id[:64],
        "submitter": details.submitter[:100],
    }
    hub = hubs.get(paper_id)
    if hub is None:
        hubs[paper_id] = HubPaper.objects.create(paper_id=paper_id, read_at=read_at, **values)
        return True
    if read_at < hub.read_at or all(getattr(hub, name) == value for name, value in values.items()):
        return False  # an older read, or nothing new: the row stays (and its read_at with it)
    HubPaper.objects.filter(pk=hub.pk).update(read_at=read_at, **values)
    for name, value in {"read_at": read_at, **values}.items():
        setattr(hub, name, value)
    return True
