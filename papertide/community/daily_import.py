"""Imported daily lists: a record's place in another site's daily list (Hugging Face's, read by the
hf_daily source) becomes a DailyEntry with that site's upvote count, in the upsert's transaction."""

from papertide.catalog.services import Upserted

from .models import DailyEntry


def write_daily_listings(upserted: Upserted) -> set[str]:
    """The upsert's hook (registered in apps.py): create or update the imported entries of a batch;
    return the ids whose entry changed, which count as updated even when the paper itself did not."""
    listed = [r for r in upserted.records if r.daily_listing]
    touched: set[str] = set()
    if not listed:
        return touched
    papers = upserted.papers
    existing = {
        (e.paper_id, e.day): e
        for e in DailyEntry.objects.filter(paper_id__in=[papers[r.arxiv_id].pk for r in listed])
    }
    for record in listed:
        listing = record.daily_listing
        assert listing is not None  # (listed holds only records with one)
        day, upvotes, source = listing.day, listing.upvotes, listing.source
        paper = papers[record.arxiv_id]
        entry = existing.get((paper.pk, day))
        if entry is None:
            existing[(paper.pk, day)] = DailyEntry.objects.create(
                paper=paper, day=day, source=source, imported_upvotes=upvotes
            )
            touched.add(record.arxiv_id)
        elif entry.imported_upvotes != upvotes and entry.source == source:
            DailyEntry.objects.filter(pk=entry.pk).update(imported_upvotes=upvotes)
            entry.imported_upvotes = upvotes
            touched.add(record.arxiv_id)
    return touched
