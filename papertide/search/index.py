"""The keyword index, kept in step with the catalog: written in the same transaction as the upsert."""

from papertide.catalog.services import Upserted

from . import backends
from .models import PaperVector

INDEXED_FIELDS = {"title", "abstract", "authors"}


def keep_in_step(upserted: Upserted) -> list[str]:
    """The upsert's hook (registered in apps.py): index new papers, re-index changed text, and drop the
    vector of a paper whose title or abstract changed, so the worker embeds it again."""
    index_papers(upserted.created, replace=False)
    retext = [upserted.papers[i] for i, fields in upserted.changed.items() if INDEXED_FIELDS & fields]
    index_papers(retext, replace=True)
    stale = [p.pk for p in retext if {"title", "abstract"} & upserted.changed[p.arxiv_id]]
    if stale:
        PaperVector.objects.filter(paper_id__in=stale).delete()
    return []  # the index and the vectors are derived: no paper counts as updated for them


def index_papers(papers, replace: bool) -> None:
    """(Re)index papers' title, abstract and authors. ``replace``: some may be indexed already.

    The backend decides how: SQLite writes its FTS5 table; PostgreSQL's generated tsvector column
    follows the paper row by itself."""
    if papers:
        backends.current().index_papers(papers, replace)
