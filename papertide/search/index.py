"""The keyword index, kept in step with the catalog: written in the same transaction as the upsert."""

from django.db import connection

from papertide.catalog.services import Upserted

from . import keyword
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
    """(Re)index papers' title, abstract and authors. ``replace``: some may be indexed already."""
    if connection.vendor != "sqlite" or not papers:
        return
    rows = [(p.pk, p.title, p.abstract, " ".join(p.authors or [])) for p in papers]
    with connection.cursor() as cursor:
        if replace:
            marks = ",".join(["%s"] * len(rows))
            cursor.execute(f"DELETE FROM {keyword.TABLE} WHERE rowid IN ({marks})", [r[0] for r in rows])
        cursor.executemany(
            f"INSERT INTO {keyword.TABLE}(rowid, title, abstract, authors) VALUES (%s, %s, %s, %s)", rows
        )
