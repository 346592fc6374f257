"""The one path by which papers enter the catalog.

Every source yields a stream of PaperRecord (a paper), RejectedRecord (a record the source could not read)
and Checkpoint (a place a harvest can resume from). ``ingest`` validates the records, merges them into
the catalog in batches, one transaction each (paper, versions, code links, what the apps above keep in
step with the catalog, and the run's progress together), and counts what happened. Re-running an import
changes nothing.

The catalog is the ground floor and imports no other app. Apps above it that keep rows in step with the
papers (search: the keyword index and stale vectors; community: the daily-list entries a record carries)
register a hook with ``after_upsert`` in their AppConfig.ready(); each batch calls them in its transaction.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .codelinks import find_links, normalise
from .models import CodeLink, IngestRun, Paper, Version, this_process
from .records import Checkpoint, PaperRecord, RejectedRecord, SourceError

log = logging.getLogger("papertide.ingest")

# Fields copied as they are from a record that provides them (None = the source does not say).
TEXT_FIELDS = (
    "title",
    "abstract",
    "authors",
    "categories",
    "comments",
    "journal_ref",
    "doi",
    "report_no",
    "license",
)
MAX_EXAMPLES = 20
CLOCK_SLACK = timedelta(days=2)


@dataclass
class Upserted:
    """What one batch wrote, for the hooks: the records that were not unchanged, their papers (saved, by
    arXiv id), the papers created, and for the others the names of the fields that changed."""

    records: list[PaperRecord]
    papers: dict[str, Paper]
    created: list[Paper]
    changed: dict[str, set[str]]


# A hook returns the arXiv ids of the papers whose rows it changed, which then count as updated.
UpsertHook = Callable[[Upserted], Iterable[str]]
_hooks: list[UpsertHook] = []


def after_upsert(hook: UpsertHook) -> UpsertHook:
    """Call `hook` inside every batch's transaction, after the papers, versions and code links are written.
    Registering the same function again changes nothing."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


@dataclass
class IngestStats:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: Counter = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""
    error_short: str = ""

    @property
    def stored(self) -> int:
        return self.new + self.updated + self.unchanged

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())

    def reject(self, exc: RejectedRecord) -> None:
        # Group by the reason without the record's own values, so the summary stays short.
        self.rejected[_reason_kind(exc.reason)] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append((exc.arxiv_id or "?", exc.reason))
        log.debug("rejected %s: %s", exc.arxiv_id, exc.reason)

    def summary_lines(self) -> list[str]:
        lines = [
            f"{self.new:,} new, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.total_rejected:,} rejected"
        ]
        for reason, count in self.rejected.most_common():
            lines.append(f"  rejected {count:,}: {reason}")
        for arxiv_id, reason in self.examples:
            lines.append(f"    e.g. {arxiv_id}: {reason}")
        if self.error:
            lines.append(f"stopped: {self.error}")
        return lines


def _reason_kind(reason: str) -> str:
    # "'abc' is not an arXiv id (...)" -> "not an arXiv id (...)": the record-specific head goes.
    if reason.startswith("'") and "' is " in reason:
        return reason.split("' is ", 1)[1]
    if " has " in reason and " characters, more than " in reason:
        return reason.split(" has ", 1)[0] + " too long"
    return reason


def ingest(
    stream: Iterable,
    source: str,
    params: str = "",
    run: IngestRun | None = None,
    batch_size: int = 1000,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[IngestStats, IngestRun]:
    """Store everything a source yields; return the counts and the IngestRun that records them.

    A SourceError from the stream stops the run: what came before it is stored, the run is marked failed
    with the message, and a harvest that saved a Checkpoint can resume from there.
    """
    stats = IngestStats()
    IngestRun.objects.mark_interrupted()  # earlier runs killed on this host say so
    if run is None:
        run = IngestRun.objects.create(source=source, params=params[:500])
    else:  # a resumed run: this process's from now on
        run.owner = this_process()
        run.save(update_fields=["owner", "state"])
    # A resumed run carries on counting from what its earlier part stored.
    base = (run.new, run.updated, run.unchanged, run.rejected)
    batch: list[PaperRecord] = []

    def flush(checkpoint: Checkpoint | None = None) -> None:
        with transaction.atomic():
            upsert_batch(batch, stats)
            if checkpoint is not None:
                run.resume_token, run.cursor = checkpoint.token, checkpoint.cursor
                if checkpoint.total is not None:  # the last page of a chain does not repeat the total
                    run.total = checkpoint.total
            _save_counts(run, stats, base)
        if on_progress:
            on_progress(len(batch))
        batch.clear()

    try:
        for item in stream:
            if isinstance(item, PaperRecord):
                batch.append(item)
                if len(batch) >= batch_size:
                    flush()
            elif isinstance(item, RejectedRecord):
                stats.reject(item)
            elif isinstance(item, Checkpoint):
                flush(item)
        flush()
    except SourceError as exc:
        flush()
        stats.error, stats.error_short = str(exc), exc.short
        run.state, run.message = IngestRun.FAILED, str(exc)
    else:
        run.state, run.resume_token = IngestRun.DONE, ""
        run.message = f"{stats.total_rejected} rejected" if stats.total_rejected else ""
    run.finished_at = timezone.now()
    _save_counts(run, stats, base)
    return stats, run


def _save_counts(run: IngestRun, stats: IngestStats, base: tuple[int, ...]) -> None:
    counts = (stats.new, stats.updated, stats.unchanged, stats.total_rejected)
    run.new, run.updated, run.unchanged, run.rejected = (b + c for b, c in zip(base, counts, strict=True))
    run.save()


def upsert_batch(records: list[PaperRecord], stats: IngestStats) -> None:
    """Merge one batch into the catalog. Call inside a transaction."""
    valid: list[PaperRecord] = []
    for record in records:
        try:
            valid.append(record.validated())
        except RejectedRecord as exc:
            stats.reject(exc)
    if not valid:
        return
    # Fast path: a record identical to the last one merged into its paper changes nothing.
    digests = [r.digest() for r in valid]
    stored = dict(
        Paper.everything.filter(arxiv_id__in={r.arxiv_id for r in valid}).values_list(
            "arxiv_id", "record_digest"
        )
    )
    same = [stored.get(r.arxiv_id) == d for r, d in zip(valid, digests, strict=True)]
    stats.unchanged += sum(same)
    valid = [r for r, s in zip(valid, same, strict=True) if not s]
    digests = [d for d, s in zip(digests, same, strict=True) if not s]
    if not valid:
        return
    ids = {r.arxiv_id for r in valid}
    papers = {p.arxiv_id: p for p in Paper.everything.filter(arxiv_id__in=ids)}
    known_versions = (
        set(Version.objects.filter(paper__arxiv_id__in=ids).values_list("paper__arxiv_id", "number"))
        if any(r.versions for r in valid)
        else set()
    )

    created: dict[str, Paper] = {}
    changed: dict[str, set[str]] = {}
    relink: set[str] = set()
    new_versions: dict[tuple[str, int], Version] = {}
    outcome: list[str] = []  # one per valid record, in order
    for record, digest in zip(valid, digests, strict=True):
        paper = papers.get(record.arxiv_id)
        if paper is None:
            paper = papers[record.arxiv_id] = created[record.arxiv_id] = Paper(arxiv_id=record.arxiv_id)
            merge(paper, record)
            relink.add(record.arxiv_id)
            result = "new"
        else:
            fields = merge(paper, record)
            result = "updated" if fields else "unchanged"
            if paper.record_digest != digest:
                fields.add("record_digest")  # remembered, but not a change anyone sees
            if fields and record.arxiv_id not in created:
                changed.setdefault(record.arxiv_id, set()).update(fields)
                if {"abstract", "comments"} & fields:
                    relink.add(record.arxiv_id)
        paper.record_digest = digest
        for number, submitted in record.versions.items():
            key = (record.arxiv_id, number)
            if key not in known_versions and key not in new_versions:
                new_versions[key] = Version(number=number, submitted=submitted)
                result = "updated" if result == "unchanged" else result
        outcome.append(result)

    now = timezone.now()
    for paper in created.values():
        paper.first_seen = now  # set once, here: an existing paper's first_seen is never written again
    Paper.everything.bulk_create(created.values())
    for arxiv_id, fields in changed.items():
        paper = papers[arxiv_id]
        seen = {"modified_at": now} if fields != {"record_digest"} else {}
        Paper.everything.filter(pk=paper.pk).update(**seen, **{f: getattr(paper, f) for f in fields})
    for (arxiv_id, _), version in new_versions.items():
        version.paper_id = papers[arxiv_id].pk
    Version.objects.bulk_create(new_versions.values(), ignore_conflicts=True)
    _write_code_links([papers[i] for i in relink], replace=[papers[i].pk for i in relink if i not in created])
    touched = _write_stated_links(valid, papers)
    upserted = Upserted(valid, papers, list(created.values()), changed)
    touched |= {arxiv_id for hook in _hooks for arxiv_id in hook(upserted)}
    for i, record in enumerate(valid):
        if record.arxiv_id in touched and outcome[i] == "unchanged":
            outcome[i] = "updated"
    counts = Counter(outcome)
    stats.new += counts["new"]
    stats.updated += counts["updated"]
    stats.unchanged += counts["unchanged"]


def merge(paper: Paper, record: PaperRecord) -> set[str]:
    """Apply what the record says to the paper; return the names of the fields that changed.

    A record of an older version than the one stored (by number, or by the latest version's date when a
    source gives no number) changes nothing but the version history.
    """
    if record.version and paper.current_version and record.version < paper.current_version:
        return set()
    if record.updated and paper.updated and record.updated.date() < paper.updated.date():
        return set()  # the source describes an earlier version than the one stored
    changed = set()
    if paper.pk is None:
        paper.synthetic = record.synthetic

    def put(name, value):
        if getattr(paper, name) != value:
            setattr(paper, name, value)
            changed.add(name)

    for name in TEXT_FIELDS:
        value = getattr(record, name)
        if value is not None:
            put(name, value)
    # A changed text makes its cleaned form stale (and the paper's vector: see upsert_batch).
    if "title" in changed and paper.title_clean:
        put("title_clean", "")
    if "abstract" in changed and paper.abstract_clean:
        put("abstract_clean", "")
    if record.categories:
        put("primary_category", record.categories[0])
    # Sources differ in precision and time zone (OAI-PMH gives arXiv's local day, Kaggle the UTC second):
    # only a difference of more than two days is a correction.
    if record.published and (
        paper.published is None or abs(record.published - paper.published) > CLOCK_SLACK
    ):
        put("published", record.published)
    if record.updated and (paper.updated is None or record.updated > paper.updated):
        put("updated", record.updated)
    if record.announced and (paper.announced is None or record.announced < paper.announced):
        put("announced", record.announced)
    if record.version and (paper.current_version is None or record.version > paper.current_version):
        put("current_version", record.version)
    fallback = paper.published or paper.updated
    put("listed_on", paper.announced or (fallback.date() if fallback else None))
    return changed


def _write_code_links(papers: list[Paper], replace: list[int]) -> None:
    """The links found in the abstract and comments; those a source stated (_write_stated_links) stay."""
    if replace:
        CodeLink.objects.filter(paper_id__in=replace, source=CodeLink.ABSTRACT).delete()
    links = [
        CodeLink(paper_id=paper.pk, url=link.url, kind=link.kind, position=position)
        for paper in papers
        for position, link in enumerate(find_links(paper.abstract, paper.comments))
    ]
    CodeLink.objects.bulk_create(links, ignore_conflicts=True)


def _write_stated_links(records: list[PaperRecord], papers: dict[str, Paper]) -> set[str]:
    """The code links records state themselves (Hugging Face's GitHub repo and project page), kept with
    their source: a source's links no longer stated go, new ones come. A URL already linked from another
    origin (the abstract names the same repository) stays that origin's, so no paper has a link twice.
    Returns the ids of the papers whose links changed."""
    stated: dict[tuple[str, str], dict[str, str]] = {}  # (arXiv id, source) -> url -> kind; the last wins
    for record in records:
        if record.code_links is not None:
            links = stated[(record.arxiv_id, record.source)] = {}
            for url in record.code_links:
                link = normalise(url)  # the same canonical form and kind as a link in an abstract
                if link and link.url not in links:
                    links[link.url] = link.kind
    if not stated:
        return set()
    ids = {papers[arxiv_id].pk: arxiv_id for arxiv_id, _ in stated}
    held: dict[str, dict[str, CodeLink]] = {}
    for row in CodeLink.objects.filter(paper_id__in=ids):
        held.setdefault(ids[row.paper_id], {})[row.url] = row
    stale: list[int] = []
    new: list[CodeLink] = []
    changed: set[str] = set()
    for (arxiv_id, source), links in stated.items():
        have = held.get(arxiv_id, {})
        gone = [row.pk for url, row in have.items() if row.source == source and url not in links]
        come = [
            CodeLink(paper_id=papers[arxiv_id].pk, url=url, kind=kind, position=position, source=source)
            for position, (url, kind) in enumerate(links.items())
            if url not in have
        ]
        if gone or come:
            stale += gone
            new += come
            changed.add(arxiv_id)
    CodeLink.objects.filter(pk__in=stale).delete()
    CodeLink.objects.bulk_create(new, ignore_conflicts=True)
    return changed
